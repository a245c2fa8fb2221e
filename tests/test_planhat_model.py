"""The Planhat model's rules (no HTTP): auth, bulk upsert, list, delete, dump/restore.

Every body the model returns is also checked against specs/planhat.yaml, so model and spec agree.
"""

from __future__ import annotations

import base64
import itertools
import time
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ticketfakes.core.clock import Clock
from ticketfakes.core.problems import BadRequest, NotFound, Unauthorized
from ticketfakes.fakes.planhat import PlanhatBackend
from ticketfakes.fakes.planhat import model as planhat_model
from ticketfakes.fakes.planhat.load import fixture_object_id
from ticketfakes.fakes.planhat.records import Ticket, apply_fields, changes_nothing
from ticketfakes.fixtures import FixtureError, Section, load_fixture_file
from ticketfakes.specs import SpecFile, operations

TOKEN = "ph_demo_token"
MAX = "max@acme.example"
T0 = 1_700_000_000_000  # 2023-11-14T22:13:20.000Z
T0_ISO = "2023-11-14T22:13:20.000Z"

# -- spec conformance -----------------------------------------------------------------------------
_VALIDATORS: dict[tuple[str, int], Any] = {}
for _op in operations(SpecFile("planhat.yaml", "/planhat")):
    for _status, _response in _op.responses.items():
        _schema = _response.get("content", {}).get("application/json", {}).get("schema")
        if _schema is not None:
            _VALIDATORS[(_op.operation_id, int(_status))] = jsonschema_rs.Draft202012Validator(_schema)


def conforms(operation_id: str, status: int, body: Any) -> Any:
    errors = [e.message for e in _VALIDATORS[(operation_id, status)].iter_errors(body)]
    assert not errors, f"{operation_id} {status} does not match the spec: {errors[:3]}"
    return body


_FIXTURE = load_fixture_file().section("planhat")  # parsed once: hypothesis builds many backends


def make(frozen: bool = True) -> PlanhatBackend:
    clock = Clock()
    clock.set(T0)
    clock.freeze(frozen)
    return PlanhatBackend.from_fixture(_FIXTURE, clock)


def put(backend: PlanhatBackend, payload: Any) -> tuple[int, dict[str, Any]]:
    status, body = backend.upsert_tickets(TOKEN, payload)
    conforms("upsertTickets", status, body)
    return status, body


def listing(backend: PlanhatBackend, **kwargs: Any) -> list[dict[str, Any]]:
    return conforms("listTickets", 200, backend.list_tickets(TOKEN, **kwargs))


def ticket(source_id: str, email: str = MAX, **fields: Any) -> dict[str, Any]:
    return {"sourceId": source_id, "email": email, **fields}


# -- auth -----------------------------------------------------------------------------------------
def basic(raw: bytes) -> str:
    return "Basic " + base64.b64encode(raw).decode()


@pytest.mark.parametrize(
    "header",
    [f"Bearer {TOKEN}", f"bearer {TOKEN}", f"  Bearer   {TOKEN} ", basic(b"ph_demo_token:"),
     basic(b"ph_demo_token:whatever"), basic(b"ph_demo_token:a:b")],
)
def test_accepted_authorization_headers(header: str) -> None:
    assert make().authenticate(header) == TOKEN


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer ", "Bearer wrong", f"Token {TOKEN}", TOKEN, basic(b"ph_demo_token"),
     basic(b":ph_demo_token"), basic(b"wrong:"), "Basic !!!not-base64!!!", "Basic cGhf", basic(b"\xff\xfe:")],
)
def test_rejected_authorization_headers(header: str | None) -> None:
    with pytest.raises(Unauthorized) as info:
        make().authenticate(header)
    assert info.value.status == 401
    assert info.value.message == "Invalid or missing token"
    assert "WWW-Authenticate" in info.value.headers
    conforms("listTickets", 401, {"message": info.value.message})


def test_every_operation_checks_the_token() -> None:
    backend = make()
    with pytest.raises(Unauthorized):
        backend.upsert_tickets("nope", ticket("1"))
    with pytest.raises(Unauthorized):
        backend.list_tickets("nope")
    with pytest.raises(Unauthorized):
        backend.delete_ticket("nope", "x")


