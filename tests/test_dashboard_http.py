"""The dashboard's server side over real HTTP: the page and its assets, and the journal fields it shows
(the refusing rule, client-bug warnings, masked headers, curl line, entities). docs/dashboard.md."""

from __future__ import annotations

import fnmatch
import shlex
import subprocess
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from importlib.resources import files
from pathlib import Path
from typing import Any

import httpx
import pytest

from ticketfakes.admin.plain import plain
from ticketfakes.pytest_plugin import Fakes

from .conftest import GOMRY_READ, GOMRY_WRITE, OTHER_TALQUE_AUTH, PLANHAT_AUTH, TALQUE_AUTH, assert_no_drift

ROOT = Path(__file__).resolve().parents[1]
GOMRY = "/gomry/api/v1"
ATTENDEES = f"{GOMRY}/events/evt_small/attendees"
WEBHOOK = "/talque/webhook/org/org-demo/ticket"


def journal(http: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    response = http.get("/_admin/requests", params=params)
    assert_no_drift(response)  # the server validates its answers against specs/admin.yaml
    assert response.status_code == 200, response.text
    return response.json()["requests"]


def last(http: httpx.Client) -> dict[str, Any]:
    return journal(http, limit=1)[0]


def rule_of(http: httpx.Client, response: httpx.Response) -> dict[str, str] | None:
    assert_no_drift(response)
    return last(http)["rule"]


def seat(email: str, **extra: Any) -> dict[str, Any]:
    return {"ticket_class_id": "tc_small", "contact": {"email": email}, **extra}


# -- the page ---------------------------------------------------------------------------------------------


def test_the_page_and_its_assets_are_served_offline_and_not_journaled(http: httpx.Client) -> None:
    page = http.get("/_admin/ui")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert '<script src="ui/app.js"' in page.text and 'href="ui/style.css"' in page.text
    script = http.get("/_admin/ui/app.js")
    assert script.headers["content-type"].startswith("text/javascript")
    style = http.get("/_admin/ui/style.css")
    assert style.headers["content-type"].startswith("text/css")
    for body in (page.text, script.text, style.text):
        assert "http://" not in body and "https://" not in body and "//cdn" not in body  # nothing from elsewhere
    assert "innerHTML" not in script.text and "insertAdjacentHTML" not in script.text  # values only as text
    assert "/_admin/" not in script.text  # every fetch relative to the page (works under /ns/NAME/_admin/ui)
    # only the plugin's renewal of the test's namespace before the test (docs/namespaces.md)
    assert [e["path"] for e in journal(http)] == ["/_admin/namespaces/default"]


def test_the_assets_ship_as_package_data() -> None:
    shipped = files("ticketfakes.admin").joinpath("ui")
    names = {item.name for item in shipped.iterdir()}
    assert {"index.html", "app.js", "style.css"} <= names
    # A wheel carries only what pyproject's package-data globs name: every asset must be covered.
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["ticketfakes"]
    for name in names:
        assert any(fnmatch.fnmatch(f"admin/ui/{name}", pattern) for pattern in globs), name


# -- the rule that refused it --------------------------------------------------------------------------


def test_capacity_names_class_event_and_seats(http: httpx.Client) -> None:
    assert http.post(ATTENDEES, headers=GOMRY_WRITE, json=seat("a@example.com", quantity=3)).status_code == 201
    refused = http.post(ATTENDEES, headers=GOMRY_WRITE, json=seat("b@example.com"))
    assert refused.status_code == 409
    rule = rule_of(http, refused)
    assert rule is not None and rule["name"] == "capacity"
    assert rule["explanation"].startswith("capacity: tc_small on evt_small has 0 of 3 seats left")


def test_capacity_of_the_class_when_it_is_the_tighter_limit(http: httpx.Client) -> None:
    refused = http.post(f"{GOMRY}/events/evt_demo/attendees", headers=GOMRY_WRITE,
                        json={"ticket_class_id": "tc_vip", "contact": {"email": "v@example.com"}, "quantity": 6})
    assert refused.status_code == 409
    rule = rule_of(http, refused)
    assert rule == {"name": "capacity", "explanation": "capacity: tc_vip on evt_demo has 5 of 5 seats left (the "
                    "class's quantity_total); the request needs 6 seats, and Gomry sells all or nothing"}


@pytest.mark.parametrize(
    ("headers", "path", "body", "name", "words"),
    [
        ({}, ATTENDEES, seat("a@example.com"), "gomry.missing_api_key", "no X-API-KEY"),
        ({"X-API-KEY": "gk_nope"}, ATTENDEES, seat("a@example.com"), "gomry.invalid_api_key", "'gk_nope'"),
        (GOMRY_READ, ATTENDEES, seat("a@example.com"), "gomry.insufficient_scope",
         "'gk_demo_read' lacks the scope attendees:write"),
        (GOMRY_WRITE, f"{GOMRY}/events/evt_other/attendees", seat("a@example.com"), "gomry.event_of_another_org",
         "'evt_other'"),
        (GOMRY_WRITE, ATTENDEES, {"ticket_class_id": "tc_general", "contact": {"email": "a@example.com"}},
         "gomry.unknown_ticket_class", "ticket_class_id"),
        (GOMRY_WRITE, ATTENDEES, {"contact": {"email": "bad"}, "quantity": 0}, "validation",
         'ticket_class_id is missing (required); contact.email "bad" is not an e-mail address; quantity is 0; '
         "the smallest allowed is 1"),
    ],
)
def test_gomry_refusals_are_named(http: httpx.Client, headers: dict[str, str], path: str, body: Any, name: str,
                                  words: str) -> None:
    response = http.post(path, headers=headers, json=body)
    assert response.status_code >= 400
    rule = rule_of(http, response)
    assert rule is not None and rule["name"] == name, rule
    assert words in rule["explanation"]


def test_validation_messages_in_plain_words(http: httpx.Client) -> None:
    http.post(ATTENDEES, headers=GOMRY_WRITE, json={"ticket_class_id": 5, "contact": {"email": "a@example.com"}})
    entry = last(http)
    assert entry["validation_errors"] == {"ticket_class_id": ['5 is not of type "string"']}
    assert entry["validation_messages"] == ["ticket_class_id must be a string, got 5"]


def test_a_forbidden_status_transition(http: httpx.Client) -> None:
    created = http.post(ATTENDEES, headers=GOMRY_WRITE, json=seat("a@example.com")).json()["data"][0]
    response = http.patch(f"{ATTENDEES}/{created['id']}", headers=GOMRY_WRITE, json={"status": "pending_approval"})
    assert response.status_code == 422
    rule = rule_of(http, response)
    assert rule is not None and rule["name"] == "gomry.status_transition"
    assert "checked_in, rejected, deleted" in rule["explanation"]


def test_talque_refusals_are_named(http: httpx.Client) -> None:
    cases = [
        (http.post("/talque/webhook/org/org-nope/ticket", json={"tickets": []}), "talque.unknown_org_before_auth",
         "talque: unknown org 404 is answered before auth"),
        (http.post(WEBHOOK, json={"tickets": [{"extTicketId": "t1"}]}), "talque.credentials", "403 on the webhook"),
        (http.post(WEBHOOK, headers=OTHER_TALQUE_AUTH, json={"tickets": [{"extTicketId": "t1"}]}),
         "talque.org_not_permitted", "'other-client' is not permitted"),
        (http.post("/talque/api/v1/ticket/list", headers=TALQUE_AUTH, json={"orgId": "org-nope"}),
         "talque.unknown_org", "after the credentials"),
        (http.post("/talque/api/v1/ticket/list", headers=TALQUE_AUTH, json={"orgId": "org-demo", "cursor": "zz"}),
         "talque.cursor", "opaque"),
        (http.post(WEBHOOK, headers=TALQUE_AUTH, json={"tickets": [{"extTicketId": "a"}, {"extTicketId": "a"}]}),
         "talque.ext_ticket_id", "duplicate extTicketId 'a'"),
        (http.post(WEBHOOK, headers=TALQUE_AUTH, json={"tickets": [{"extTicketId": "a", "eventIds": ["nope"]}]}),
         "talque.ticket_refused", "a: UNKNOWN_EVENT_ID"),
    ]
    for response, _, _ in cases:
        assert_no_drift(response)
    entries = [e for e in journal(http)[::-1] if e["vendor"] != "admin"]
    for (response, name, words), entry in zip(cases, entries, strict=True):
        assert entry["status"] == response.status_code
        assert entry["rule"] is not None and entry["rule"]["name"] == name, entry["rule"]
        assert words in entry["rule"]["explanation"]


def test_planhat_refusals_are_named(http: httpx.Client) -> None:
    cases = [
        (http.put("/planhat/tickets", json={"sourceId": "s", "email": "max@acme.example"}), "planhat.token"),
        (http.delete("/planhat/tickets/0123456789abcdef01234567", headers=PLANHAT_AUTH), "planhat.unknown_ticket"),
        (http.put("/planhat/tickets", headers=PLANHAT_AUTH,
                  json=[{"sourceId": "s1", "email": "max@acme.example"},
                        {"sourceId": "s2", "email": "n@nowhere.example"}]),
         "planhat.item_failed"),
    ]
    entries = [e for e in journal(http)[::-1] if e["vendor"] != "admin"]
    for (response, name), entry in zip(cases, entries, strict=True):
        assert entry["status"] == response.status_code
        assert entry["rule"] is not None and entry["rule"]["name"] == name, entry["rule"]
    assert "item 1: No end user with email n@nowhere.example" in entries[2]["rule"]["explanation"]


def test_framing_fault_rate_and_route_refusals(http: httpx.Client) -> None:
    http.post(ATTENDEES, headers={**GOMRY_WRITE, "Content-Type": "text/plain"}, content=b"hi")
    http.post(ATTENDEES, headers={**GOMRY_WRITE, "Content-Type": "application/json"}, content=b"{nope")
    http.put("/_admin/faults", json={"rules": [{"vendor": "planhat", "status": 503, "times": 1}]})
    http.get("/planhat/tickets", headers=PLANHAT_AUTH)
    http.get("/nowhere")
    http.delete(ATTENDEES, headers=GOMRY_WRITE)
    names = [entry["rule"]["name"] for entry in journal(http, vendor="none")] + [
        entry["rule"]["name"] for entry in journal(http) if entry["vendor"] != "admin" and entry["vendor"] != "none"
    ]
    assert names == ["route.unknown_path", "route.method_not_allowed", "fault.injected", "body.malformed_json",
                     "body.media_type"]
    faulted = journal(http, vendor="planhat")[0]
    assert faulted["fault"] is True and "status=503" in faulted["rule"]["explanation"]


def test_rate_limit_is_named_and_badged(http: httpx.Client) -> None:
    http.put("/_admin/rate-limits", json={"gomry": True})
    for _ in range(61):
        response = http.get(f"{GOMRY}/events", headers=GOMRY_WRITE)
    assert response.status_code == 429
    entry = journal(http, vendor="gomry", limit=2)
    assert entry[0]["rate_limited"] is True and entry[0]["rule"]["name"] == "ratelimit.gomry"
    assert "60 requests per 10 s" in entry[0]["rule"]["explanation"]
    assert entry[1]["rate_limited"] is False and entry[1]["rule"] is None


def test_successes_name_no_rule(http: httpx.Client) -> None:
    assert http.post(ATTENDEES, headers=GOMRY_WRITE, json=seat("a@example.com")).status_code == 201
    entry = last(http)
    assert entry["rule"] is None and entry["warnings"] == [] and entry["replay"] is False


def test_a_replay_is_badged_and_names_the_first_answers_rule(http: httpx.Client) -> None:
    key = {**GOMRY_WRITE, "Idempotency-Key": "k-full"}
    http.post(ATTENDEES, headers=GOMRY_WRITE, json=seat("a@example.com", quantity=3))
    first = http.post(ATTENDEES, headers=key, json=seat("b@example.com"))
    again = http.post(ATTENDEES, headers=key, json=seat("b@example.com"))
    assert first.status_code == again.status_code == 409
    replayed, original = journal(http, limit=2)
    assert original["replay"] is False and original["rule"]["name"] == "capacity"
    assert replayed["replay"] is True and replayed["rule"]["name"] == "idempotency.replay"
    assert f"request #{original['id']} (refused by capacity)" in replayed["rule"]["explanation"]
    assert replayed["warnings"] == []  # same body, same path: a retry, not a bug


def test_a_repeat_while_the_first_runs_names_in_progress(http: httpx.Client) -> None:
    http.put("/_admin/faults", json={"rules": [{"vendor": "gomry", "method": "POST", "latency_ms": 700}]})
    headers = {**GOMRY_WRITE, "Idempotency-Key": "slow"}
    with ThreadPoolExecutor(2) as pool:
        slow = pool.submit(http.post, ATTENDEES, headers=headers, json=seat("a@example.com"))
        time.sleep(0.3)  # the first has claimed the key and waits out its injected latency
        busy = http.post(ATTENDEES, headers=headers, json=seat("a@example.com"))
        assert slow.result().status_code == 201
    assert busy.status_code == 409
    entry = next(e for e in journal(http, vendor="gomry") if e["status"] == 409)
    assert entry["rule"]["name"] == "idempotency.in_progress" and "'slow'" in entry["rule"]["explanation"]


# -- warnings for likely client bugs -------------------------------------------------------------------


def test_unknown_field_dropped(http: httpx.Client) -> None:
    body = {"ticket_class_id": "tc_small", "contact": {"email": "a@example.com", "emial": "typo@example.com"}}
    assert http.post(ATTENDEES, headers=GOMRY_WRITE, json=body).status_code == 201
    [warning] = last(http)["warnings"]
    assert warning["code"] == "unknown_field_dropped" and "contact.emial" in warning["message"]


def test_idempotency_key_reused_with_another_body_or_path(http: httpx.Client) -> None:
    key = {**GOMRY_WRITE, "Idempotency-Key": "k1"}
    http.post(ATTENDEES, headers=key, json=seat("a@example.com"))
    http.post(ATTENDEES, headers=key, json=seat("someone-else@example.com"))
    http.post(f"{GOMRY}/events/evt_demo/attendees", headers=key,
              json={"ticket_class_id": "tc_general", "contact": {"email": "a@example.com"}})
    other_path, other_body, first = journal(http, limit=3)
    assert first["warnings"] == []
    assert [w["code"] for w in other_body["warnings"]] == ["idempotency_key_reused"]
    assert "another body" in other_body["warnings"][0]["message"]
    assert f"request #{first['id']}" in other_body["warnings"][0]["message"]
    assert "another path and body" in other_path["warnings"][0]["message"]
    assert other_path["replay"] and other_path["entities"] == []


def test_webhook_repost_that_changed_nothing(http: httpx.Client) -> None:
    body = {"tickets": [{"extTicketId": "t1", "email": "a@example.com"}, {"extTicketId": "t2"}]}
    http.post(WEBHOOK, headers=TALQUE_AUTH, json=body)
    assert last(http)["warnings"] == []
    http.post(WEBHOOK, headers=TALQUE_AUTH, json=body)
    [warning] = last(http)["warnings"]
    assert warning["code"] == "webhook_repost_unchanged" and "t1, t2" in warning["message"]


def test_planhat_item_matched_by_id_and_item_without_email(http: httpx.Client) -> None:
    created = http.put("/planhat/tickets", headers=PLANHAT_AUTH, json={"sourceId": "s1", "email": "max@acme.example"})
    ticket_id = created.json()["insertsKeys"][0]["_id"]
    http.put("/planhat/tickets", headers=PLANHAT_AUTH,
             json=[{"_id": ticket_id, "sourceId": "s2", "email": "max@acme.example"}, {"sourceId": "s3"}])
    warnings = last(http)["warnings"]
    assert [w["code"] for w in warnings] == ["planhat_matched_by_id", "planhat_item_dropped"]
    assert f"matched by _id '{ticket_id}', not by sourceId 's2'" in warnings[0]["message"]
    assert "item 1 has no email" in warnings[1]["message"]


# -- headers, curl, entities, filters ----------------------------------------------------------------


def test_headers_masked_and_the_curl_line_reproduces(http: httpx.Client, ticketfakes: Fakes) -> None:
    http.post(ATTENDEES, headers=GOMRY_WRITE, json=seat("a@example.com", quantity=3))
    http.post(ATTENDEES, headers=GOMRY_WRITE, json=seat("b@example.com"))
    entry = last(http)
    assert ["x-api-key", "gk_d…"] in entry["request_headers"]
    assert "gk_demo_write" not in str(entry["request_headers"])
    assert ["content-type", "application/json"] in entry["response_headers"]
    command = shlex.split(entry["curl"])
    assert command[:4] == ["curl", "-X", "POST", f"{ticketfakes.url}{ATTENDEES}"]
    replayed = subprocess.run([*command, "-s", "-w", "\n%{http_code}"], capture_output=True, text=True, check=True,
                              timeout=30)
    body, status = replayed.stdout.rsplit("\n", 1)
    assert status == "409" and "Capacity exceeded" in body


def test_entities_created_or_changed(http: httpx.Client) -> None:
    created = http.post(ATTENDEES, headers=GOMRY_WRITE, json=seat("a@example.com")).json()
    attendee, contact = created["data"][0]["id"], created["data"][0]["contact_id"]
    assert last(http)["entities"] == [
        {"vendor": "gomry", "kind": "attendee", "id": attendee, "action": "created"},
        {"vendor": "gomry", "kind": "contact", "id": contact, "action": "upserted"},
    ]
    http.delete(f"{ATTENDEES}/{attendee}", headers=GOMRY_WRITE)
    assert last(http)["entities"] == [{"vendor": "gomry", "kind": "attendee", "id": attendee, "action": "deleted"}]
    answer = http.post(WEBHOOK, headers=TALQUE_AUTH, json={"tickets": [{"extTicketId": "t1"}]}).json()
    assert last(http)["entities"] == [{"vendor": "talque", "kind": "ticket", "action": "created",
                                       "id": answer["ticketById"]["t1"]["model"]["orgTicketId"]}]


def test_after_and_status_class_filters(http: httpx.Client) -> None:
    http.post(ATTENDEES, headers=GOMRY_WRITE, json=seat("a@example.com"))
    first = last(http)["id"]
    http.post(ATTENDEES, headers=GOMRY_READ, json=seat("a@example.com"))
    http.get(f"{GOMRY}/events", headers=GOMRY_WRITE)
    newer = journal(http, after=first)
    assert [e["id"] for e in newer] == [first + 2, first + 1]
    assert [e["status"] for e in journal(http, status_class="4xx")] == [403]
    assert http.get("/_admin/requests", params={"status_class": "6xx"}).status_code == 400


@pytest.mark.parametrize(
    ("field", "message", "expected"),
    [
        ("quantity", "101 is greater than the maximum of 100", "quantity is 101; the largest allowed is 100"),
        ("tickets.0.phoneNumber", '"1" does not match "^\\+[1-9]"', 'tickets.0.phoneNumber "1" is not an E.164 '
         "phone number (+, then 2 to 15 digits)"),
        ("x", "something new", "x: something new"),
    ],
)
def test_plain_words(field: str, message: str, expected: str) -> None:
    assert plain(field, message) == expected


def test_fake_clock_and_wall_time(http: httpx.Client) -> None:
    http.post("/_admin/clock", json={"advance_ms": 86_400_000})
    http.get(f"{GOMRY}/events", headers=GOMRY_WRITE)
    entry = last(http)
    assert abs(entry["wall_ms"] - time.time() * 1000) < 60_000
    assert abs(entry["at_ms"] - entry["wall_ms"] - 86_400_000) < 60_000


def test_response_headers_are_the_answers_own(http: httpx.Client) -> None:
    plain = http.get(f"{GOMRY}/events", headers=GOMRY_WRITE)
    refused = http.put("/planhat/tickets", json=[])  # 401 with a WWW-Authenticate challenge
    for response, entry in zip((refused, plain), journal(http, limit=2), strict=True):
        listed = dict(entry["response_headers"])
        assert listed["content-length"] == response.headers["content-length"]
        assert listed["content-type"] == response.headers["content-type"]
        assert set(listed) == set(response.headers) - {"date", "server"}
    assert "www-authenticate" in dict(journal(http, limit=1)[0]["response_headers"])
