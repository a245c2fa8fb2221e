"""The control plane over real HTTP: every /_admin endpoint of docs/control-plane.md."""

from __future__ import annotations

import time

import httpx
import pytest

from ticketfakes.admin.client import AdminError
from ticketfakes.pytest_plugin import Fakes

from .conftest import GOMRY_READ, GOMRY_WRITE, PLANHAT_AUTH, TALQUE_AUTH

ATTENDEES = "/gomry/api/v1/events/evt_demo/attendees"
WEBHOOK = "/talque/webhook/org/org-demo/ticket"


def create_attendee(http: httpx.Client, email: str = "jane@example.com", **extra: object) -> httpx.Response:
    body = {"ticket_class_id": "tc_general", "contact": {"email": email}, **extra}
    return http.post(ATTENDEES, headers=GOMRY_WRITE, json=body)


def post_ticket(http: httpx.Client, ext_id: str = "T-1", email: str = "ada@example.com") -> dict:
    response = http.post(WEBHOOK, headers=TALQUE_AUTH, json={"tickets": [{"extTicketId": ext_id, "email": email}]})
    assert response.status_code == 200, response.text
    return response.json()["ticketById"][ext_id]["model"]


def test_reset_all_one_vendor_and_another_fixture_file(http: httpx.Client, ticketfakes: Fakes, tmp_path) -> None:
    assert create_attendee(http).status_code == 201
    post_ticket(http)
    assert http.post("/_admin/reset", json={"vendor": "gomry"}).json() == {"reset": ["gomry"]}
    assert http.get(ATTENDEES, headers=GOMRY_WRITE).json()["pagination"]["total"] == 0
    listed = http.post("/talque/api/v1/ticket/list", headers=TALQUE_AUTH, json={"orgId": "org-demo"}).json()
    assert len(listed["tickets"]) == 1  # talque untouched
    assert http.post("/_admin/reset").json() == {"reset": ["talque", "gomry", "planhat"]}
    listed = http.post("/talque/api/v1/ticket/list", headers=TALQUE_AUTH, json={"orgId": "org-demo"}).json()
    assert listed["tickets"] == []

    other = tmp_path / "other.yaml"
    other.write_text("planhat:\n  tokens: [only_token]\n")
    assert http.post("/_admin/reset", json={"fixtures": str(other)}).status_code == 200
    assert http.get("/planhat/tickets", headers=PLANHAT_AUTH).status_code == 401
    assert http.get("/planhat/tickets", headers={"Authorization": "Bearer only_token"}).status_code == 200
    broken = tmp_path / "broken.yaml"
    broken.write_text("talque:\n  orgs: 5\n")
    response = http.post("/_admin/reset", json={"fixtures": str(broken)})
    assert response.status_code == 400 and "talque.orgs" in response.json()["error"]
    assert http.post("/_admin/reset", json={"fixtures": str(tmp_path / "missing.yaml")}).status_code == 400
    ticketfakes.admin.reset(fixtures=str(pytest.importorskip("ticketfakes.fixtures").DEFAULT_FIXTURES))


def test_bad_reset_bodies_are_400(http: httpx.Client) -> None:
    assert http.post("/_admin/reset", json={"vendor": "nope"}).status_code == 400
    assert http.post("/_admin/reset", json={"surprise": 1}).status_code == 400


def test_state_dump_restore_dump_is_identical(http: httpx.Client, ticketfakes: Fakes) -> None:
    ticketfakes.admin.freeze()
    assert create_attendee(http, quantity=2).status_code == 201
    post_ticket(http)
    http.put("/planhat/tickets", headers=PLANHAT_AUTH, json={"sourceId": "s1", "email": "max@acme.example"})
    dump = ticketfakes.admin.state()
    ticketfakes.admin.reset()
    assert ticketfakes.admin.state() != dump
    ticketfakes.admin.restore(dump)
    assert ticketfakes.admin.state() == dump
    assert http.get(ATTENDEES, headers=GOMRY_WRITE).json()["pagination"]["total"] == 2


def test_restore_of_a_malformed_dump_is_400_and_keeps_the_state(http: httpx.Client, ticketfakes: Fakes) -> None:
    ticketfakes.admin.freeze()
    create_attendee(http)
    before = ticketfakes.admin.state()
    for broken in ({"vendors": {}}, {"vendors": {"talque": {}, "gomry": {"orgs": 5}, "planhat": {}}}, [1]):
        response = http.put("/_admin/state", json=broken)
        assert response.status_code == 400, response.text
        assert response.json()["error"]
    assert ticketfakes.admin.state() == before