# -- upsert: create, update, nonupdate ---------------------------------------------------------------
def test_create_links_known_end_user_and_normalises_dates() -> None:
    backend = make()
    status, body = put(backend, ticket("123", source="HomeGrownSupport", status="resolved",
                                       createdAt="2016-10-17T16:00:00+02:00", updatedAt="2016-10-17T14:02Z"))
    assert status == 200
    (new_id,) = body["upsertedIds"]
    assert body["created"] == 1 and body["insertsKeys"] == [{"_id": new_id, "sourceId": "123"}]
    assert (body["updated"], body["nonupdates"], body["modified"]) == (0, 0, [])
    assert listing(backend) == [{
        "_id": new_id, "source": "HomeGrownSupport", "sourceId": "123", "email": MAX,
        "companyExternalId": "acme-ext", "companyId": "acme", "companyName": "Acme Inc",
        "endUserId": fixture_object_id("enduser", MAX), "status": "resolved",
        "createdAt": "2016-10-17T14:00:00.000Z", "updatedAt": "2016-10-17T14:02:00.000Z",
    }]


def test_timestamps_default_to_the_fake_clock() -> None:
    backend = make()
    put(backend, ticket("1"))
    (stored,) = listing(backend)
    assert stored["createdAt"] == stored["updatedAt"] == T0_ISO
    assert stored["_id"][:8] == f"{T0 // 1000:08x}"  # ObjectId time part from the fake clock


def test_identical_resend_is_a_nonupdate_and_keeps_updated_at() -> None:
    backend = make()
    item = ticket("1", title="Login broken", tags=["a", "b"], timeSpent=1.5, custom={"tier": "gold"})
    put(backend, item)
    before = backend.dump()
    backend.clock.advance(60_000)
    status, body = put(backend, [item, dict(item)])
    assert status == 200
    assert (body["created"], body["updated"], body["nonupdates"], body["modified"]) == (0, 0, 2, [])
    assert body["updatesKeys"] == [] and body["upsertedIds"] == []
    assert backend.dump() == before


def test_real_change_updates_only_posted_fields_and_moves_updated_at() -> None:
    backend = make()
    put(backend, ticket("1", title="Old", status="open", createdAt="2020-01-01"))
    backend.clock.advance(5_000)
    status, body = put(backend, ticket("1", status="closed"))
    (stored,) = listing(backend)
    assert status == 200 and body["updated"] == 1
    assert body["updatesKeys"] == [{"_id": stored["_id"], "sourceId": "1"}]
    assert body["modified"] == [stored["_id"]]
    assert stored["title"] == "Old" and stored["status"] == "closed"
    assert stored["createdAt"] == "2020-01-01T00:00:00.000Z"
    assert stored["updatedAt"] == "2023-11-14T22:13:25.000Z"


def test_posted_updated_at_wins_and_alone_is_a_change() -> None:
    backend = make()
    put(backend, ticket("1", updatedAt="2020-01-01T00:00:00Z"))
    _, body = put(backend, ticket("1", updatedAt="2021-01-01T00:00:00Z"))
    assert body["updated"] == 1
    assert listing(backend)[0]["updatedAt"] == "2021-01-01T00:00:00.000Z"


def test_null_clears_a_field_and_custom_merges_by_key() -> None:
    backend = make()
    put(backend, ticket("1", title="T", tags=["x"], custom={"a": 1, "b": {"c": 2}}))
    put(backend, ticket("1", title=None, custom={"a": None, "d": [1]}))
    (stored,) = listing(backend)
    assert "title" not in stored and stored["tags"] == ["x"]
    assert stored["custom"] == {"b": {"c": 2}, "d": [1]}
    put(backend, ticket("1", custom=None, tags=None))
    assert "custom" not in listing(backend)[0] and "tags" not in listing(backend)[0]


def test_unknown_fields_are_accepted_and_not_stored() -> None:
    backend = make()
    status, _ = put(backend, ticket("1", priority="p1", _v=3))
    assert status == 200 and "priority" not in listing(backend)[0]


def test_stored_values_are_copies() -> None:
    backend = make()
    item = ticket("1", tags=["a"], custom={"x": {"y": 1}})
    put(backend, item)
    item["custom"]["x"]["y"] = 2
    item["tags"].append("b")
    listing(backend)[0]["custom"]["x"]["y"] = 3
    assert listing(backend)[0]["custom"] == {"x": {"y": 1}} and listing(backend)[0]["tags"] == ["a"]


# -- upsert: dropped and failing items -----------------------------------------------------------
@pytest.mark.parametrize("email", [None, "", "   ", "missing"])
def test_items_without_email_are_dropped_silently(email: str | None) -> None:
    backend = make()
    item = {"sourceId": "1", "title": "t"}
    if email != "missing":
        item["email"] = email
    status, body = put(backend, [item, item])
    assert status == 200
    assert body == {**body, "created": 0, "updated": 0, "nonupdates": 0, "createdErrors": [],
                    "updatedErrors": []}
    assert listing(backend) == []


