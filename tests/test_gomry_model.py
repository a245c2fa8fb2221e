"""Gomry model: auth and scopes, tenancy, create rules (defaults, contact upsert, invite upgrade, capacity),
the status workflow, soft deletes, listing, outbox, dump/restore, and a state machine that never oversells."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from ticketfakes.core import timestamps
from ticketfakes.core.clock import Clock
from ticketfakes.core.problems import BadRequest, Conflict, Forbidden, NotFound, Unauthorized, Unprocessable
from ticketfakes.core.timestamps import iso_ms, parse_iso
from ticketfakes.fakes.gomry import GomryBackend
from ticketfakes.fakes.gomry.model import TRANSITIONS
from ticketfakes.fakes.gomry.records import HOLDS_SEAT, STATUSES, StatusIndex
from ticketfakes.fixtures import FixtureError, load_fixture_file

T0 = parse_iso("2026-05-26T12:00:00.000Z")
SPEC = Path(__file__).resolve().parents[1] / "specs" / "gomry.yaml"


@pytest.fixture
def clock() -> Clock:
    c = Clock()
    c.freeze(True)
    c.set(T0)
    return c


@pytest.fixture
def b(clock: Clock) -> GomryBackend:
    return GomryBackend.from_fixture(load_fixture_file().section("gomry"), clock)


def key(b: GomryBackend, name: str = "gk_demo_write") -> Any:
    return b.authenticate(name)


def create(
    b: GomryBackend,
    event: str = "evt_demo",
    cls: str = "tc_general",
    email: str = "jane@example.com",
    k: str = "gk_demo_write",
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {"ticket_class_id": cls, "contact": {"email": email, **extra.pop("contact", {})}}
    body.update(extra)
    return b.create_attendees(key(b, k), event, body)


def statuses_of(b: GomryBackend, event: str, wanted: list[str] | None = None) -> dict[str, str]:
    out = b.list_attendees(key(b), event, page_size=200, statuses=wanted or list(STATUSES))
    return {a["id"]: a["status"] for a in out["data"]}


def reference_iso(ms: int) -> str:
    """What `iso_ms` must answer, by plain datetime arithmetic (no memo)."""
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)).isoformat(timespec="milliseconds")[
        :-6
    ] + "Z"


def expected_answers(b: GomryBackend) -> dict[str, dict[str, Any]]:
    """Every attendee's JSON as the dump says it must look, built without the model's memoised views."""
    d = b.dump()
    class_names = {c["id"]: c["name"] for c in d["ticket_classes"]}
    emails = {c["id"]: c["email"] for c in d["contacts"]}
    return {
        a["id"]: {
            "id": a["id"],
            "event_id": a["event_id"],
            "status": a["status"],
            "ticket_class_id": a["ticket_class_id"],
            "ticket_class_name": class_names[a["ticket_class_id"]],
            "contact_id": a["contact_id"],
            "first_name": a["first_name"],
            "last_name": a["last_name"],
            "email": emails[a["contact_id"]],
            "payment_id": a["payment_id"],
            "payment_method": a["payment_method"],
            "created_at": reference_iso(a["created_ms"]),
            "updated_at": reference_iso(a["updated_ms"]),
        }
        for a in d["attendees"]
    }


def assert_answers_match_state(b: GomryBackend, k: Any, events: list[str]) -> None:
    """Lists (every status) and single reads answer exactly what the stored state says, keys in order."""
    expected = expected_answers(b)
    for event_id in events:
        listed = b.list_attendees(k, event_id, page_size=200, statuses=list(STATUSES))["data"]
        assert listed == [v for v in expected.values() if v["event_id"] == event_id]
        # The page as served: each attendee's cached bytes, refreshed with its view.
        served = b.list_attendees(k, event_id, page_size=200, statuses=list(STATUSES), encoded=True)
        assert orjson.loads(orjson.dumps(served)) == {**served, "data": listed}
        for answer in listed:
            assert list(answer) == list(expected[answer["id"]])
            if answer["status"] != "deleted":
                assert b.get_attendee(k, event_id, answer["id"]) == answer


# -- auth, scopes, tenancy -------------------------------------------------------------------------
def test_authenticate_messages(b: GomryBackend) -> None:
    for missing in (None, ""):
        with pytest.raises(Unauthorized, match=r"^Missing X-API-KEY header$"):
            b.authenticate(missing)
    with pytest.raises(Unauthorized, match=r"^Invalid or revoked API key$"):
        b.authenticate("gk_nope")
    assert b.authenticate("gk_demo_read").org_id == "gorg_demo"


def test_scopes_and_write_implies_read(b: GomryBackend) -> None:
    with pytest.raises(Forbidden) as exc:
        create(b, k="gk_demo_read")
    assert (exc.value.message, exc.value.code) == ("insufficient_scope", "insufficient_scope")
    assert exc.value.extra == {"required_scope": "attendees:write"}
    assert b.list_attendees(key(b, "gk_demo_read"), "evt_demo")["data"] == []
    assert b.list_attendees(key(b, "gk_other"), "evt_other")["pagination"]["total"] == 0  # write -> read
    with pytest.raises(Forbidden) as exc:
        b.get_event(key(b, "gk_demo_read"), "evt_demo")
    assert exc.value.extra == {"required_scope": "events:read"}
    with pytest.raises(Forbidden):
        b.list_events(key(b, "gk_other"))
    with pytest.raises(Forbidden) as exc:
        b.list_ticket_classes(key(b, "gk_other"), "evt_other")
    assert exc.value.extra == {"required_scope": "ticket_classes:read"}
    # scope is checked before ownership: a read-only key gets 403, not 404, on another org's event
    with pytest.raises(Forbidden):
        create(b, event="evt_other", k="gk_demo_read")


def test_other_orgs_resources_are_not_found(b: GomryBackend) -> None:
    mine = create(b)["data"][0]["id"]
    with pytest.raises(NotFound, match=r"^Event not found$"):
        create(b, event="evt_other", cls="tc_other")
    with pytest.raises(NotFound, match=r"^Event not found$"):
        create(b, event="evt_demo", k="gk_other")
    with pytest.raises(NotFound, match=r"^Event not found$"):
        b.get_event(key(b), "evt_nope")
    with pytest.raises(NotFound, match=r"^Ticket class not found$"):
        create(b, cls="tc_small")  # a class of another event of the same org
    with pytest.raises(NotFound, match=r"^Ticket class not found$"):
        create(b, cls="tc_nope")
    with pytest.raises(NotFound, match=r"^Attendee not found$"):
        b.get_attendee(key(b), "evt_small", mine)  # right org, wrong event
    with pytest.raises(NotFound, match=r"^Event not found$"):
        b.get_attendee(key(b, "gk_other"), "evt_demo", mine)
    assert [e["id"] for e in b.list_events(key(b))["data"]] == ["evt_demo", "evt_small"]


# -- create ----------------------------------------------------------------------------------------
def test_create_defaults_and_shape(b: GomryBackend) -> None:
    out = create(b, contact={"first_name": "Jane", "last_name": "Doe"})
    assert out["quantity"] == 1 and len(out["data"]) == 1
    t = out["data"][0]
    assert t["status"] == "valid" and t["payment_method"] == "cash" and t["payment_id"] == out["payment_id"]
    assert (t["first_name"], t["last_name"], t["email"]) == ("Jane", "Doe", "jane@example.com")
    assert t["ticket_class_name"] == "General Admission" and t["event_id"] == "evt_demo"
    assert t["created_at"] == t["updated_at"] == "2026-05-26T12:00:00.000Z"
    assert create(b, cls="tc_vip")["data"][0]["status"] == "pending_approval"
    assert create(b, cls="tc_vip", status="valid")["data"][0]["status"] == "valid"  # explicit override
    many = create(b, quantity=3, payment_method="free")
    assert many["quantity"] == 3 and len({a["id"] for a in many["data"]}) == 3
    assert {(a["payment_id"], a["payment_method"]) for a in many["data"]} == {(many["payment_id"], "free")}


def test_timestamps_come_from_the_clock(b: GomryBackend, clock: Clock) -> None:
    clock.set(parse_iso("2027-01-02T03:04:05.678Z"))
    assert create(b)["data"][0]["created_at"] == "2027-01-02T03:04:05.678Z"
    assert iso_ms(0) == "1970-01-01T00:00:00.000Z"


def test_contact_upsert_by_email_case_insensitive(b: GomryBackend) -> None:
    first = create(b, email="Jane@Example.com", contact={"first_name": "Jane"})["data"][0]
    second = create(b, email="JANE@example.COM", contact={"last_name": "Doe", "first_name": None})["data"][0]
    assert second["contact_id"] == first["contact_id"]
    assert second["email"] == "Jane@Example.com"  # the address as first written
    assert (second["first_name"], second["last_name"]) == ("Jane", "Doe")  # null/omitted keep old values
    third = create(b, email="jane@example.com", contact={"first_name": "Janet"})["data"][0]
    assert third["first_name"] == "Janet"
    assert b.get_attendee(key(b), "evt_demo", first["id"])["first_name"] == "Jane"  # tickets keep theirs
    other = create(b, event="evt_other", cls="tc_other", email="jane@example.com", k="gk_other")["data"][0]
    assert other["contact_id"] != first["contact_id"]  # contacts are per org
    assert len(b.dump()["contacts"]) == 2


def test_invited_tickets_are_upgraded_first(b: GomryBackend, clock: Clock) -> None:
    invited = create(b, status="invited", quantity=2)
    assert invited["quantity"] == 2 and {a["status"] for a in invited["data"]} == {"invited"}
    create(b, status="invited", email="bob@example.com")
    create(b, event="evt_small", cls="tc_small", status="invited")
    again = create(b, status="invited")  # asking for invited tickets upgrades nothing
    assert again["quantity"] == 1
    old_ids = [a["id"] for a in invited["data"]] + [again["data"][0]["id"]]
    clock.advance(1000)
    out = create(b, quantity=4, contact={"first_name": "Jane"})
    assert [a["id"] for a in out["data"][:3]] == old_ids  # oldest first
    assert out["quantity"] == 1 and len(out["data"]) == 4
    assert {a["status"] for a in out["data"]} == {"valid"}
    assert {a["payment_id"] for a in out["data"]} == {out["payment_id"]}
    assert out["data"][0]["created_at"] == "2026-05-26T12:00:00.000Z"
    assert out["data"][0]["updated_at"] == "2026-05-26T12:00:01.000Z"
    assert out["data"][0]["first_name"] == "Jane"
    assert b.get_event(key(b), "evt_demo")["seats_taken"] == 5  # 3 upgraded + 1 new + bob's invite
    partial = create(b, email="bob@example.com", quantity=1, status="checked_in")
    assert partial["quantity"] == 0 and partial["data"][0]["status"] == "checked_in"
    small = statuses_of(b, "evt_small")
    assert list(small.values()) == ["invited"]  # the other event's invite was left alone


def test_fewer_requested_than_invited_upgrades_the_oldest(b: GomryBackend) -> None:
    ids = [create(b, status="invited")["data"][0]["id"] for _ in range(3)]
    out = create(b, quantity=2)
    assert out["quantity"] == 0 and [a["id"] for a in out["data"]] == ids[:2]
    assert statuses_of(b, "evt_demo")[ids[2]] == "invited"


def test_upgrade_moves_an_invited_ticket_to_the_requested_class(b: GomryBackend) -> None:
    inv = create(b, cls="tc_open", status="invited")["data"][0]
    out = create(b, cls="tc_general")
    assert out["quantity"] == 0 and out["data"][0]["id"] == inv["id"]
    assert out["data"][0]["ticket_class_id"] == "tc_general"
    classes = {c["id"]: c for c in b.list_ticket_classes(key(b), "evt_demo")["data"]}
    assert classes["tc_open"]["quantity_sold"] == 0 and classes["tc_general"]["quantity_sold"] == 1
    assert b.get_event(key(b), "evt_demo")["seats_taken"] == 1


def test_class_capacity_409_all_or_nothing(b: GomryBackend) -> None:
    create(b, cls="tc_vip", quantity=4)
    before = b.dump()
    with pytest.raises(Conflict) as exc:
        create(b, cls="tc_vip", quantity=2, email="new@example.com", send_email=True)
    assert exc.value.message == "Capacity exceeded: 1 seat remaining"
    assert exc.value.extra == {"seats_remaining": 1}
    assert b.dump() == before  # no contact, no ticket, no e-mail
    create(b, cls="tc_vip")
    with pytest.raises(Conflict, match=r"^Capacity exceeded: 0 seats remaining$"):
        create(b, cls="tc_vip")
    vip = b.list_ticket_classes(key(b), "evt_demo")["data"][1]
    assert (vip["quantity_sold"], vip["quantity_remaining"]) == (5, 0)


def test_event_capacity_409(b: GomryBackend) -> None:
    create(b, event="evt_small", cls="tc_small", quantity=2)
    with pytest.raises(Conflict) as exc:
        create(b, event="evt_small", cls="tc_small", quantity=2)
    assert exc.value.message == "Capacity exceeded: 1 seat remaining"
    event = b.get_event(key(b), "evt_small")
    assert (event["seats_taken"], event["seats_remaining"]) == (2, 1)
    # an unlimited class is still bounded by its event
    create(b, cls="tc_open", quantity=100)
    with pytest.raises(Conflict, match="0 seats remaining"):
        create(b, cls="tc_open")


def test_invited_tickets_hold_seats(b: GomryBackend) -> None:
    create(b, event="evt_small", cls="tc_small", status="invited", quantity=3)
    with pytest.raises(Conflict, match="0 seats remaining"):
        create(b, event="evt_small", cls="tc_small", email="bob@example.com")
    with pytest.raises(Conflict, match="0 seats remaining"):
        create(b, event="evt_small", cls="tc_small", quantity=4)  # 3 upgrades + 1 new seat
    out = create(b, event="evt_small", cls="tc_small", quantity=3)
    assert out["quantity"] == 0 and len(out["data"]) == 3


# -- status workflow and deletes -----------------------------------------------------------------------
def ticket_in(b: GomryBackend, status: str) -> str:
    if status == "rejected":
        tid = create(b, status="pending_approval")["data"][0]["id"]
        b.update_attendee(key(b), "evt_demo", tid, {"status": "rejected"})
        return tid
    return create(b, status=status)["data"][0]["id"]


@pytest.mark.parametrize("source", ["valid", "pending_approval", "checked_in", "invited", "rejected"])
@pytest.mark.parametrize("target", STATUSES)
def test_transition_table(b: GomryBackend, clock: Clock, source: str, target: str) -> None:
    tid = ticket_in(b, source)
    clock.advance(5)
    allowed = {
        "pending_approval": {"valid", "rejected"},
        "valid": {"checked_in", "rejected", "deleted"},
        "checked_in": {"valid"},
        "rejected": {"pending_approval"},
        "invited": set(),
    }[source]
    assert set(TRANSITIONS[source]) == allowed
    if target == source:
        out = b.update_attendee(key(b), "evt_demo", tid, {"status": target})
        assert out["status"] == source and out["updated_at"] == out["created_at"]  # a no-op
    elif target in allowed:
        out = b.update_attendee(key(b), "evt_demo", tid, {"status": target})
        assert out["status"] == target and out["updated_at"] == "2026-05-26T12:00:00.005Z"
    else:
        with pytest.raises(Unprocessable) as exc:
            b.update_attendee(key(b), "evt_demo", tid, {"status": target, "first_name": "X"})
        assert exc.value.extra["current_status"] == source
        assert b.get_attendee(key(b), "evt_demo", tid)["first_name"] is None  # nothing changed


def test_reject_and_delete_free_seats_and_reactivation_needs_one(b: GomryBackend) -> None:
    k = key(b)
    ids = [a["id"] for a in create(b, event="evt_small", cls="tc_small", quantity=3)["data"]]
    b.update_attendee(k, "evt_small", ids[0], {"status": "rejected"})
    assert b.get_event(k, "evt_small")["seats_taken"] == 2
    newcomer = create(b, event="evt_small", cls="tc_small", email="bob@example.com")["data"][0]["id"]
    with pytest.raises(Conflict, match=r"^Capacity exceeded: 0 seats remaining$"):
        b.update_attendee(k, "evt_small", ids[0], {"status": "pending_approval"})
    assert b.delete_attendee(k, "evt_small", newcomer) == {"deleted": True, "id": newcomer}
    assert (
        b.update_attendee(k, "evt_small", ids[0], {"status": "pending_approval"})["status"]
        == "pending_approval"
    )
    b.update_attendee(k, "evt_small", ids[1], {"status": "deleted"})  # PATCH valid -> deleted frees too
    assert b.get_event(k, "evt_small")["seats_taken"] == 2
    small = b.list_ticket_classes(k, "evt_small")["data"][0]
    assert small["quantity_sold"] == 2


def test_deleted_attendees_stay_addressable_but_never_change(b: GomryBackend, clock: Clock) -> None:
    k = key(b)
    tid = create(b, status="invited")["data"][0]["id"]  # any status can be deleted
    assert b.delete_attendee(k, "evt_demo", tid) == {"deleted": True, "id": tid}
    gone = b.get_attendee(k, "evt_demo", tid)  # DELETE is soft: still found, as `deleted`
    assert gone["status"] == "deleted"
    clock.advance(5_000)
    assert b.delete_attendee(k, "evt_demo", tid) == {"deleted": True, "id": tid}  # again: the same answer
    for patch in ({"status": "valid"}, {"status": "invited"}, {"first_name": "Zed"}):
        with pytest.raises(Unprocessable) as refused:
            b.update_attendee(k, "evt_demo", tid, patch)
        assert refused.value.extra == {"current_status": "deleted", "allowed_statuses": []}
    assert b.update_attendee(k, "evt_demo", tid, {"status": "deleted"}) == gone  # the same status: a no-op
    assert b.get_attendee(k, "evt_demo", tid) == gone  # nothing moved, updated_at included
    assert tid not in statuses_of(b, "evt_demo", ["valid", "checked_in", "invited", "pending_approval"])
    assert statuses_of(b, "evt_demo", ["deleted"]) == {tid: "deleted"}
    assert create(b)["quantity"] == 1  # the deleted invite was not upgraded


def test_patch_names_touch_only_the_ticket(b: GomryBackend, clock: Clock) -> None:
    a, c = (
        x["id"] for x in create(b, quantity=2, contact={"first_name": "Jane", "last_name": "Doe"})["data"]
    )
    clock.advance(7)
    out = b.update_attendee(key(b), "evt_demo", a, {"first_name": "Janet", "last_name": None})
    assert (out["first_name"], out["last_name"], out["status"]) == ("Janet", None, "valid")
    assert out["updated_at"] == "2026-05-26T12:00:00.007Z"
    assert b.get_attendee(key(b), "evt_demo", c)["first_name"] == "Jane"
    assert create(b)["data"][0]["first_name"] == "Jane"  # the contact kept its name


# -- listing ---------------------------------------------------------------------------------------------
def test_list_filters_and_pages(b: GomryBackend) -> None:
    k = key(b)
    made = []
    for status in ["valid", "pending_approval", "checked_in", "valid", "invited", "checked_in", "valid"]:
        made.append((create(b, status=status, email=f"{len(made)}@example.com")["data"][0]["id"], status))
    default = b.list_attendees(k, "evt_demo", page=1, page_size=2)
    assert default["pagination"] == {"total": 5, "page": 1, "page_size": 2, "total_pages": 3}
    pages = [b.list_attendees(k, "evt_demo", page=p, page_size=2)["data"] for p in (1, 2, 3, 4)]
    assert [a["id"] for page in pages for a in page] == [i for i, s in made if s in ("valid", "checked_in")]
    assert pages[3] == []
    only = b.list_attendees(k, "evt_demo", statuses=["invited", "pending_approval", "invited"])
    assert [a["id"] for a in only["data"]] == [made[1][0], made[4][0]]
    with pytest.raises(BadRequest):
        b.list_attendees(k, "evt_demo", page=0)
    with pytest.raises(BadRequest):
        b.list_attendees(k, "evt_demo", page_size=201)


def test_list_events_pages(b: GomryBackend) -> None:
    k = key(b)
    second = b.list_events(k, page=2, page_size=1)
    assert [e["id"] for e in second["data"]] == ["evt_small"]
    assert second["pagination"] == {"total": 2, "page": 2, "page_size": 1, "total_pages": 2}
    assert b.list_events(k, page=3, page_size=1)["data"] == []


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(STATUSES), max_size=60),
    st.lists(st.sampled_from(STATUSES), min_size=1, max_size=4, unique=True),
    st.integers(0, 70),
    st.integers(1, 10),
)
def test_status_index_window_matches_brute_force(
    statuses: list[str], wanted: list[str], start: int, size: int
) -> None:
    index = StatusIndex()
    for seq, status in enumerate(statuses, start=1):
        index.add(status, seq * 3)  # gaps, as after deletes of other events' tickets
    expected = [seq * 3 for seq, s in enumerate(statuses, start=1) if s in wanted]
    assert index.count(tuple(wanted)) == len(expected)
    assert index.window(tuple(wanted), start, size) == expected[start : start + size]


# -- outbox, dump/restore, fixtures ---------------------------------------------------------------------
def test_outbox_one_message_per_request(b: GomryBackend) -> None:
    create(b, status="invited")
    create(b, send_email=False)
    assert b.outbox() == []
    out = create(b, quantity=2, send_email=True)
    (msg,) = b.outbox()
    assert msg["to"] == "jane@example.com" and msg["event_id"] == "evt_demo"
    assert msg["attendee_ids"] == [a["id"] for a in out["data"]] and len(msg["attendee_ids"]) == 2
    assert msg["payment_id"] == out["payment_id"] and "Demo Conference" in msg["subject"]
    b.clear_outbox()
    assert b.outbox() == []


def test_dump_restore_roundtrip_and_rebuilt_counters(b: GomryBackend, clock: Clock) -> None:
    create(b, event="evt_small", cls="tc_small", quantity=2, send_email=True)
    tid = create(b, status="invited")["data"][0]["id"]
    dumped = b.dump()
    json.dumps(dumped)
    fresh = GomryBackend(clock)
    fresh.restore(dumped)
    assert fresh.dump() == dumped
    with pytest.raises(Conflict, match="1 seat remaining"):
        create(fresh, event="evt_small", cls="tc_small", quantity=2)
    assert create(fresh)["data"][0]["id"] == tid  # the invite index was rebuilt


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d.pop("orgs"),
        lambda d: d["events"][0].__setitem__("capacity", "100"),
        lambda d: d["attendees"][0].__setitem__("status", "lost"),
        lambda d: d["attendees"][0].__setitem__("ticket_class_id", "tc_vip"),  # a class of another event
        lambda d: d["events"][1].__setitem__("capacity", 1),  # oversold
        lambda d: d["attendees"].append(dict(d["attendees"][0], id="tkt_dup2")),  # seq not increasing
        lambda d: d["contacts"].append(dict(d["contacts"][0], id="con_2", email="JANE@example.com")),
    ],
)
def test_restore_rejects_malformed_state_and_keeps_the_old(b: GomryBackend, edit: Any) -> None:
    create(b, event="evt_small", cls="tc_small", quantity=2)
    before = b.dump()
    bad = json.loads(json.dumps(before))
    edit(bad)
    with pytest.raises(BadRequest, match="Invalid gomry state"):
        b.restore(bad)
    assert b.dump() == before


def test_empty_and_bad_fixtures(tmp_path: Path, clock: Clock) -> None:
    with pytest.raises(Unauthorized):
        GomryBackend.from_fixture(None, clock).authenticate("gk_demo_write")
    path = tmp_path / "f.yaml"
    path.write_text("gomry:\n")
    assert GomryBackend.from_fixture(load_fixture_file(path).section("gomry"), clock).dump()["orgs"] == []
    path.write_text(
        "gomry:\n  orgs:\n    - id: o\n      api_keys:\n        - key: k\n          scopes: {tickets: read}\n"
    )
    with pytest.raises(FixtureError, match=r"scopes\.tickets"):
        GomryBackend.from_fixture(load_fixture_file(path).section("gomry"), clock)


def test_a_fixture_null_where_a_value_belongs_is_refused(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("gomry:\n  orgs:\n    - id:\n")
    with pytest.raises(FixtureError, match=r"gomry\.orgs\[0\]\.id: expected a non-empty string \(line 3\)"):
        GomryBackend.from_fixture(load_fixture_file(path).section("gomry"), clock)


def test_model_outputs_match_the_spec(b: GomryBackend) -> None:
    from openapi_core import OpenAPI
    from openapi_core.testing import MockRequest, MockResponse

    api = OpenAPI.from_dict(yaml.safe_load(SPEC.read_text()))
    host, prefix, k = "http://127.0.0.1:8000", "/gomry/api/v1", key(b)

    def check(method: str, path: str, status: int, body: Any) -> None:
        request = MockRequest(host, method, prefix + path, headers={"X-API-KEY": "gk_demo_write"})
        api.validate_response(request, MockResponse(json.dumps(body), status_code=status))

    created = create(b, quantity=2, contact={"first_name": "Jane", "last_name": None})
    tid = created["data"][0]["id"]
    check("post", "/events/evt_demo/attendees", 201, created)
    check("get", "/events/evt_demo/attendees", 200, b.list_attendees(k, "evt_demo"))
    check("get", f"/events/evt_demo/attendees/{tid}", 200, b.get_attendee(k, "evt_demo", tid))
    check("patch", f"/events/evt_demo/attendees/{tid}", 200, b.update_attendee(k, "evt_demo", tid, {}))
    check("delete", f"/events/evt_demo/attendees/{tid}", 200, b.delete_attendee(k, "evt_demo", tid))
    check("get", "/events", 200, b.list_events(k))
    check("get", "/events/evt_demo", 200, b.get_event(k, "evt_demo"))
    check("get", "/events/evt_demo/ticket-classes", 200, b.list_ticket_classes(k, "evt_demo"))
    check(
        "post",
        "/events/evt_demo/attendees",
        409,
        {"error": "Capacity exceeded: 0 seats remaining", "seats_remaining": 0},
    )
    check(
        "post",
        "/events/evt_demo/attendees",
        403,
        {"error": "insufficient_scope", "required_scope": "attendees:write"},
    )


# -- answers follow every write (the JSON views and ISO strings are memoised) ----------------------------
def test_iso_ms_agrees_with_datetime_arithmetic(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timestamps, "_SECOND_PREFIX_LIMIT", 8)  # the memo is emptied again and again
    rng = random.Random(7)
    lo = (datetime(1, 1, 1, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)
    hi = (datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(
        milliseconds=1
    )
    edges = [0, 1, 999, 1000, 1001, -1, -999, -1000, -1001, lo, hi, T0, T0 - 1, T0 + 999]
    for ms in edges + [rng.randint(lo, hi) for _ in range(2000)] + [T0 + rng.randint(0, 5000) for _ in range(500)]:
        assert iso_ms(ms) == reference_iso(ms), ms
        assert iso_ms(ms) == reference_iso(ms), ms  # again, now from the memo
    assert len(timestamps._SECOND_PREFIX) <= 8
    for outside in (lo - 1, hi + 1):
        with pytest.raises(OverflowError):
            iso_ms(outside)


def test_answers_follow_every_write(b: GomryBackend, clock: Clock) -> None:
    k = key(b)
    events = ["evt_demo", "evt_small"]
    tid = create(b, contact={"first_name": "Jane", "last_name": "Doe"})["data"][0]["id"]
    assert_answers_match_state(b, k, events)  # every view is now memoised
    before = b.dump()

    clock.advance(1500)
    out = b.update_attendee(k, "evt_demo", tid, {"first_name": "Janet", "last_name": None})
    assert (out["first_name"], out["last_name"], out["updated_at"]) == ("Janet", None, "2026-05-26T12:00:01.500Z")
    assert b.get_attendee(k, "evt_demo", tid) == out
    assert_answers_match_state(b, k, events)

    clock.advance(1)
    assert b.update_attendee(k, "evt_demo", tid, {"status": "checked_in"})["status"] == "checked_in"
    listed = b.list_attendees(k, "evt_demo", statuses=["checked_in"])["data"]
    assert [(a["id"], a["status"], a["updated_at"]) for a in listed] == [
        (tid, "checked_in", "2026-05-26T12:00:01.501Z")
    ]
    assert_answers_match_state(b, k, events)

    # The cached answer is dropped by every write (`Attendee.changed`), and only then rebuilt.
    att = b._s.attendees[tid]
    assert att.view is not None
    att.first_name = "Direct"
    assert b.get_attendee(k, "evt_demo", tid)["first_name"] == "Janet"  # a write that skipped `changed`
    att.changed()
    assert b.get_attendee(k, "evt_demo", tid)["first_name"] == "Direct"
    assert_answers_match_state(b, k, events)

    clock.advance(1)
    b.update_attendee(k, "evt_demo", tid, {"status": "valid"})
    b.delete_attendee(k, "evt_demo", tid)
    assert statuses_of(b, "evt_demo") == {tid: "deleted"}
    assert_answers_match_state(b, k, events)

    # An upgrade changes status, class (and its name), names, payment and updated_at of a listed ticket.
    inv = create(b, cls="tc_open", status="invited", email="bob@example.com")["data"][0]
    assert b.get_attendee(k, "evt_demo", inv["id"])["ticket_class_name"] == "Open Entry"
    clock.advance(1)
    up = create(b, cls="tc_general", email="bob@example.com", payment_method="free", contact={"first_name": "Bob"})
    assert up["quantity"] == 0
    got = b.get_attendee(k, "evt_demo", inv["id"])
    assert (got["status"], got["ticket_class_id"]) == ("valid", "tc_general")
    assert got["ticket_class_name"] == "General Admission"
    assert (got["first_name"], got["payment_id"], got["payment_method"]) == ("Bob", up["payment_id"], "free")
    assert got["updated_at"] == "2026-05-26T12:00:01.503Z" != got["created_at"]
    assert_answers_match_state(b, k, events)

    # Restore brings back the old records, and their answers with them.
    b.restore(before)
    assert b.get_attendee(k, "evt_demo", tid)["first_name"] == "Jane"
    assert b.list_attendees(k, "evt_demo")["data"] == [b.get_attendee(k, "evt_demo", tid)]
    assert_answers_match_state(b, k, events)


# -- state machine: seats held always equal the holding tickets, never above a limit ---------------------
CLASSES = {"c1": ("e1", 4, False), "c2": ("e1", None, True), "c3": ("e1", 2, False), "c4": ("e2", 3, False)}
EVENTS = {"e1": 6, "e2": None}


class GomryMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = clock = Clock()
        clock.freeze(True)
        self.b = GomryBackend(clock)
        self.b.add_org("o")
        self.b.add_api_key("k", "o", {"attendees": "write", "events": "read", "ticket_classes": "read"})
        for event_id, capacity in EVENTS.items():
            self.b.add_event(event_id, "o", capacity=capacity)
        for class_id, (event_id, total, approval) in CLASSES.items():
            self.b.add_ticket_class(class_id, event_id, quantity_total=total, requires_approval=approval)
        self.k = self.b.authenticate("k")
        self.tickets: list[tuple[str, str]] = []  # (event, id) ever created

    def _held(self, d: dict[str, Any], field: str, value: str) -> int:
        return sum(1 for a in d["attendees"] if a[field] == value and a["status"] in HOLDS_SEAT)

    @rule(
        class_id=st.sampled_from(sorted(CLASSES)),
        email=st.sampled_from(["a@x.io", "A@X.IO", "b@x.io", "c@x.io"]),
        quantity=st.integers(1, 5),
        status=st.none() | st.sampled_from(["valid", "pending_approval", "checked_in", "invited"]),
    )
    def create(self, class_id: str, email: str, quantity: int, status: str | None) -> None:
        event_id, total, approval = CLASSES[class_id]
        d = self.b.dump()
        contact = next((c["id"] for c in d["contacts"] if c["email"].lower() == email.lower()), None)
        invited = [
            a
            for a in d["attendees"]
            if a["status"] == "invited" and a["contact_id"] == contact and a["event_id"] == event_id
        ]
        upgrades = [] if status == "invited" else invited[:quantity]
        new = quantity - len(upgrades)
        moving = sum(1 for a in upgrades if a["ticket_class_id"] != class_id)
        capacity = EVENTS[event_id]
        fits = (capacity is None or self._held(d, "event_id", event_id) + new <= capacity) and (
            total is None or self._held(d, "ticket_class_id", class_id) + new + moving <= total
        )
        body: dict[str, Any] = {
            "ticket_class_id": class_id,
            "contact": {"email": email},
            "quantity": quantity,
        }
        if status:
            body["status"] = status
        try:
            out = self.b.create_attendees(self.k, event_id, body)
        except Conflict:
            assert not fits
            assert self.b.dump() == d
            return
        assert fits
        assert out["quantity"] == new and [a["id"] for a in out["data"][: len(upgrades)]] == [
            a["id"] for a in upgrades
        ]
        expected = status or ("pending_approval" if approval else "valid")
        assert {a["status"] for a in out["data"]} == {expected}
        self.tickets += [(event_id, a["id"]) for a in out["data"][len(upgrades) :]]

    @precondition(lambda self: self.tickets)
    @rule(pick=st.integers(0, 10_000), new_status=st.sampled_from(STATUSES))
    def patch(self, pick: int, new_status: str) -> None:
        event_id, tid = self.tickets[pick % len(self.tickets)]
        d = self.b.dump()
        current = next(a for a in d["attendees"] if a["id"] == tid)
        try:
            out = self.b.update_attendee(self.k, event_id, tid, {"status": new_status})
        except Unprocessable:
            assert new_status != current["status"] and new_status not in TRANSITIONS[current["status"]]
        except Conflict:
            assert current["status"] == "rejected" and new_status == "pending_approval"
            assert self.b.dump() == d
        else:
            assert out["status"] == new_status
            assert new_status == current["status"] or new_status in TRANSITIONS[current["status"]]

    @precondition(lambda self: self.tickets)
    @rule(pick=st.integers(0, 10_000))
    def delete(self, pick: int) -> None:
        event_id, tid = self.tickets[pick % len(self.tickets)]
        assert self.b.delete_attendee(self.k, event_id, tid) == {"deleted": True, "id": tid}
        assert any(a["id"] == tid and a["status"] == "deleted" for a in self.b.dump()["attendees"])

    @precondition(lambda self: self.tickets)
    @rule(pick=st.integers(0, 10_000), name=st.sampled_from(["Ann", "Bo", None]), tick=st.integers(0, 1500))
    def rename(self, pick: int, name: str | None, tick: int) -> None:
        event_id, tid = self.tickets[pick % len(self.tickets)]
        self.clock.advance(tick)
        before = self.b.get_attendee(self.k, event_id, tid)
        try:
            out = self.b.update_attendee(self.k, event_id, tid, {"first_name": name})
        except Unprocessable:
            assert before["status"] == "deleted" and before["first_name"] != name  # a deleted one never changes
            return
        assert out["first_name"] == name

    @rule(wanted=st.lists(st.sampled_from(STATUSES), min_size=1, max_size=3), size=st.integers(1, 4))
    def list_pages_are_complete_and_disjoint(self, wanted: list[str], size: int) -> None:
        expected = [
            a["id"] for a in self.b.dump()["attendees"] if a["status"] in wanted and a["event_id"] == "e1"
        ]
        seen: list[str] = []
        for page in range(1, len(expected) // size + 3):
            seen += [a["id"] for a in self.b.list_attendees(self.k, "e1", page, size, wanted)["data"]]
        assert seen == expected

    @rule()
    def roundtrip(self) -> None:
        d = self.b.dump()
        self.b.restore(d)
        assert self.b.dump() == d

    @invariant()
    def answers_match_the_stored_state(self) -> None:
        assert_answers_match_state(self.b, self.k, sorted(EVENTS))

    @invariant()
    def seats_match_tickets_and_limits(self) -> None:
        d = self.b.dump()
        for event_id, capacity in EVENTS.items():
            event = self.b.get_event(self.k, event_id)
            held = self._held(d, "event_id", event_id)
            assert event["seats_taken"] == held
            assert capacity is None or held <= capacity
            for c in self.b.list_ticket_classes(self.k, event_id)["data"]:
                assert c["quantity_sold"] == self._held(d, "ticket_class_id", c["id"])
                assert c["quantity_total"] is None or c["quantity_sold"] <= c["quantity_total"]
        seqs = [a["seq"] for a in d["attendees"]]
        assert all(x < y for x, y in pairwise(seqs))


TestGomryMachine = GomryMachine.TestCase
TestGomryMachine.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