def test_vendor_state(http: httpx.Client) -> None:
    for vendor in ("talque", "gomry", "planhat"):
        assert isinstance(http.get(f"/_admin/state/{vendor}").json(), dict)
    assert http.get("/_admin/state/nope").status_code == 400


def test_request_journal_filters_and_shows_validation_errors(http: httpx.Client) -> None:
    http.delete("/_admin/requests")
    create_attendee(http)
    bad = http.post(ATTENDEES, headers=GOMRY_WRITE, json={"contact": {"email": "x@example.com"}, "quantity": 0})
    assert bad.status_code == 400
    http.get("/planhat/tickets", headers=PLANHAT_AUTH)
    entries = http.get("/_admin/requests", params={"vendor": "gomry"}).json()["requests"]
    assert [e["status"] for e in entries] == [400, 201]  # newest first
    rejected = entries[0]
    assert set(rejected["validation_errors"]) >= {"ticket_class_id", "quantity"}
    assert "quantity" in rejected["request_body"]
    assert rejected["method"] == "POST" and rejected["path"] == ATTENDEES and rejected["duration_ms"] >= 0
    assert http.get("/_admin/requests", params={"status": 201}).json()["requests"][0]["vendor"] == "gomry"
    assert http.get("/_admin/requests", params={"method": "get", "vendor": "planhat"}).json()["requests"]
    assert len(http.get("/_admin/requests", params={"limit": 1}).json()["requests"]) == 1
    assert http.delete("/_admin/requests").json() == {"cleared": True}
    assert http.get("/_admin/requests", params={"vendor": "gomry"}).json()["requests"] == []


def test_reading_the_journal_is_not_journaled(http: httpx.Client) -> None:
    http.delete("/_admin/requests")
    http.get("/_admin/clock")
    for _ in range(3):
        entries = http.get("/_admin/requests").json()["requests"]
    assert [(e["method"], e["path"]) for e in entries] == [("GET", "/_admin/clock"), ("DELETE", "/_admin/requests")]


def test_journal_is_a_bounded_ring(http: httpx.Client) -> None:
    http.delete("/_admin/requests")
    for _ in range(1005):
        http.get("/_admin/clock")
    assert len(http.get("/_admin/requests", params={"limit": 5000}).json()["requests"]) == 1000


def test_gomry_outbox(http: httpx.Client) -> None:
    assert http.get("/_admin/gomry/outbox").json() == {"messages": []}
    created = create_attendee(http, quantity=2, send_email=True).json()
    create_attendee(http, email="quiet@example.com")
    messages = http.get("/_admin/gomry/outbox").json()["messages"]
    assert len(messages) == 1
    assert messages[0]["to"] == "jane@example.com"
    assert sorted(messages[0]["attendee_ids"]) == sorted(a["id"] for a in created["data"])


def test_clock_read_advance_set_freeze(http: httpx.Client) -> None:
    clock = http.get("/_admin/clock").json()
    assert clock["frozen"] is False and abs(clock["now_ms"] - time.time() * 1000) < 5000
    frozen = http.post("/_admin/clock", json={"frozen": True}).json()
    time.sleep(0.02)
    assert http.get("/_admin/clock").json() == frozen
    advanced = http.post("/_admin/clock", json={"advance_ms": 86_400_000}).json()
    assert advanced["now_ms"] == frozen["now_ms"] + 86_400_000
    assert http.post("/_admin/clock", json={"set_ms": 1_800_000_000_000}).json()["now_ms"] == 1_800_000_000_000
    model = post_ticket(http)
    assert model["ctime"] >= 1_800_000_000_000  # timestamps follow the fake clock
    assert http.post("/_admin/clock", json={}).status_code == 400
    assert http.post("/_admin/clock", json={"advance_ms": -1}).status_code == 400


