"""The measured requests: each one stays the same valid, representative request however often it is sent.

State matters for a stateful fake, so each case says which state it measures and prepares it (after a
reset to bench/fixtures.yaml) before wrk starts:

- talque read / list: 1000 stored tickets; read 10 of them, list the first page (100 tickets).
- talque webhook, 1 and 100 tickets, two ways: `created` (new extTicketIds on every request: the store
  grows as in an import) and `unchanged` (the same tickets re-posted: a retried webhook, no write).
- Gomry create: one attendee per request, a new contact e-mail each time, on `evt_bench` (no capacity:
  the 100 seats of evt_demo would turn the run into 409s after 100 requests).
- Gomry list: page 1 (50) of `evt_list`, which holds 200 attendees.
- Planhat PUT: 1 new item per request (`created`); 5000 items re-sent (`nonupdates`, a nightly sync).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

PREFIXES = {"talque": "/talque", "gomry": "/gomry/api/v1", "planhat": "/planhat"}
SPECS = {
    "talque-api": "specs/talque-json-api.yaml",
    "talque-webhook": "specs/talque-webhook.yaml",
    "gomry": "specs/gomry.yaml",
    "planhat": "specs/planhat.yaml",
}
TALQUE_AUTH = {"X-TQ-CLIENT-ID": "demo-client", "X-TQ-SECRET": "demo-secret"}
GOMRY_AUTH = {"X-API-KEY": "gk_demo_write"}
PLANHAT_AUTH = {"Authorization": "Bearer ph_demo_token"}
JSON = {"Content-Type": "application/json"}
WEBHOOK_PATH = "/webhook/org/org-demo/ticket"
PRELOADED = 1000  # talque tickets stored before the read and list cases

Prepare = Callable[[httpx.Client], None]


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def webhook_ticket(ext_id: str, email: str) -> dict[str, Any]:
    return {
        "extTicketId": ext_id,
        "email": email,
        "firstName": "Ada",
        "lastName": "Lovelace",
        "phoneNumber": "+4915112345678",
        "phoneNumberType": "MOBILE",
        "companyName": "Analytical Engines Ltd",
        "jobTitle": "CTO",
        "tickets": ["day-pass"],
        "eventIds": ["sess-keynote"],
    }


def webhook_body(ids: list[str]) -> bytes:
    return dumps({"tickets": [webhook_ticket(i, f"guest-{i}@bench.example") for i in ids]})


def planhat_item(source_id: str) -> dict[str, Any]:
    return {
        "sourceId": source_id,
        "email": "max@acme.example",
        "title": "Cannot log in",
        "description": "SSO login fails with an expired certificate since this morning.",
        "type": "bug",
        "severity": "high",
        "tags": ["login", "sso"],
        "status": "open",
    }


@dataclass
class Case:
    name: str
    title: str
    vendor: str
    spec: str  # key of SPECS: the document Prism serves for the equivalent operation
    method: str
    path: str  # after the vendor prefix, with the query
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    state: str = ""  # what state the request meets, for the report
    prepare: Prepare | None = None
    expect: int = 200
    min_duration_s: float = 1  # a slow request needs longer runs to complete enough of them

    def all_headers(self) -> dict[str, str]:
        return {**self.headers, **(JSON if self.body is not None else {}), "X-Bench-Case": self.name}

    def send(self, client: httpx.Client, base: str, fill: str = "probe") -> httpx.Response:
        body = self.body.replace(b"@@N@@", fill.encode()) if self.body is not None else None
        return client.request(self.method, base + self.path, content=body, headers=self.all_headers())


def post(client: httpx.Client, path: str, body: bytes, headers: dict[str, str], expect: int) -> Any:
    response = client.post(path, content=body, headers={**headers, **JSON})
    if response.status_code != expect:
        raise RuntimeError(f"prepare: {path} answered {response.status_code}: {response.text[:300]}")
    return response.json()


def preload_talque(count: int, prefix: str = "pre") -> Prepare:
    def prepare(client: httpx.Client) -> None:
        for start in range(0, count, 1000):
            ids = [f"{prefix}-{i}" for i in range(start, min(start + 1000, count))]
            post(client, "/talque" + WEBHOOK_PATH, webhook_body(ids), TALQUE_AUTH, 200)

    return prepare


def then(*steps: Prepare) -> Prepare:
    def prepare(client: httpx.Client) -> None:
        for step in steps:
            step(client)

    return prepare


def send_once(case_body: bytes, path: str, headers: dict[str, str], expect: int = 200) -> Prepare:
    def prepare(client: httpx.Client) -> None:
        response = client.request(
            "PUT" if path.startswith("/planhat") else "POST", path, content=case_body, headers={**headers, **JSON}
        )
        if response.status_code != expect:
            raise RuntimeError(f"prepare: {path} answered {response.status_code}: {response.text[:300]}")

    return prepare


def preload_gomry_list(client: httpx.Client) -> None:
    for n in range(20):
        body = {"ticket_class_id": "tc_list", "quantity": 10, "contact": {"email": f"listed-{n}@bench.example"}}
        post(client, "/gomry/api/v1/events/evt_list/attendees", dumps(body), GOMRY_AUTH, 201)


def all_cases() -> list[Case]:
    read_ids = [f"pre-{i}" for i in range(0, PRELOADED, PRELOADED // 10)]
    fixed_1 = webhook_body(["fixed-0"])
    fixed_100 = webhook_body([f"fixed-{k}" for k in range(100)])
    resent = dumps([planhat_item(f"sync-{k}") for k in range(5000)])
    return [
        Case("talque_read_10", "talque read (10 ids)", "talque", "talque-api", "POST", "/api/v1/ticket/read",
             dumps({"orgId": "org-demo", "provider": "demo-shop", "ticketIdList": read_ids}), TALQUE_AUTH,
             f"{PRELOADED} tickets stored; 10 of them read", preload_talque(PRELOADED)),
        Case("talque_list_page", "talque list page (100)", "talque", "talque-api", "POST", "/api/v1/ticket/list",
             dumps({"orgId": "org-demo", "limit": 100}), TALQUE_AUTH,
             f"{PRELOADED} tickets stored; first page of 100", preload_talque(PRELOADED)),
        Case("webhook_1_created", "talque webhook, 1 ticket, created", "talque", "talque-webhook", "POST",
             WEBHOOK_PATH, webhook_body(["wh-@@N@@"]), TALQUE_AUTH, "a new extTicketId on every request"),
        Case("webhook_1_unchanged", "talque webhook, 1 ticket, unchanged", "talque", "talque-webhook", "POST",
             WEBHOOK_PATH, fixed_1, TALQUE_AUTH, "the same ticket re-posted (a retry: no write)",
             send_once(fixed_1, "/talque" + WEBHOOK_PATH, TALQUE_AUTH)),
        Case("webhook_100_created", "talque webhook, 100 tickets, created", "talque", "talque-webhook", "POST",
             WEBHOOK_PATH, webhook_body([f"wh-@@N@@-{k}" for k in range(100)]), TALQUE_AUTH,
             "100 new extTicketIds on every request"),
        Case("webhook_100_unchanged", "talque webhook, 100 tickets, unchanged", "talque", "talque-webhook",
             "POST", WEBHOOK_PATH, fixed_100, TALQUE_AUTH, "the same 100 tickets re-posted",
             send_once(fixed_100, "/talque" + WEBHOOK_PATH, TALQUE_AUTH)),
        Case("gomry_create", "Gomry create attendee", "gomry", "gomry", "POST", "/events/evt_bench/attendees",
             dumps({"ticket_class_id": "tc_bench",
                    "contact": {"email": "c-@@N@@@bench.example", "first_name": "Jane", "last_name": "Doe"}}),
             GOMRY_AUTH, "a new contact and attendee on every request (event without capacity)", expect=201),
        Case("gomry_list", "Gomry list attendees (50)", "gomry", "gomry", "GET",
             "/events/evt_list/attendees?page=1&page_size=50", None, GOMRY_AUTH,
             "200 attendees on the event; page 1 of 50", preload_gomry_list),
        Case("planhat_put_1", "Planhat PUT, 1 item, created", "planhat", "planhat", "PUT", "/tickets",
             dumps([planhat_item("s-@@N@@")]), PLANHAT_AUTH, "a new sourceId on every request"),
        Case("planhat_put_5000", "Planhat PUT, 5000 items, re-sent", "planhat", "planhat", "PUT", "/tickets",
             resent, PLANHAT_AUTH, "the same 5000 items re-sent (all nonupdates)",
             send_once(resent, "/planhat/tickets", PLANHAT_AUTH), min_duration_s=4),
    ]