def test_even_an_id_update_without_email_is_dropped() -> None:
    backend = make()
    _, body = put(backend, ticket("1", title="A"))
    status, body = put(backend, {"_id": body["upsertedIds"][0], "title": "B"})
    assert status == 200 and body["updated"] == 0 and listing(backend)[0]["title"] == "A"


def test_unknown_email_with_known_company_creates_the_end_user() -> None:
    backend = make()
    status, body = put(backend, [ticket("1", "Anna@Acme.example", companyExternalId="acme-ext"),
                                 ticket("2", "anna@acme.example")])  # now known: no company needed
    assert status == 200 and body["created"] == 2
    first, second = listing(backend)
    assert first["endUserId"] == second["endUserId"] != fixture_object_id("enduser", MAX)
    assert second["companyId"] == "acme"
    users = [u for u in backend.dump()["endUsers"] if u["email"].lower() == "anna@acme.example"]
    assert users == [
        {"id": first["endUserId"], "email": "Anna@Acme.example", "companyId": "acme", "name": None}
    ]


def test_unknown_email_without_company_fails_that_item_only() -> None:
    backend = make()
    status, body = put(backend, [ticket("1"), ticket("2", "who@nowhere.example")])
    assert status == 206 and body["created"] == 1
    (error,) = body["createdErrors"]
    assert error == {"item": 1, "sourceId": "2", "message": error["message"]}
    assert "who@nowhere.example" in error["message"]
    status, body = put(backend, ticket("3", "who@nowhere.example"))
    assert status == 400 and body["createdErrors"][0]["item"] == 0
    assert [t["sourceId"] for t in listing(backend)] == ["1"]


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ({"companyExternalId": "nope"}, "companyExternalId nope"),
        ({"companyId": "nope"}, "companyId nope"),
        ({"companyId": "acme", "companyExternalId": "globex-ext"}, "different companies"),
        ({"email": "not-an-email"}, "Invalid email"),
        ({"createdAt": "yesterday"}, "Invalid date in createdAt"),
        ({"updatedAt": "2020-02-30"}, "Invalid date in updatedAt"),
    ],
)
def test_item_failures(extra: dict[str, Any], words: str) -> None:
    backend = make()
    status, body = put(backend, {**ticket("1"), **extra})
    assert status == 400 and words in body["createdErrors"][0]["message"]
    put(backend, ticket("1"))
    status, body = put(backend, {**ticket("1"), **extra})  # same item against a stored ticket: an update
    assert status == 400 and words in body["updatedErrors"][0]["message"] and not body["createdErrors"]


def test_failing_item_leaves_no_end_user_behind() -> None:
    backend = make()
    users = backend.dump()["endUsers"]
    put(backend, ticket("1", "new@acme.example", companyId="acme", createdAt="bad"))
    assert backend.dump()["endUsers"] == users


def test_explicit_company_wins_over_the_end_users_company() -> None:
    backend = make()
    put(backend, ticket("1", companyId="globex"))
    stored = listing(backend)[0]
    assert (stored["companyId"], stored["companyName"], stored["companyExternalId"]) == (
        "globex", "Globex Corporation", "globex-ext")
    assert stored["endUserId"] == fixture_object_id("enduser", MAX)


def test_item_without_any_key_fails_and_unknown_id_fails_as_update() -> None:
    backend = make()
    status, body = put(backend, [{"email": MAX, "title": "no key"}, {"_id": "0" * 24, "email": MAX},
                                 {"_id": "0" * 24, "sourceId": "new", "email": MAX}])
    assert status == 400
    message = "sourceId is required (or _id to update an existing ticket)"
    assert body["createdErrors"] == [{"item": 0, "sourceId": None, "message": message}]
    assert [(e["item"], e["_id"], e["sourceId"]) for e in body["updatedErrors"]] == [
        (1, "0" * 24, None), (2, "0" * 24, "new")]
    assert listing(backend) == []


def test_non_object_item_fails() -> None:
    backend = make()
    status, body = backend.upsert_tickets(TOKEN, [ticket("1"), "oops"])
    assert status == 206 and body["createdErrors"][0]["item"] == 1