def test_clock_drives_idempotency_expiry(http: httpx.Client) -> None:
    headers = {**GOMRY_WRITE, "Idempotency-Key": "clock-key"}
    body = {"ticket_class_id": "tc_general", "contact": {"email": "jane@example.com"}}
    first = http.post(ATTENDEES, headers=headers, json=body)
    assert http.post(ATTENDEES, headers=headers, json=body).headers["idempotent-replay"] == "true"
    http.post("/_admin/clock", json={"advance_ms": 24 * 3600 * 1000 + 1})
    fresh = http.post(ATTENDEES, headers=headers, json=body)
    assert fresh.status_code == 201 and "idempotent-replay" not in fresh.headers
    assert fresh.json()["data"][0]["id"] != first.json()["data"][0]["id"]


def test_talque_profiles_check_ins_and_reset(http: httpx.Client) -> None:
    first = post_ticket(http, "T-1", "Ada@Example.com")
    post_ticket(http, "T-2", "ada@example.com")
    post_ticket(http, "T-3", "bob@example.com")
    profiles = http.get("/_admin/talque/orgs/org-demo/profiles").json()["profiles"]
    assert sorted(p["email"].lower() for p in profiles) == ["ada@example.com", "bob@example.com"]
    ada = next(p["id"] for p in profiles if p["email"].lower() == "ada@example.com")
    listed = http.post("/talque/api/v1/ticket/list", headers=TALQUE_AUTH,
                       json={"orgId": "org-demo", "profileId": ada}).json()
    assert sorted(t["ticketId"] for t in listed["tickets"]) == ["T-1", "T-2"]

    base = f"/_admin/talque/orgs/org-demo/tickets/{first['orgTicketId']}"
    checked = http.post(base + "/check-ins", json={"at_ms": 1_700_000_000_000}).json()
    assert checked["checkIns"] == [1_700_000_000_000] and checked["mtime"] > first["mtime"]
    again = http.post(base + "/check-ins").json()
    assert len(again["checkIns"]) == 2 and again["mtime"] > checked["mtime"]
    reset = http.post(base + "/check-in-reset").json()
    assert reset["checkIns"] == [] and reset["isCheckInReset"] is True and reset["mtime"] > again["mtime"]
    read = http.post("/talque/api/v1/ticket/read", headers=TALQUE_AUTH,
                     json={"orgId": "org-demo", "provider": "demo-shop", "ticketIdList": ["T-1"]}).json()
    assert read["ticketById"]["T-1"]["model"] == reset
    assert http.post("/_admin/talque/orgs/org-demo/tickets/nope/check-ins").status_code == 404
    assert http.get("/_admin/talque/orgs/org-nope/profiles").status_code == 404


def test_fault_rules_latency_status_ratio_times(http: httpx.Client) -> None:
    rules = {"rules": [{"vendor": "planhat", "method": "GET", "path_pattern": "/tickets", "status": 503,
                        "times": 2}]}
    assert http.put("/_admin/faults", json=rules).json()["rules"][0]["times"] == 2
    first = http.get("/planhat/tickets", headers=PLANHAT_AUTH)
    assert first.status_code == 503 and first.json()["message"]  # Planhat's own error shape
    assert http.get("/planhat/tickets", headers=PLANHAT_AUTH).status_code == 503
    assert http.get("/planhat/tickets", headers=PLANHAT_AUTH).status_code == 200  # expired after 2 times
    assert http.get("/_admin/faults").json() == {"rules": []}

    http.put("/_admin/faults", json={"rules": [{"vendor": "talque", "status": 500}]})
    forced = http.post("/talque/api/v1/ticket/list", headers=TALQUE_AUTH, json={"orgId": "org-demo"})
    assert forced.status_code == 500 and forced.json()["success"] is False
    http.put("/_admin/faults", json={"rules": [{"vendor": "gomry", "status": 429}]})
    limited = http.get(ATTENDEES, headers=GOMRY_READ)
    assert limited.status_code == 429 and limited.json()["error"] and limited.headers["retry-after"]

    http.put("/_admin/faults", json={"rules": [{"vendor": "gomry", "latency_ms": 300}]})
    started = time.perf_counter()
    assert http.get("/gomry/api/v1/events", headers=GOMRY_WRITE).status_code == 200
    assert time.perf_counter() - started >= 0.3

    http.put("/_admin/faults", json={"rules": [{"vendor": "planhat", "status": 502, "ratio": 0.5}]})
    statuses = [http.get("/planhat/tickets", headers=PLANHAT_AUTH).status_code for _ in range(200)]
    assert 40 < statuses.count(502) < 160 and statuses.count(200) + statuses.count(502) == 200
    assert http.delete("/_admin/faults").json() == {"rules": []}
    assert http.put("/_admin/faults", json={"rules": [{"ratio": 2}]}).status_code == 400
    assert http.put("/_admin/faults", json={"rules": [{"bogus": 1}]}).status_code == 400


