"""Gomry over real HTTP: auth, scopes, tenant isolation, the create rules, capacity, the status workflow,
soft delete, listing, reads, Idempotency-Key and concurrency. The server validates every response
against specs/gomry.yaml (a drift would be a 500 with X-Ticketfakes-Drift), so statuses are exact."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ticketfakes.app import create_app
from ticketfakes.core.faults import FaultRule
from ticketfakes.pytest_plugin import Fakes

from .conftest import GOMRY_OTHER, GOMRY_READ, GOMRY_WRITE, assert_no_drift

BASE = "/gomry/api/v1"
DAY_MS = 24 * 60 * 60 * 1000
EMAILS = itertools.count()
NOON_MS = int(datetime(2026, 5, 26, 12, tzinfo=UTC).timestamp() * 1000)

# Every operation with a path on the default fixture's evt_demo (the attendee id is filled in later).
OPERATIONS = [
    ("POST", "/events/evt_demo/attendees"),
    ("GET", "/events/evt_demo/attendees"),
    ("GET", "/events/evt_demo/attendees/{att}"),
    ("PATCH", "/events/evt_demo/attendees/{att}"),
    ("DELETE", "/events/evt_demo/attendees/{att}"),
    ("GET", "/events"),
    ("GET", "/events/evt_demo"),
    ("GET", "/events/evt_demo/ticket-classes"),
]
BODIES = {
    "POST": {"ticket_class_id": "tc_general", "contact": {"email": "jane@example.com"}},
    "PATCH": {"status": "checked_in"},
}


def create(
    http: httpx.Client,
    event: str = "evt_demo",
    cls: str = "tc_general",
    email: str = "jane@example.com",
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> httpx.Response:
    body = {"ticket_class_id": cls, "contact": {"email": email}, **fields}
    response = http.post(f"{BASE}/events/{event}/attendees", headers=headers or GOMRY_WRITE, json=body)
    assert_no_drift(response)
    return response


def created(http: httpx.Client, **kwargs: Any) -> dict[str, Any]:
    response = create(http, **kwargs)
    assert response.status_code == 201, response.text
    return response.json()


def get(http: httpx.Client, path: str, headers: dict[str, str] | None = None, **params: Any) -> httpx.Response:
    response = http.get(BASE + path, headers=GOMRY_WRITE if headers is None else headers, params=params)
    assert_no_drift(response)
    return response


def patch(http: httpx.Client, event: str, att: str, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    response = http.patch(f"{BASE}/events/{event}/attendees/{att}", headers=headers or GOMRY_WRITE, json=body)
    assert_no_drift(response)
    return response


def delete(http: httpx.Client, event: str, att: str, headers: dict[str, str] | None = None) -> httpx.Response:
    response = http.delete(f"{BASE}/events/{event}/attendees/{att}", headers=headers or GOMRY_WRITE)
    assert_no_drift(response)
    return response


def seats(http: httpx.Client, event: str) -> tuple[int, int | None]:
    body = get(http, f"/events/{event}").json()
    return body["seats_taken"], body["seats_remaining"]


def statuses(http: httpx.Client, event: str, wanted: str) -> list[str]:
    return [a["status"] for a in get(http, f"/events/{event}/attendees", status=wanted, page_size=200).json()["data"]]


def error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert_no_drift(response)
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


# -- auth, scopes, tenants, order of checks --------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_auth_messages_on_every_operation(http: httpx.Client, method: str, path: str) -> None:
    att = created(http)["data"][0]["id"]
    url = BASE + path.format(att=att)
    body = BODIES.get(method)
    assert error(http.request(method, url, json=body), 401) == {"error": "Missing X-API-KEY header"}
    assert error(http.request(method, url, json=body, headers={"X-API-KEY": ""}), 401) == {
        "error": "Missing X-API-KEY header"
    }
    assert error(http.request(method, url, json=body, headers={"X-API-KEY": "gk_nope"}), 401) == {
        "error": "Invalid or revoked API key"
    }


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("POST", "/events/evt_demo/attendees", "attendees:write"),
        ("PATCH", "/events/evt_demo/attendees/{att}", "attendees:write"),
        ("DELETE", "/events/evt_demo/attendees/{att}", "attendees:write"),
        ("GET", "/events", "events:read"),
        ("GET", "/events/evt_demo", "events:read"),
        ("GET", "/events/evt_demo/ticket-classes", "ticket_classes:read"),
    ],
)
def test_read_key_lacks_scope(http: httpx.Client, method: str, path: str, scope: str) -> None:
    att = created(http)["data"][0]["id"]
    response = http.request(method, BASE + path.format(att=att), headers=GOMRY_READ, json=BODIES.get(method))
    assert error(response, 403) == {"error": "insufficient_scope", "required_scope": scope}
    assert get(http, f"/events/evt_demo/attendees/{att}").json()["status"] == "valid"  # nothing changed


def test_read_scope_reads_and_write_implies_read(http: httpx.Client) -> None:
    att = created(http)["data"][0]["id"]
    for headers in (GOMRY_READ, GOMRY_WRITE):
        assert get(http, "/events/evt_demo/attendees", headers=headers).json()["pagination"]["total"] == 1
        assert get(http, f"/events/evt_demo/attendees/{att}", headers=headers).status_code == 200
    other = created(http, event="evt_other", cls="tc_other", headers=GOMRY_OTHER)["data"][0]["id"]
    assert get(http, f"/events/evt_other/attendees/{other}", headers=GOMRY_OTHER).status_code == 200


@pytest.mark.parametrize(("method", "path"), [op for op in OPERATIONS if op[1] != "/events"])
def test_other_orgs_event_is_not_found(http: httpx.Client, method: str, path: str) -> None:
    att = created(http)["data"][0]["id"]
    response = http.request(method, BASE + path.format(att=att), headers=GOMRY_OTHER, json=BODIES.get(method))
    if path in ("/events/evt_demo", "/events/evt_demo/ticket-classes"):
        # gk_other has only attendees:write: the scope check comes before ownership
        assert error(response, 403)["error"] == "insufficient_scope"
        return
    assert error(response, 404) == {"error": "Event not found"}
    assert get(http, f"/events/evt_demo/attendees/{att}").json()["status"] == "valid"


def test_attendee_of_another_org_is_not_found(http: httpx.Client) -> None:
    other = created(http, event="evt_other", cls="tc_other", headers=GOMRY_OTHER)["data"][0]["id"]
    assert error(get(http, f"/events/evt_demo/attendees/{other}"), 404) == {"error": "Attendee not found"}
    assert error(patch(http, "evt_demo", other, {"status": "rejected"}), 404) == {"error": "Attendee not found"}
    assert error(delete(http, "evt_demo", other), 404) == {"error": "Attendee not found"}
    # an attendee of the same org but of another event is not found under this event either
    small = created(http, event="evt_small", cls="tc_small")["data"][0]["id"]
    assert error(get(http, f"/events/evt_demo/attendees/{small}"), 404) == {"error": "Attendee not found"}
    assert get(http, f"/events/evt_other/attendees/{other}", headers=GOMRY_OTHER).json()["status"] == "valid"


def test_ticket_class_must_belong_to_the_event(http: httpx.Client) -> None:
    for cls in ("tc_small", "tc_other", "tc_nope"):
        assert error(create(http, cls=cls), 404) == {"error": "Ticket class not found"}
    assert seats(http, "evt_demo") == (0, 100)


def test_order_of_checks_auth_scope_tenant_body(http: httpx.Client) -> None:
    bad = {"ticket_class_id": "", "contact": {"email": "not-an-email"}, "quantity": 0}
    url = f"{BASE}/events/evt_other/attendees"
    assert error(http.post(url, json=bad, headers={"X-API-KEY": "gk_nope"}), 401)["error"] == (
        "Invalid or revoked API key"
    )
    assert error(http.post(url, json=bad, headers=GOMRY_READ), 403)["error"] == "insufficient_scope"
    assert error(http.post(url, json=bad, headers=GOMRY_WRITE), 404)["error"] == "Event not found"
    # auth runs before the body is even parsed
    raw = {"content": b"{not json", "headers": {"X-API-KEY": "gk_nope", "Content-Type": "application/json"}}
    assert error(http.post(url, **raw), 401)["error"] == "Invalid or revoked API key"
    body = error(http.post(f"{BASE}/events/evt_demo/attendees", json=bad, headers=GOMRY_WRITE), 400)
    assert body["error"] == "Validation failed"
    assert set(body["details"]["fieldErrors"]) == {"ticket_class_id", "contact.email", "quantity"}


def test_unknown_event_is_not_found(http: httpx.Client) -> None:
    assert error(get(http, "/events/evt_nope"), 404) == {"error": "Event not found"}
    assert error(create(http, event="evt_nope"), 404) == {"error": "Event not found"}


# -- create --------------------------------------------------------------------------------------------


def test_create_defaults_and_shape(http: httpx.Client, ticketfakes: Fakes) -> None:
    ticketfakes.admin.freeze()
    ticketfakes.admin.set_clock(NOON_MS)
    body = created(http, email="Jane@Example.com")
    assert body["quantity"] == 1 and len(body["data"]) == 1
    ticket = body["data"][0]
    assert ticket["id"].startswith("tkt_") and ticket["contact_id"].startswith("con_")
    assert ticket == {
        "id": ticket["id"],
        "event_id": "evt_demo",
        "status": "valid",
        "ticket_class_id": "tc_general",
        "ticket_class_name": "General Admission",
        "contact_id": ticket["contact_id"],
        "first_name": None,
        "last_name": None,
        "email": "Jane@Example.com",
        "payment_id": body["payment_id"],
        "payment_method": "cash",
        "created_at": "2026-05-26T12:00:00.000Z",
        "updated_at": "2026-05-26T12:00:00.000Z",
    }
    assert get(http, f"/events/evt_demo/attendees/{ticket['id']}").json() == ticket
    assert ticketfakes.admin.state("gomry")["outbox"] == []  # send_email defaults to false


def test_contact_upsert_case_insensitive_and_names(http: httpx.Client) -> None:
    first = created(http, email="Jane@Example.com")["data"][0]
    body = {
        "ticket_class_id": "tc_general",
        "quantity": 2,
        "contact": {"email": "jane@example.COM", "first_name": "Jane", "last_name": "Doe"},
    }
    response = http.post(f"{BASE}/events/evt_demo/attendees", headers=GOMRY_WRITE, json=body)
    second = error(response, 201)
    assert {t["contact_id"] for t in second["data"]} == {first["contact_id"]}
    assert {(t["email"], t["first_name"], t["last_name"]) for t in second["data"]} == {
        ("Jane@Example.com", "Jane", "Doe")
    }


@pytest.mark.parametrize("quantity", [0, -1, 101, 1000])
def test_quantity_out_of_bounds_is_400(http: httpx.Client, quantity: int) -> None:
    body = error(create(http, cls="tc_open", quantity=quantity), 400)
    assert body["error"] == "Validation failed" and list(body["details"]["fieldErrors"]) == ["quantity"]
    assert seats(http, "evt_demo") == (0, 100)


def test_quantity_bounds_inclusive(http: httpx.Client) -> None:
    assert created(http, cls="tc_open", quantity=100)["quantity"] == 100
    assert seats(http, "evt_demo") == (100, 0)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    quantity=st.integers(-3, 120),
    payment=st.sampled_from(["cash", "free", "external", "card", None]),
    status=st.sampled_from(["valid", "pending_approval", "checked_in", "invited", "rejected", None]),
)
def test_create_accepts_exactly_the_documented_inputs(
    http: httpx.Client, quantity: int, payment: str | None, status: str | None
) -> None:
    before = seats(http, "evt_demo")[0]
    email = f"h{next(EMAILS)}@example.com"  # a fresh contact: no invitation of an earlier example is upgraded
    fields = (
        {"quantity": quantity}
        | ({"payment_method": payment} if payment else {})
        | ({"status": status} if status else {})
    )
    response = create(http, cls="tc_open", email=email, **fields)
    valid = 1 <= quantity <= 100 and payment != "card" and status != "rejected"
    fits = valid and before + quantity <= 100
    if not valid:
        assert error(response, 400)["error"] == "Validation failed"
    elif not fits:
        assert error(response, 409)["seats_remaining"] == 100 - before
    else:
        body = error(response, 201)
        assert body["quantity"] == len(body["data"]) == quantity
        assert {t["payment_method"] for t in body["data"]} == {payment or "cash"}
        assert {t["status"] for t in body["data"]} == {status or "valid"}
        assert len({t["id"] for t in body["data"]}) == quantity
    assert seats(http, "evt_demo")[0] == before + (quantity if fits else 0)


def test_status_default_follows_approval(http: httpx.Client) -> None:
    assert created(http, cls="tc_vip")["data"][0]["status"] == "pending_approval"
    assert created(http, cls="tc_general")["data"][0]["status"] == "valid"
    assert created(http, cls="tc_vip", status="valid")["data"][0]["status"] == "valid"
    # the default list filter (valid, checked_in) hides the pending ticket
    assert statuses(http, "evt_demo", "valid,checked_in") == ["valid", "valid"]
    assert get(http, "/events/evt_demo/attendees").json()["pagination"]["total"] == 2


@pytest.mark.parametrize("method", ["cash", "free", "external"])
def test_payment_method_is_recorded(http: httpx.Client, method: str) -> None:
    body = created(http, payment_method=method, quantity=2)
    assert [t["payment_method"] for t in body["data"]] == [method, method]


def test_one_payment_id_per_request(http: httpx.Client) -> None:
    first = created(http, quantity=3)
    assert {t["payment_id"] for t in first["data"]} == {first["payment_id"]}
    second = created(http, quantity=1)
    assert second["payment_id"] != first["payment_id"]


def test_invited_tickets_are_upgraded_first(http: httpx.Client) -> None:
    invited = created(http, cls="tc_open", status="invited", quantity=2)["data"]
    assert seats(http, "evt_demo") == (2, 98)  # invitations hold seats
    body = created(http, cls="tc_general", quantity=3, payment_method="free")
    assert body["quantity"] == 1  # newly created only
    assert [t["id"] for t in body["data"][:2]] == [t["id"] for t in invited]
    assert {(t["status"], t["ticket_class_id"], t["payment_id"], t["payment_method"]) for t in body["data"]} == {
        ("valid", "tc_general", body["payment_id"], "free")
    }
    assert seats(http, "evt_demo") == (3, 97)
    classes = {c["id"]: c for c in get(http, "/events/evt_demo/ticket-classes").json()["data"]}
    assert classes["tc_open"]["quantity_sold"] == 0 and classes["tc_general"]["quantity_sold"] == 3
    # all invitations used: the next request creates everything
    assert created(http, quantity=1)["quantity"] == 1


def test_send_email_puts_one_message_in_the_outbox(http: httpx.Client, ticketfakes: Fakes) -> None:
    body = created(http, quantity=2, send_email=True)
    outbox = ticketfakes.admin.state("gomry")["outbox"]
    assert len(outbox) == 1
    assert outbox[0]["to"] == "jane@example.com"
    assert outbox[0]["attendee_ids"] == [t["id"] for t in body["data"]]


# -- capacity -------------------------------------------------------------------------------------------


def test_capacity_409_says_how_many_seats_remain_all_or_nothing(http: httpx.Client, ticketfakes: Fakes) -> None:
    assert error(create(http, event="evt_small", cls="tc_small", email="bob@example.com", quantity=4), 409) == {
        "error": "Capacity exceeded: 3 seats remaining",
        "seats_remaining": 3,
    }
    assert created(http, event="evt_small", cls="tc_small", quantity=2)["quantity"] == 2
    assert error(create(http, event="evt_small", cls="tc_small", email="bob@example.com", quantity=2), 409) == {
        "error": "Capacity exceeded: 1 seat remaining",
        "seats_remaining": 1,
    }
    assert seats(http, "evt_small") == (2, 1)
    assert get(http, "/events/evt_small/attendees").json()["pagination"]["total"] == 2
    contacts = ticketfakes.admin.state("gomry")["contacts"]
    assert [c["email"] for c in contacts] == ["jane@example.com"]  # the refused bob was never upserted


def test_class_quantity_total_limits_too(http: httpx.Client) -> None:
    created(http, cls="tc_vip", quantity=4)
    assert error(create(http, cls="tc_vip", quantity=2), 409) == {
        "error": "Capacity exceeded: 1 seat remaining",
        "seats_remaining": 1,
    }
    classes = {c["id"]: c for c in get(http, "/events/evt_demo/ticket-classes").json()["data"]}
    assert (classes["tc_vip"]["quantity_sold"], classes["tc_vip"]["quantity_remaining"]) == (4, 1)


def test_reject_and_delete_free_seats(http: httpx.Client) -> None:
    tickets = created(http, event="evt_small", cls="tc_small", quantity=3)["data"]
    assert error(create(http, event="evt_small", cls="tc_small"), 409)["seats_remaining"] == 0
    assert patch(http, "evt_small", tickets[0]["id"], {"status": "rejected"}).json()["status"] == "rejected"
    assert seats(http, "evt_small") == (2, 1)
    created(http, event="evt_small", cls="tc_small")
    assert delete(http, "evt_small", tickets[1]["id"]).json() == {"deleted": True, "id": tickets[1]["id"]}
    assert seats(http, "evt_small") == (2, 1)
    created(http, event="evt_small", cls="tc_small")
    assert error(create(http, event="evt_small", cls="tc_small"), 409)["seats_remaining"] == 0
    # re-activating the rejected ticket needs a seat: none left
    assert error(patch(http, "evt_small", tickets[0]["id"], {"status": "pending_approval"}), 409) == {
        "error": "Capacity exceeded: 0 seats remaining",
        "seats_remaining": 0,
    }
    assert get(http, f"/events/evt_small/attendees/{tickets[0]['id']}").json()["status"] == "rejected"


# -- PATCH workflow ----------------------------------------------------------------------------------------


def test_patch_transitions(http: httpx.Client, ticketfakes: Fakes) -> None:
    ticketfakes.admin.freeze()
    att = created(http)["data"][0]
    ticketfakes.admin.advance(1000)
    checked = patch(http, "evt_demo", att["id"], {"status": "checked_in"}).json()
    assert checked["status"] == "checked_in" and checked["updated_at"] > att["updated_at"]
    assert error(patch(http, "evt_demo", att["id"], {"status": "pending_approval"}), 422) == {
        "error": "Cannot change status from checked_in to pending_approval",
        "current_status": "checked_in",
        "allowed_statuses": ["valid"],
    }
    ticketfakes.admin.advance(1000)
    same = patch(http, "evt_demo", att["id"], {"status": "checked_in"})
    assert same.status_code == 200 and same.json() == checked  # a no-op keeps updated_at
    assert patch(http, "evt_demo", att["id"], {"status": "valid"}).json()["status"] == "valid"
    assert patch(http, "evt_demo", att["id"], {"status": "rejected"}).json()["status"] == "rejected"
    assert patch(http, "evt_demo", att["id"], {"status": "pending_approval"}).json()["status"] == "pending_approval"
    invited = created(http, cls="tc_open", status="invited", email="inv@example.com")["data"][0]["id"]
    assert error(patch(http, "evt_demo", invited, {"status": "valid"}), 422)["allowed_statuses"] == []


def test_patch_names_and_strict_body(http: httpx.Client) -> None:
    att = created(http)["data"][0]["id"]
    renamed = patch(http, "evt_demo", att, {"first_name": "Janet", "last_name": None}).json()
    assert (renamed["first_name"], renamed["last_name"]) == ("Janet", None)
    body = error(patch(http, "evt_demo", att, {"stauts": "valid"}), 400)
    assert body["error"] == "Validation failed" and "stauts" in body["details"]["fieldErrors"]
    assert error(patch(http, "evt_demo", att, {}), 400)["error"] == "Validation failed"
    assert error(patch(http, "evt_demo", att, {"status": "gone"}), 400)["details"]["fieldErrors"]["status"]


def test_reads_and_lists_follow_every_write(http: httpx.Client, ticketfakes: Fakes) -> None:
    """Attendee answers are memoised: each write (PATCH, DELETE, upgrade, restore, reset) must show at once,
    in the list as in the single read, byte for byte."""
    ticketfakes.admin.freeze()
    ticketfakes.admin.set_clock(NOON_MS)
    every = "valid,pending_approval,checked_in,invited,rejected,deleted"

    def listed() -> dict[str, dict[str, Any]]:
        return {a["id"]: a for a in get(http, "/events/evt_demo/attendees", status=every, page_size=200).json()["data"]}

    def read(att: str) -> httpx.Response:
        return get(http, f"/events/evt_demo/attendees/{att}")

    att = created(http, contact={"email": "jane@example.com", "first_name": "Jane"})["data"][0]
    assert listed() == {att["id"]: att} and read(att["id"]).json() == att
    dump = ticketfakes.admin.state()
    ticketfakes.admin.advance(1234)
    renamed = patch(http, "evt_demo", att["id"], {"first_name": "Janet", "status": "checked_in"})
    assert renamed.json()["updated_at"] == "2026-05-26T12:00:01.234Z"
    assert read(att["id"]).content == renamed.content
    assert listed()[att["id"]] == renamed.json()
    assert [a["status"] for a in get(http, "/events/evt_demo/attendees").json()["data"]] == ["checked_in"]

    ticketfakes.admin.advance(1)
    patch(http, "evt_demo", att["id"], {"status": "valid"})
    delete(http, "evt_demo", att["id"])
    assert (listed()[att["id"]]["status"], listed()[att["id"]]["updated_at"]) == ("deleted", "2026-05-26T12:00:01.235Z")
    assert read(att["id"]).json() == listed()[att["id"]]  # soft-deleted: read as the list shows it

    invited = created(http, cls="tc_open", status="invited", email="bob@example.com")["data"][0]
    assert listed()[invited["id"]] == invited
    upgraded = created(http, email="bob@example.com", payment_method="free")
    seen = listed()[invited["id"]]
    assert seen == upgraded["data"][0] == read(invited["id"]).json()
    assert (seen["status"], seen["ticket_class_name"], seen["payment_method"]) == ("valid", "General Admission", "free")

    ticketfakes.admin.restore(dump)
    assert listed() == {att["id"]: att} and read(att["id"]).json() == att
    ticketfakes.admin.reset("gomry")
    assert listed() == {}


# -- soft delete ---------------------------------------------------------------------------------------------


def test_delete_is_soft(http: httpx.Client) -> None:
    att = created(http, quantity=2)["data"]
    gone = delete(http, "evt_demo", att[0]["id"])
    assert gone.json() == {"deleted": True, "id": att[0]["id"]}
    read = get(http, f"/events/evt_demo/attendees/{att[0]['id']}")
    assert read.status_code == 200 and read.json()["status"] == "deleted"  # soft: still there, as deleted
    again = delete(http, "evt_demo", att[0]["id"])
    assert again.status_code == 200 and again.content == gone.content
    refused = error(patch(http, "evt_demo", att[0]["id"], {"status": "valid"}), 422)  # no way out of deleted
    assert refused == {"error": "Cannot change status from deleted to valid", "current_status": "deleted",
                       "allowed_statuses": []}
    assert get(http, f"/events/evt_demo/attendees/{att[0]['id']}").json() == read.json()
    assert [a["id"] for a in get(http, "/events/evt_demo/attendees").json()["data"]] == [att[1]["id"]]
    listed = get(http, "/events/evt_demo/attendees", status="deleted").json()["data"]
    assert [(a["id"], a["status"]) for a in listed] == [(att[0]["id"], "deleted")]
    assert seats(http, "evt_demo") == (1, 99)


# -- listing and reads ---------------------------------------------------------------------------------------


def test_list_pagination_envelope(http: httpx.Client) -> None:
    ids = [t["id"] for t in created(http, cls="tc_open", quantity=7)["data"]]
    pages = [get(http, "/events/evt_demo/attendees", page=p, page_size=3).json() for p in (1, 2, 3, 4)]
    assert [p["pagination"] for p in pages] == [
        {"total": 7, "page": p, "page_size": 3, "total_pages": 3} for p in (1, 2, 3, 4)
    ]
    assert [a["id"] for p in pages for a in p["data"]] == ids
    assert [len(p["data"]) for p in pages] == [3, 3, 1, 0]
    default = get(http, "/events/evt_demo/attendees").json()
    assert default["pagination"] == {"total": 7, "page": 1, "page_size": 50, "total_pages": 1}
    empty = get(http, "/events/evt_small/attendees").json()
    assert empty == {"data": [], "pagination": {"total": 0, "page": 1, "page_size": 50, "total_pages": 0}}


def test_list_status_filter_default_valid_and_checked_in(http: httpx.Client) -> None:
    valid, checked = (t["id"] for t in created(http, quantity=2)["data"])
    patch(http, "evt_demo", checked, {"status": "checked_in"})
    pending = created(http, cls="tc_vip")["data"][0]["id"]
    invited = created(http, cls="tc_open", status="invited", email="i@example.com")["data"][0]["id"]
    rejected = created(http)["data"][0]["id"]
    patch(http, "evt_demo", rejected, {"status": "rejected"})

    def ids(**params: Any) -> list[str]:
        return [a["id"] for a in get(http, "/events/evt_demo/attendees", **params).json()["data"]]

    assert ids() == [valid, checked]
    assert ids(status="pending_approval,invited") == [pending, invited]
    assert ids(status="rejected") == [rejected]
    assert ids(status="valid,pending_approval,checked_in,invited,rejected") == [
        valid,
        checked,
        pending,
        invited,
        rejected,
    ]


@pytest.mark.parametrize(
    "params", [{"page": 0}, {"page_size": 0}, {"page_size": 201}, {"page": "x"}, {"status": "bogus"}, {"status": ""}]
)
def test_list_bad_params_are_400(http: httpx.Client, params: dict[str, Any]) -> None:
    body = error(get(http, "/events/evt_demo/attendees", **params), 400)
    assert body["error"] == "Validation failed" and set(body["details"]["fieldErrors"]) <= {
        "page",
        "page_size",
        "status",
        "status.0",
    }
    if "status" not in params:
        assert error(get(http, "/events", **params), 400)["error"] == "Validation failed"


def test_events_and_ticket_classes(http: httpx.Client) -> None:
    created(http, event="evt_small", cls="tc_small", quantity=2)
    events = get(http, "/events").json()
    assert [e["id"] for e in events["data"]] == ["evt_demo", "evt_small"]  # never evt_other
    assert events["pagination"] == {"total": 2, "page": 1, "page_size": 50, "total_pages": 1}
    assert get(http, "/events", page=2, page_size=1).json()["data"][0]["id"] == "evt_small"
    assert get(http, "/events/evt_small").json() == {
        "id": "evt_small",
        "name": "Small Workshop",
        "capacity": 3,
        "starts_at": "2026-06-02T14:00:00.000Z",
        "seats_taken": 2,
        "seats_remaining": 1,
    }
    assert error(get(http, "/events/evt_other"), 404) == {"error": "Event not found"}
    classes = get(http, "/events/evt_demo/ticket-classes").json()["data"]
    assert [(c["id"], c["quantity_total"], c["quantity_remaining"], c["requires_approval"]) for c in classes] == [
        ("tc_general", 50, 50, False),
        ("tc_vip", 5, 5, True),
        ("tc_open", None, None, False),
    ]
    small = get(http, "/events/evt_small/ticket-classes").json()["data"]
    assert [(c["quantity_sold"], c["quantity_remaining"]) for c in small] == [(2, 8)]
    assert error(get(http, "/events/evt_other/ticket-classes"), 404) == {"error": "Event not found"}


# -- framework statuses in Gomry's strict error shape -------------------------------------------------------


def test_framework_errors_validate_against_the_strict_error_schema(http: httpx.Client) -> None:
    url = f"{BASE}/events/evt_demo/attendees"
    not_allowed = http.put(url, headers=GOMRY_WRITE)
    assert set(error(not_allowed, 405)) == {"error"}
    assert set(not_allowed.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}
    assert set(error(http.get(f"{BASE}/nope", headers=GOMRY_WRITE), 404)) == {"error"}
    text = {"X-API-KEY": "gk_demo_write", "Content-Type": "text/plain"}
    assert set(error(http.post(url, headers=text, content=b"hi"), 415)) == {"error"}
    att = created(http)["data"][0]["id"]
    assert set(error(http.patch(f"{url}/{att}", headers=text, content=b"hi"), 415)) == {"error"}
    big = b'{"x": "' + b"a" * (1024 * 1024) + b'"}'
    json_headers = {"X-API-KEY": "gk_demo_write", "Content-Type": "application/json"}
    assert set(error(http.post(url, headers=json_headers, content=big), 413)) == {"error"}
    malformed = error(http.post(url, headers=json_headers, content=b"{nope"), 400)
    assert malformed["error"].startswith("Malformed JSON")
    assert error(http.post(url, headers=GOMRY_WRITE), 400)["details"]["fieldErrors"] == {
        "body": ["request body is required"]
    }


# -- Idempotency-Key -----------------------------------------------------------------------------------------


def keyed(
    http: httpx.Client, key: str, headers: dict[str, str] | None = None, event: str = "evt_demo", **body: Any
) -> httpx.Response:
    payload = {"ticket_class_id": "tc_general", "contact": {"email": "jane@example.com"}} | body
    response = http.post(
        f"{BASE}/events/{event}/attendees", json=payload, headers={**(headers or GOMRY_WRITE), "Idempotency-Key": key}
    )
    assert_no_drift(response)
    return response


def same_response(first: httpx.Response, replay: httpx.Response) -> None:
    assert replay.status_code == first.status_code
    assert replay.content == first.content
    assert replay.headers["idempotent-replay"] == "true"
    assert "idempotent-replay" not in first.headers

    def without(response: httpx.Response) -> list[tuple[str, str]]:
        return sorted((k, v) for k, v in response.headers.multi_items() if k not in ("date", "idempotent-replay"))

    assert without(replay) == without(first)


@pytest.mark.parametrize("length", [0, 256])
def test_idempotency_key_length_is_1_to_255(http: httpx.Client, length: int) -> None:
    body = error(keyed(http, "k" * length), 400)
    assert body["error"] == "Validation failed" and "idempotency-key" in body["details"]["fieldErrors"]
    assert seats(http, "evt_demo") == (0, 100)
    assert keyed(http, "k" * 255).status_code == 201


def test_replay_is_identical_and_creates_nothing(http: httpx.Client) -> None:
    first = keyed(http, "attendee-0001", quantity=2)
    assert first.status_code == 201
    replay = keyed(http, "attendee-0001", quantity=2)
    same_response(first, replay)
    # a different body under the same key still replays the first response
    same_response(first, keyed(http, "attendee-0001", quantity=5, ticket_class_id="tc_open"))
    assert seats(http, "evt_demo") == (2, 98)
    # another key runs anew
    assert keyed(http, "attendee-0002").json()["payment_id"] != first.json()["payment_id"]


def test_a_409_is_replayed_even_after_seats_free_up(http: httpx.Client) -> None:
    tickets = created(http, event="evt_small", cls="tc_small", quantity=3)["data"]
    first = keyed(http, "full", event="evt_small", ticket_class_id="tc_small")
    assert error(first, 409)["seats_remaining"] == 0
    delete(http, "evt_small", tickets[0]["id"])
    same_response(first, keyed(http, "full", event="evt_small", ticket_class_id="tc_small"))
    assert seats(http, "evt_small") == (2, 1)
    assert keyed(http, "full-2", event="evt_small", ticket_class_id="tc_small").status_code == 201


def test_every_completed_4xx_is_replayed_under_its_key(http: httpx.Client) -> None:
    # docs/decisions.md: "every completed answer ... is replayed, 4xx included"; the key alone is the replay key
    missing = keyed(http, "k-404", ticket_class_id="tc_nope")
    assert error(missing, 404) == {"error": "Ticket class not found"}
    same_response(missing, keyed(http, "k-404"))
    invalid = keyed(http, "k-400", quantity=0)
    assert error(invalid, 400)["error"] == "Validation failed"
    same_response(invalid, keyed(http, "k-400"))
    not_json = http.post(f"{BASE}/events/evt_demo/attendees", content=b"quantity=1",
                         headers={**GOMRY_WRITE, "Idempotency-Key": "k-415", "Content-Type": "text/plain"})
    assert error(not_json, 415)
    same_response(not_json, keyed(http, "k-415"))
    foreign = keyed(http, "k-404-org", event="evt_other")
    assert error(foreign, 404) == {"error": "Event not found"}
    same_response(foreign, keyed(http, "k-404-org"))
    scope = keyed(http, "k-403", headers=GOMRY_READ)
    assert error(scope, 403)["error"] == "insufficient_scope"
    same_response(scope, keyed(http, "k-403", headers=GOMRY_READ))
    assert keyed(http, "k-403").status_code == 201  # the write key is another scope: its own request runs
    assert seats(http, "evt_demo") == (1, 99)


def test_what_has_no_key_to_be_stored_under_is_not_stored(http: httpx.Client) -> None:
    # no API key (401): nothing scopes the key; an invalid key (400): there is no key; 5xx: never stored
    assert error(keyed(http, "k-401", headers={"X-API-KEY": "nope"}), 401)
    assert keyed(http, "k-401").status_code == 201
    assert error(keyed(http, "k" * 256), 400)
    assert keyed(http, "k" * 255).status_code == 201


def test_keys_are_scoped_per_api_key(http: httpx.Client) -> None:
    mine = keyed(http, "shared-key")
    theirs = keyed(http, "shared-key", headers=GOMRY_OTHER, event="evt_other", ticket_class_id="tc_other")
    assert theirs.status_code == 201 and "idempotent-replay" not in theirs.headers
    assert theirs.json()["data"][0]["event_id"] == "evt_other"
    same_response(mine, keyed(http, "shared-key"))


def test_keys_expire_after_24_hours_of_fake_time(http: httpx.Client, ticketfakes: Fakes) -> None:
    ticketfakes.admin.freeze()
    first = keyed(http, "daily")
    ticketfakes.admin.advance(DAY_MS - 1)
    same_response(first, keyed(http, "daily"))
    ticketfakes.admin.advance(1)
    again = keyed(http, "daily")
    assert again.status_code == 201 and "idempotent-replay" not in again.headers
    assert again.json()["payment_id"] != first.json()["payment_id"]
    assert seats(http, "evt_demo") == (2, 98)


# -- concurrency --------------------------------------------------------------------------------------------


async def _fire(
    base_url: str, requests: list[tuple[dict[str, str], dict[str, Any]]], path: str
) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=base_url, timeout=30.0) as client:
        return await asyncio.gather(*(client.post(path, headers=h, json=b) for h, b in requests))


def test_concurrent_creates_never_oversell(http: httpx.Client, ticketfakes: Fakes) -> None:
    requests = [
        (GOMRY_WRITE, {"ticket_class_id": "tc_small", "contact": {"email": f"p{i}@example.com"}}) for i in range(20)
    ]
    responses = asyncio.run(_fire(ticketfakes.url, requests, f"{BASE}/events/evt_small/attendees"))
    for response in responses:
        assert_no_drift(response)
    assert sorted(r.status_code for r in responses) == [201] * 3 + [409] * 17
    assert seats(http, "evt_small") == (3, 0)
    assert get(http, "/events/evt_small/attendees").json()["pagination"]["total"] == 3


def test_concurrent_requests_with_one_key_create_once(http: httpx.Client, ticketfakes: Fakes) -> None:
    headers = {**GOMRY_WRITE, "Idempotency-Key": "burst"}
    body = {"ticket_class_id": "tc_general", "contact": {"email": "jane@example.com"}}
    responses = asyncio.run(_fire(ticketfakes.url, [(headers, body)] * 10, f"{BASE}/events/evt_demo/attendees"))
    originals = [r for r in responses if r.status_code == 201 and "idempotent-replay" not in r.headers]
    assert len(originals) == 1
    for response in responses:
        assert_no_drift(response)
        if response.status_code == 201:
            assert response.content == originals[0].content
        else:
            assert error(response, 409) == {"error": "idempotent_request_in_progress"}
    assert seats(http, "evt_demo") == (1, 99)


def test_a_repeat_while_the_first_runs_is_409_in_progress() -> None:
    app = create_app(validate_responses=True)
    app.state.ticketfakes.faults.replace([FaultRule(vendor="gomry", method="POST", latency_ms=300)])
    url = f"{BASE}/events/evt_demo/attendees"
    headers = {**GOMRY_WRITE, "Idempotency-Key": "slow"}
    body = {"ticket_class_id": "tc_general", "contact": {"email": "jane@example.com"}}

    async def scenario() -> tuple[list[httpx.Response], httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gomry.test") as client:
            racing = await asyncio.gather(
                client.post(url, headers=headers, json=body), client.post(url, headers=headers, json=body)
            )
            app.state.ticketfakes.faults.clear()
            later = await client.post(url, headers=headers, json=body)
            return list(racing), later, await client.get(f"{BASE}/events/evt_demo", headers=GOMRY_WRITE)

    racing, later, event = asyncio.run(scenario())
    assert sorted(r.status_code for r in racing) == [201, 409]
    first = next(r for r in racing if r.status_code == 201)
    busy = next(r for r in racing if r.status_code == 409)
    assert busy.json() == {"error": "idempotent_request_in_progress"}
    assert "x-ticketfakes-drift" not in busy.headers and "idempotent-replay" not in busy.headers
    same_response(first, later)
    assert event.json()["seats_taken"] == 1


def test_rate_limit_429_in_the_gomry_shape() -> None:
    app = create_app(validate_responses=True)
    app.state.ticketfakes.rate_limits.enabled["gomry"] = True
    app.state.ticketfakes.clock.freeze(True)

    async def scenario() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gomry.test") as client:
            return [await client.get(f"{BASE}/events", headers=GOMRY_WRITE) for _ in range(61)]

    responses = asyncio.run(scenario())
    assert [r.status_code for r in responses] == [200] * 60 + [429]
    assert responses[-1].json() == {"error": "Rate limit exceeded"}
    assert responses[-1].headers["retry-after"] == "10"