def test_id_wins_over_source_id() -> None:
    backend = make()
    _, body = put(backend, [ticket("a"), ticket("b")])
    a_id, b_id = body["upsertedIds"]
    status, body = put(backend, {"_id": a_id, "sourceId": "z", "email": MAX, "title": "renamed"})
    assert status == 200 and body["updatesKeys"] == [{"_id": a_id, "sourceId": "z"}]
    by_id = {t["_id"]: t for t in listing(backend)}
    assert by_id[a_id]["sourceId"] == "z" and by_id[b_id]["sourceId"] == "b"
    _, body = put(backend, ticket("a"))  # "a" is free again: a new ticket
    assert body["created"] == 1
    status, body = put(backend, {"_id": a_id, "sourceId": "b", "email": MAX})  # b belongs to another
    assert status == 400 and "already belongs" in body["updatedErrors"][0]["message"]
    assert {t["sourceId"] for t in listing(backend)} == {"z", "b", "a"}


def test_duplicate_keys_in_one_batch_apply_in_order() -> None:
    backend = make()
    batch = [ticket("1", title="first"), ticket("1", title="second"), ticket("1", title="second")]
    status, body = put(backend, batch)
    assert status == 200
    assert (body["created"], body["updated"], body["nonupdates"]) == (1, 1, 1)
    assert body["modified"] == body["upsertedIds"]
    assert [t["title"] for t in listing(backend)] == ["second"]


def test_more_than_5000_items_is_rejected_whole() -> None:
    backend = make()
    with pytest.raises(BadRequest) as info:
        backend.upsert_tickets(TOKEN, [ticket(str(i)) for i in range(5001)])
    conforms("upsertTickets", 400, {"message": info.value.message})
    assert listing(backend) == []
    status, body = put(backend, [ticket(str(i)) for i in range(5000)])
    assert status == 200 and body["created"] == 5000


def test_empty_array_is_ok() -> None:
    status, body = put(make(), [])
    assert status == 200 and body["created"] == 0


def test_5000_items_timing() -> None:
    backend = make(frozen=False)
    items = [ticket(f"ZD-{i}", f"user{i}@acme.example", companyExternalId="acme-ext", title=f"T{i}",
                    tags=["a", "b"], status="open", custom={"n": i}) for i in range(5000)]
    timings = []
    for label in ("create", "nonupdate"):
        start = time.perf_counter()
        status, body = backend.upsert_tickets(TOKEN, items)
        timings.append(f"{label} {time.perf_counter() - start:.3f}s")
        assert status == 200
    for item in items:
        item["status"] = "closed"
    start = time.perf_counter()
    status, body = backend.upsert_tickets(TOKEN, items)
    timings.append(f"update {time.perf_counter() - start:.3f}s")
    assert body["updated"] == 5000 and len(body["modified"]) == 5000
    print("\nplanhat 5000-item upsert:", ", ".join(timings))


# -- list ------------------------------------------------------------------------------------------
def seeded() -> tuple[PlanhatBackend, list[str]]:
    backend = make()
    _, body = put(backend, [
        ticket("s1", status="open", severity="b", timeSpent=3),
        ticket("s2", "x@globex.example", companyId="globex", status="closed", severity="a"),
        ticket("s3", "MAX@acme.example", status="open", timeSpent=1, custom={"rank": 2}),
        ticket("s4", status="open", severity="a", custom={"rank": 1}),
    ])
    return backend, body["upsertedIds"]


def test_list_defaults_paging_and_bounds() -> None:
    backend, ids = seeded()
    assert [t["_id"] for t in listing(backend)] == ids
    assert [t["_id"] for t in listing(backend, limit=2, offset=1)] == ids[1:3]
    assert listing(backend, offset=10) == []
    for bad in ({"limit": 0}, {"limit": 10_001}, {"offset": -1}):
        with pytest.raises(BadRequest) as info:
            backend.list_tickets(TOKEN, **bad)
        conforms("listTickets", 400, {"message": info.value.message})
    assert len(listing(backend, limit=10_000)) == 4


def test_sort_is_stable_with_missing_values_last() -> None:
    backend, ids = seeded()
    s1, s2, s3, s4 = ids
    assert [t["_id"] for t in listing(backend, sort="severity")] == [s2, s4, s1, s3]
    assert [t["_id"] for t in listing(backend, sort="-severity")] == [s1, s2, s4, s3]
    assert [t["_id"] for t in listing(backend, sort="timeSpent")] == [s3, s1, s2, s4]
    assert [t["_id"] for t in listing(backend, sort="-status")] == [s1, s3, s4, s2]
    assert [t["_id"] for t in listing(backend, sort="custom.rank")] == [s4, s3, s1, s2]
    assert [t["_id"] for t in listing(backend, sort="nosuchfield")] == ids
    assert [t["_id"] for t in listing(backend, sort="-sourceId", limit=2, offset=1)] == [s3, s2]