def test_rate_limits_off_by_default_then_published_limits(http: httpx.Client) -> None:
    assert http.get("/_admin/rate-limits").json() == {"gomry": False, "planhat": False}
    for _ in range(70):
        assert http.get(ATTENDEES, headers=GOMRY_READ).status_code == 200
    http.put("/_admin/rate-limits", json={"gomry": True})
    http.post("/_admin/clock", json={"frozen": True})
    statuses = [http.get(ATTENDEES, headers=GOMRY_READ).status_code for _ in range(61)]
    assert statuses[:60] == [200] * 60 and statuses[60] == 429
    limited = http.get(ATTENDEES, headers=GOMRY_READ)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert http.get("/gomry/api/v1/events", headers=GOMRY_WRITE).status_code == 200  # per API key
    http.post("/_admin/clock", json={"advance_ms": 10_000})
    assert http.get(ATTENDEES, headers=GOMRY_READ).status_code == 200  # window by the fake clock

    http.put("/_admin/rate-limits", json={"planhat": True})
    first = http.get("/planhat/tickets", headers=PLANHAT_AUTH)
    assert first.headers["x-rate-limit-limit"] == "200" and first.headers["x-rate-limit-remaining"] == "199"
    for _ in range(199):
        http.get("/planhat/tickets", headers=PLANHAT_AUTH)
    assert http.get("/planhat/tickets", headers=PLANHAT_AUTH).status_code == 429
    http.post("/_admin/reset")
    assert http.get("/_admin/rate-limits").json() == {"gomry": False, "planhat": False}


@pytest.mark.parametrize(("pattern", "fix"), [
    ("events/*", "'/events/*'"),  # no leading /: paths after the prefix always start with one
    ("/gomry/api/v1/events/*", "'/events/*'"),  # the vendor prefix written again
    ("/talque/api/v1/ticket/list", "'/api/v1/ticket/list'"),
    ("/planhat", "'/*'"),
])
def test_a_fault_pattern_that_can_never_match_is_refused_with_the_fix(
        http: httpx.Client, pattern: str, fix: str) -> None:
    answer = http.put("/_admin/faults", json={"rules": [{"status": 503}, {"status": 500, "path_pattern": pattern}]})
    assert answer.status_code == 400
    message = answer.json()["error"]
    assert message.startswith("rules.1.path_pattern: ") and f"write {fix}" in message, message
    assert http.get("/_admin/faults").json() == {"rules": []}  # nothing was applied
    for good in ("/events/*", "*", "/tickets", "/api/v1/ticket/*"):
        assert http.put("/_admin/faults", json={"rules": [{"path_pattern": good, "status": 500}]}).status_code == 200


def test_admin_client_errors_carry_the_servers_message(ticketfakes: Fakes) -> None:
    with pytest.raises(AdminError) as raised:
        ticketfakes.admin.faults({"status": 999})
    assert raised.value.status_code == 400
    assert "rules.0.status: 999 is greater than the maximum of 599" in str(raised.value)
    assert str(raised.value).startswith("PUT /_admin/faults answered 400: ")
    assert isinstance(raised.value, httpx.HTTPStatusError)  # what callers caught before keeps working
    with pytest.raises(AdminError, match="cannot read fixture file"):
        ticketfakes.admin.reset(fixtures="does-not-exist.yaml")


def test_gomry_rate_limit_counts_what_a_key_may_do_not_what_its_guard_refuses(http: httpx.Client) -> None:
    """docs/control-plane.md: the guard (401, 403 scope, 404 another org) runs before the limit."""
    http.post("/_admin/clock", json={"frozen": True})
    assert http.put("/_admin/rate-limits", json={"gomry": True}).status_code == 200
    for _ in range(40):  # gk_demo_read lacks events:read
        assert http.get("/gomry/api/v1/events", headers=GOMRY_READ).status_code == 403
    statuses = [http.get(ATTENDEES, headers=GOMRY_READ).status_code for _ in range(61)]
    assert statuses == [200] * 60 + [429]