def test_filters_are_exact_and_combine() -> None:
    backend, ids = seeded()
    s1, _, s3, s4 = ids
    assert [t["_id"] for t in listing(backend, company_id="acme")] == [s1, s3, s4]
    assert [t["_id"] for t in listing(backend, email="max@ACME.example")] == [s1, s3, s4]
    both = listing(backend, status="open", company_id="acme", sort="-timeSpent")
    assert [t["_id"] for t in both] == [s1, s3, s4]
    assert listing(backend, status="Open") == [] and listing(backend, company_id="nope") == []
    put(backend, ticket("s1", status="closed"))  # re-filed in the status index: order stays creation order
    put(backend, ticket("s1", status="open"))
    assert [t["_id"] for t in listing(backend, status="open")] == [s1, s3, s4]


def test_select_returns_only_those_fields_plus_id() -> None:
    backend, ids = seeded()
    assert listing(backend, select="sourceId, status,nosuch", limit=1) == [
        {"_id": ids[0], "sourceId": "s1", "status": "open"}]


def test_views_see_every_write() -> None:
    backend, ids = seeded()
    assert [t["sourceId"] for t in listing(backend, sort="-sourceId")] == ["s4", "s3", "s2", "s1"]
    put(backend, ticket("s0"))
    assert [t["sourceId"] for t in listing(backend, sort="-sourceId")] == ["s4", "s3", "s2", "s1", "s0"]
    backend.delete_ticket(TOKEN, ids[3])
    assert [t["sourceId"] for t in listing(backend, sort="-sourceId")] == ["s3", "s2", "s1", "s0"]
    assert [t["sourceId"] for t in listing(backend, status="open")] == ["s1", "s3"]
    put(backend, ticket("s2", "x@globex.example", companyId="globex", status="open"))
    assert [t["sourceId"] for t in listing(backend, sort="-sourceId")] == ["s3", "s2", "s1", "s0"]
    assert [t["sourceId"] for t in listing(backend, status="open")] == ["s1", "s2", "s3"]


# -- delete --------------------------------------------------------------------------------------
def test_delete_then_404_and_source_id_free_again() -> None:
    backend, ids = seeded()
    assert conforms("deleteTicket", 200, backend.delete_ticket(TOKEN, ids[0])) == {
        "n": 1, "ok": 1, "deletedCount": 1}
    with pytest.raises(NotFound) as info:
        backend.delete_ticket(TOKEN, ids[0])
    conforms("deleteTicket", 404, {"message": info.value.message})
    assert ids[0] not in [t["_id"] for t in listing(backend)]
    _, body = put(backend, ticket("s1"))
    assert body["created"] == 1 and body["upsertedIds"] != [ids[0]]


# -- state ---------------------------------------------------------------------------------------
def test_dump_restore_round_trip_and_bad_restore_keeps_state() -> None:
    backend, ids = seeded()
    dump = backend.dump()
    other = make()
    other.restore(dump)
    assert other.dump() == dump
    assert listing(other, sort="timeSpent") == listing(backend, sort="timeSpent")
    _, body = put(other, ticket("s1", title="after restore"))
    assert body["updated"] == 1 and body["updatesKeys"][0]["_id"] == ids[0]
    for bad in ([], {"tickets": [{"_id": "x"}]}, {"extra": 1}, {**dump, "tickets": dump["tickets"] * 2},
                {**dump, "companies": []}):
        with pytest.raises(BadRequest):
            backend.restore(bad)
        assert backend.dump() == dump


def test_fixture_handling(tmp_path: Any) -> None:
    empty = PlanhatBackend.from_fixture(None, Clock())
    assert empty.dump() == {"tokens": [], "companies": [], "endUsers": [], "tickets": []}
    path = tmp_path / "f.yaml"
    path.write_text("planhat:\n  tokens: [t]\n  endusers:\n    - {email: a@b.example, company: nope}\n")
    with pytest.raises(FixtureError, match=r"planhat.endusers\[0\].company"):
        PlanhatBackend.from_fixture(load_fixture_file(path).section("planhat"), Clock())
    path.write_text("planhat:\n")
    section: Section = load_fixture_file(path).section("planhat")
    assert PlanhatBackend.from_fixture(section, Clock()).dump()["tokens"] == []
    assert make().dump()["endUsers"][0]["id"] == make().dump()["endUsers"][0]["id"]  # stable across resets


# -- properties ----------------------------------------------------------------------------------
EMAILS = st.sampled_from([None, "", MAX, "MAX@acme.example", "new@acme.example", "x@globex.example", "bad"])
ITEMS = st.fixed_dictionaries(
    {"email": EMAILS},
    optional={
        "sourceId": st.sampled_from(["a", "b", "c", "d", ""]),
        "_id": st.sampled_from(["existing0", "existing1", "unknown"]),
        "companyExternalId": st.sampled_from([None, "acme-ext", "globex-ext", "nope"]),
        "title": st.sampled_from([None, "x", "y"]),
        "status": st.sampled_from(["open", "closed"]),
        "createdAt": st.sampled_from(["2020-01-01", "2020-01-01T00:00:00Z", "nope"]),
    },
)
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _resolve_ids(backend: PlanhatBackend, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    stored = [t["_id"] for t in backend.list_tickets(TOKEN, limit=10_000)]
    out = []
    for item in batch:
        item = dict(item)
        if item.get("_id", "").startswith("existing"):
            n = int(item["_id"][-1])
            item["_id"] = stored[n] if n < len(stored) else "f" * 24
        out.append(item)
    return out


def _dropped(item: dict[str, Any]) -> bool:
    return not (isinstance(item.get("email"), str) and item["email"].strip())


@PROPERTY_SETTINGS
@given(st.lists(st.lists(ITEMS, max_size=8), min_size=1, max_size=5))
def test_property_counts_add_up_and_keys_never_duplicate(batches: list[list[dict[str, Any]]]) -> None:
    backend = make()
    for raw in batches:
        batch = _resolve_ids(backend, raw)
        status, body = put(backend, batch)
        failed = len(body["createdErrors"]) + len(body["updatedErrors"])
        succeeded = body["created"] + body["updated"] + body["nonupdates"]
        assert succeeded + failed == sum(not _dropped(item) for item in batch)
        assert status == (200 if not failed else 206 if succeeded else 400)
        assert body["created"] == len(body["insertsKeys"]) == len(body["upsertedIds"])
        assert body["updated"] == len(body["updatesKeys"]) >= len(body["modified"])
        assert len(body["modified"]) == len(set(body["modified"]))
        stored = listing(backend, limit=10_000)
        source_ids = [t["sourceId"] for t in stored]
        assert len(source_ids) == len(set(source_ids)) and "" not in source_ids
        assert len({t["_id"] for t in stored}) == len(stored)
        assert set(body["upsertedIds"]) | set(body["modified"]) <= {t["_id"] for t in stored}
    dump = backend.dump()
    restored = make()
    restored.restore(dump)
    assert restored.dump() == dump


@PROPERTY_SETTINGS
@given(
    new_source=st.text(min_size=1, max_size=10).filter(lambda s: s not in ("a", "b")),
    title=st.text(max_size=10),
)
def test_property_id_wins_over_source_id(new_source: str, title: str) -> None:
    backend = make()
    _, body = put(backend, [ticket("a"), ticket("b")])
    a_id, b_id = body["upsertedIds"]
    b_before = [t for t in listing(backend) if t["_id"] == b_id]
    _, body = put(backend, {"_id": a_id, "sourceId": new_source, "email": MAX, "title": title})
    assert body["created"] == 0 and body["updatesKeys"] == [{"_id": a_id, "sourceId": new_source}]
    after = {t["_id"]: t for t in listing(backend)}
    assert len(after) == 2 and after[a_id]["sourceId"] == new_source and after[a_id]["title"] == title
    assert [after[b_id]] == b_before
    _, body = put(backend, {"_id": b_id, "sourceId": new_source, "email": MAX})  # someone else's key
    assert body["updatedErrors"] and {t["_id"]: t for t in listing(backend)}[b_id] == b_before[0]


FIELD_VALUES = st.fixed_dictionaries(
    {},
    optional={
        "title": st.one_of(st.none(), st.text(max_size=5)),
        "tags": st.lists(st.text(max_size=3), max_size=3),
        "timeSpent": st.one_of(st.integers(-5, 5), st.floats(allow_nan=False, allow_infinity=False)),
        "status": st.sampled_from(["open", "closed"]),
        "custom": st.dictionaries(
            st.text(max_size=3), st.one_of(st.none(), st.integers(), st.text(max_size=3)), max_size=3
        ),
        "companyId": st.sampled_from(["acme", "globex", "nope"]),
        "email": st.sampled_from([MAX, "new@globex.example", "nobody@x.example"]),
        "updatedAt": st.sampled_from(["2020-01-01", "2021-06-01T12:00:00+02:00"]),
    },
)


@PROPERTY_SETTINGS
@given(st.lists(FIELD_VALUES, max_size=10))
def test_property_identical_resend_is_all_nonupdates(fields: list[dict[str, Any]]) -> None:
    backend = make()
    batch = [{"sourceId": f"k{i}", "email": MAX, **f} for i, f in enumerate(fields)]
    _, first = put(backend, batch)
    # An item that failed may succeed later (an end user created by another item): resend the stored ones.
    failed = {error["item"] for error in first["createdErrors"]}
    stored = [item for i, item in enumerate(batch) if i not in failed]
    assert len(stored) == first["created"]
    before = backend.dump()
    backend.clock.advance(1_000)
    status, second = put(backend, stored)
    assert status == 200 and second["nonupdates"] == len(stored)
    assert second["created"] == second["updated"] == 0 and second["modified"] == []
    assert backend.dump() == before


@PROPERTY_SETTINGS
@given(
    st.lists(st.one_of(st.none(), st.integers(0, 3), st.sampled_from(["p", "q"])), min_size=1, max_size=12),
    st.booleans(),
    st.integers(1, 5),
)
def test_property_sorted_pages_are_complete_and_ordered(
    values: list[Any], descending: bool, size: int
) -> None:
    backend = make()
    put(backend, [ticket(f"k{i:02d}", custom={"v": v}) for i, v in enumerate(values)])
    sort = ("-" if descending else "") + "custom.v"
    full = listing(backend, sort=sort, limit=10_000)
    pages = [listing(backend, sort=sort, limit=size, offset=o) for o in range(0, len(values), size)]
    assert [t for page in pages for t in page] == full
    present = [t for t in full if "v" in t.get("custom", {})]
    assert full[len(present):] == [t for t in full if "v" not in t.get("custom", {})]

    def rank(t: dict[str, Any]) -> tuple[int, Any]:
        v = t["custom"]["v"]
        return (0, v) if isinstance(v, int) else (1, v)

    keys = [rank(t) for t in present]
    assert keys == sorted(keys, reverse=descending)
    for a, b in itertools.pairwise(present):  # ties keep creation order
        if rank(a) == rank(b):
            assert a["sourceId"] < b["sourceId"]


# -- fast paths: the nonupdate check, cloning, cached "now" stamps -------------------------------------
def test_write_stamps_follow_the_clock_across_seconds_and_backends() -> None:
    # "now" is formatted once per second and cached: every stamp must still match the clock.
    backend, other = make(), make()
    other.clock.set(T0 + 86_400_000)
    for n, (ms, iso) in enumerate([
        (T0, T0_ISO),
        (T0 + 1_234, "2023-11-14T22:13:21.234Z"),
        (T0 - 1, "2023-11-14T22:13:19.999Z"),
        (T0 + 999, "2023-11-14T22:13:20.999Z"),
        (-1, "1969-12-31T23:59:59.999Z"),
        (0, "1970-01-01T00:00:00.000Z"),
    ]):
        backend.clock.set(ms)
        put(backend, ticket(f"k{n}"))
        put(backend, ticket("moving", title=f"t{n}"))  # an update stamps updatedAt from the same clock
        put(other, ticket(f"o{n}"))  # another backend, another second, in between
        stored = {t["sourceId"]: t for t in listing(backend)}
        assert stored[f"k{n}"]["createdAt"] == stored[f"k{n}"]["updatedAt"] == iso
        assert stored["moving"]["updatedAt"] == iso
        assert listing(other, limit=1, offset=n)[0]["createdAt"] == "2023-11-15T22:13:20.000Z"


def test_clone_copies_every_field_and_owns_its_custom() -> None:
    original = Ticket(
        "a" * 24, "src-id", MAX, "acme", "Acme Inc", "u" * 24, "2020-01-01T00:00:00.000Z",
        "2021-01-01T00:00:00.000Z", "acme-ext", "source", "title", "description", "url", ("t1", "t2"),
        "type", "severity", "product", 2.5, "status", {"k": [1]},
    )
    copy = original.clone()
    assert copy == original and copy is not original and copy.custom is not original.custom
    copy.custom["other"] = 1  # type: ignore[index]
    assert original.custom == {"k": [1]}


def test_resent_item_that_changes_something_is_an_update_every_time() -> None:
    backend = make()
    base = ticket("1", title="T", status="open", tags=["a", "b"], timeSpent=1, custom={"a": 1, "b": [1]})
    put(backend, base)
    for n, change in enumerate([
        {"title": "T2"}, {"title": None}, {"description": "new"}, {"status": 7}, {"tags": ["b", "a"]},
        {"tags": ["a"]}, {"tags": None}, {"tags": []}, {"tags": ["a", 1]}, {"timeSpent": True},
        {"timeSpent": 2}, {"timeSpent": "3"}, {"custom": {"a": 2}}, {"custom": {"a": None}},
        {"custom": {"c": 1}}, {"custom": None}, {"custom": {"b": [1, 2]}}, {"email": "Max@acme.example"},
        {"companyId": "globex"}, {"createdAt": "2020-01-01"}, {"updatedAt": "2020-01-01"},
    ]):
        backend.clock.advance(1_000)
        item = {**ticket("1"), **change}
        _, body = put(backend, item)
        assert (body["updated"], body["nonupdates"]) == (1, 0), change
        stored = listing(backend)[0]
        if "updatedAt" not in change:
            assert stored["updatedAt"] == f"2023-11-14T22:13:{21 + n}.000Z", change
        _, body = put(backend, item)  # the same item again: now it changes nothing
        assert (body["updated"], body["nonupdates"]) == (0, 1), change
        assert listing(backend) == [stored]
        put(backend, base)


def test_renaming_the_source_id_alone_is_an_update() -> None:
    backend = make()
    _, body = put(backend, ticket("old", title="T"))
    (ticket_id,) = body["upsertedIds"]
    _, body = put(backend, {"_id": ticket_id, "sourceId": "new", "email": MAX, "title": "T"})
    assert body["updatesKeys"] == [{"_id": ticket_id, "sourceId": "new"}]
    assert [t["sourceId"] for t in listing(backend)] == ["new"]
    _, body = put(backend, {"_id": ticket_id, "email": MAX})  # no sourceId: the stored one stays
    assert body["nonupdates"] == 1


def test_empty_custom_from_a_dump_is_cleared_by_an_empty_custom() -> None:
    backend = make()
    put(backend, ticket("1", custom={"a": 1}))
    state = backend.dump()
    state["tickets"][0]["custom"] = {}
    backend.restore(state)
    _, body = put(backend, ticket("1", custom={}))
    assert body["updated"] == 1 and "custom" not in listing(backend)[0]
    _, body = put(backend, ticket("1", custom={"x": None}))
    assert body["nonupdates"] == 1


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.sampled_from([0, 1, 2, 0.0, -0.0, 1.0, 1.5, "", "a", "b"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["a", "b"]), inner, max_size=2),
    max_leaves=5,
)
EDITS = st.fixed_dictionaries({}, optional={
    "title": JSON_VALUES,
    "status": JSON_VALUES,
    "tags": JSON_VALUES,
    "timeSpent": JSON_VALUES,
    "custom": JSON_VALUES,
    "createdAt": st.sampled_from(["2020-01-01", "2020-01-01T00:00:00Z", "nope"]),
    "updatedAt": st.sampled_from(["2020-01-01", "2023-11-14T22:13:20Z", "nope"]),
    "companyId": st.sampled_from(["acme", "globex", "nope"]),
    "email": st.sampled_from([MAX, "MAX@acme.example", " max@acme.example "]),
})


@PROPERTY_SETTINGS
@given(st.lists(EDITS, min_size=1, max_size=4), st.lists(st.tuples(st.integers(0, 3), EDITS), max_size=6))
def test_property_nonupdate_fast_path_agrees_with_clone_and_compare(
    first: list[dict[str, Any]], second: list[tuple[int, dict[str, Any]]]
) -> None:
    """The second batch only touches stored tickets with known e-mails, so no new id is drawn and
    the run with the fast path and the run without it must give the same bytes."""
    backend = make()
    batch = [{**ticket(f"k{i}"), **edit} for i, edit in enumerate(first)]
    _, body = put(backend, batch)
    created = {key["sourceId"] for key in body["insertsKeys"]}
    stored = [item for item in batch if item["sourceId"] in created]  # the others failed (a bad date)
    again = [{**stored[i % len(stored)], **edit} for i, edit in second] if stored else []
    state = backend.dump()
    fast = put(backend, again), backend.dump()
    backend.restore(state)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(planhat_model, "changes_nothing", lambda ticket, item: False)
        slow = put(backend, again), backend.dump()
    assert fast == slow


@PROPERTY_SETTINGS
@given(EDITS, EDITS)
def test_property_changes_nothing_is_never_wrong(first: dict[str, Any], second: dict[str, Any]) -> None:
    stored = Ticket("a" * 24, "k", MAX, "acme", "Acme Inc", "u" * 24, T0_ISO, T0_ISO)
    apply_fields(stored, first)
    changed = stored.clone()
    apply_fields(changed, second)
    if changes_nothing(stored, second):
        assert changed == stored
    tags = first.get("tags")
    if not isinstance(tags, list) or all(isinstance(t, str) for t in tags):  # mixed tags take the full path
        assert changes_nothing(stored, first)  # what was just applied, re-sent: the fast path takes it
