"""The talque backend's rules, without HTTP: webhook upsert and mapping, JSON API read and list, cursors,
profiles, check-ins, dump/restore; every model checked against the PUBLISHED ticket schema."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
import orjson
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from tests.published import talque_json_api_documents
from ticketfakes.core.clock import Clock
from ticketfakes.core.problems import BadRequest, Forbidden, NotFound
from ticketfakes.fakes.talque import TalqueBackend
from ticketfakes.fixtures import DEFAULT_FIXTURES, FixtureError, Section
from ticketfakes.specs import deref

ROOT = Path(__file__).resolve().parents[1]
T0 = 1_767_225_600_000


# -- the published schemas -------------------------------------------------------------------------
@cache
def published() -> dict[str, Any]:
    read_doc, list_doc = talque_json_api_documents()
    read_200 = read_doc["paths"]["/api/v1/ticket/read"]["post"]["responses"]["200"]
    list_200 = list_doc["paths"]["/api/v1/ticket/list"]["post"]["responses"]["200"]
    read_schema = read_200["content"]["application/json"]["schema"]
    list_schema = list_200["content"]["application/json"]["schema"]
    return {
        "read": read_schema,
        "list": list_schema,
        "model": read_schema["properties"]["ticketById"]["additionalProperties"]["properties"]["model"],
        "item": list_schema["properties"]["tickets"]["items"],
    }


@cache
def webhook_spec() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "specs" / "talque-webhook.yaml").read_text(encoding="utf-8"))


def spec_schema(name: str) -> dict[str, Any]:
    spec = webhook_spec()
    return deref(spec["components"]["schemas"][name], spec)


@cache
def validator(kind: str, fast: bool = False) -> Any:
    """jsonschema (the reference) by default; jsonschema-rs where the state machine needs speed."""
    schema = spec_schema("WebhookResult") if kind == "webhook" else published()[kind]
    if fast:
        return jsonschema_rs.validator_for(schema, validate_formats=False)
    return jsonschema.Draft202012Validator(schema)


def assert_model(model: dict[str, Any] | None, fast: bool = False) -> None:
    """Valid per the published schema, and nothing beyond the published properties."""
    validator("model", fast).validate(model)
    if model is not None:
        properties = published()["model"]["properties"]
        assert set(model) == set(properties)
        assert set(model["holder"]) == set(properties["holder"]["properties"])


def assert_webhook_body(body: dict[str, Any], fast: bool = False) -> None:
    validator("webhook", fast).validate(body)
    for result in body["ticketById"].values():
        assert_model(result["model"], fast)


def assert_read_body(body: dict[str, Any]) -> None:
    validator("read").validate(body)
    for result in body["ticketById"].values():
        assert_model(result["model"])


def assert_list_body(body: dict[str, Any], fast: bool = False) -> None:
    validator("list", fast).validate(body)
    for model in body["tickets"]:
        assert_model(model, fast)
    assert body["more"] == (body["cursor"] is not None)


# -- fixtures --------------------------------------------------------------------------------------
def talque_section(mutate: Any = None) -> Section:
    data = yaml.safe_load(DEFAULT_FIXTURES.read_text(encoding="utf-8"))["talque"]
    if mutate is not None:
        mutate(data)
    return Section(data, "talque")


@cache
def shared_section() -> Section:
    """Built once (a Section is read-only): the state machine makes a backend per example."""
    return talque_section(add_shared_client)


def add_shared_client(data: dict[str, Any]) -> None:
    """A second provider in org-demo (and in org-other), for tenant isolation."""
    data["clients"].append(
        {
            "id": "shared-client",
            "secret": "shared-secret",
            "provider": "shared-shop",
            "orgs": ["org-demo", "org-other"],
        }
    )


def make_backend(mutate: Any = None) -> TalqueBackend:
    clock = Clock()
    clock.set(T0)
    clock.freeze(True)
    section = shared_section() if mutate is add_shared_client else talque_section(mutate)
    return TalqueBackend.from_fixture(section, clock)


@pytest.fixture
def backend() -> TalqueBackend:
    return make_backend(add_shared_client)


def client(backend: TalqueBackend, name: str = "demo") -> Any:
    found = backend.authenticate(f"{name}-client", f"{name}-secret")
    assert found is not None
    return found


def post(
    backend: TalqueBackend,
    *tickets: dict[str, Any],
    order: dict[str, Any] | None = None,
    who: str = "demo",
    org: str = "org-demo",
    fast: bool = False,
) -> dict[str, Any]:
    body = backend.upsert_tickets(org, client(backend, who), list(tickets), order)
    assert_webhook_body(body, fast)
    return body


def model_of(body: dict[str, Any], ext_id: str) -> dict[str, Any]:
    return body["ticketById"][ext_id]["model"]


def page_all(
    backend: TalqueBackend,
    who: str = "demo",
    org: str = "org-demo",
    limit: int = 2,
    profile_id: str | None = None,
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = backend.list(org, client(backend, who), limit=limit, cursor=cursor, profile_id=profile_id)
        assert_list_body(page)
        out.extend(page["tickets"])
        if not page["more"]:
            return out
        cursor = page["cursor"]


ADA = {
    "extTicketId": "T-1",
    "email": "ada@example.com",
    "firstName": "Ada",
    "lastName": "Lovelace",
    "phoneNumber": "+4915112345678",
    "phoneNumberType": "MOBILE",
    "companyName": "Engines Ltd",
    "jobTitle": "CTO",
    "extUserId": "U-1",
    "tickets": ["full-event"],
    "eventIds": ["sess-keynote"],
    "extEventIds": ["ext-workshop"],
    "extVendorIds": ["ext-acme"],
}


# -- spec and fixtures ----------------------------------------------------------------------------
def test_spec_is_valid_openapi_and_ticket_schema_is_the_published_one() -> None:
    from openapi_spec_validator import validate

    validate(webhook_spec())
    assert webhook_spec()["components"]["schemas"]["Ticket"] == published()["item"]
    ticket_model = {k: v for k, v in published()["model"].items() if k != "description"}
    assert {**ticket_model, "type": "object"} == published()["item"]


def test_spec_examples_match_their_schemas() -> None:
    op = webhook_spec()["paths"]["/webhook/org/{orgId}/ticket"]["post"]
    upload = jsonschema.Draft202012Validator(spec_schema("TicketUpload"))
    for example in op["requestBody"]["content"]["application/json"]["examples"].values():
        upload.validate(example["value"])
    for example in op["responses"]["200"]["content"]["application/json"]["examples"].values():
        assert_webhook_body(example["value"])


@pytest.mark.parametrize("name", ["phoneNumber", "email"])
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_enforced_patterns_agree_between_python_and_rust(name: str, data: st.DataObject) -> None:
    schema = spec_schema("WebhookTicket")["properties"][name]
    pattern = schema["pattern"]
    value = data.draw(st.one_of(st.from_regex(pattern), st.text(), st.from_regex(pattern).map(lambda s: s + "\n")))
    python = jsonschema.Draft202012Validator(schema).is_valid(value)
    rust = jsonschema_rs.validator_for(schema, validate_formats=False).is_valid(value)
    assert python == rust, value


def test_fixture_is_loaded_and_checked() -> None:
    backend = make_backend()
    assert backend.has_org("org-demo") and backend.has_org("org-other") and not backend.has_org("nope")
    with pytest.raises(FixtureError, match="unknown org"):
        make_backend(lambda d: d["clients"][0]["orgs"].append("org-nope"))
    with pytest.raises(FixtureError, match="duplicate"):
        make_backend(lambda d: d["orgs"][0]["sessions"].append({"id": "sess-keynote"}))
    empty = TalqueBackend.from_fixture(None, Clock())
    assert not empty.has_org("org-demo")


def test_a_null_is_not_an_absent_key() -> None:
    # `name: ~` is a value, and not a string: only leaving the key out takes the default
    with pytest.raises(FixtureError, match=r"talque\.orgs\[0\]\.name: expected a non-empty string"):
        make_backend(lambda d: d["orgs"][0].update(name=None))
    with pytest.raises(FixtureError, match=r"talque\.clients\[0\]\.is_test: expected true or false"):
        make_backend(lambda d: d["clients"][0].update(is_test=None))
    with pytest.raises(FixtureError, match=r"talque\.orgs\[0\]\.id: expected a non-empty string"):
        make_backend(lambda d: d["orgs"][0].update(id=None))


# -- auth and tenancy ------------------------------------------------------------------------------
def test_authenticate_compares_id_and_secret(backend: TalqueBackend) -> None:
    demo = backend.authenticate("demo-client", "demo-secret")
    assert demo is not None and demo.provider == "demo-shop" and demo.is_test
    assert backend.authenticate("demo-client", "other-secret") is None
    assert backend.authenticate("demo-client", "demo-secret ") is None
    assert backend.authenticate("nobody", "demo-secret") is None
    assert backend.authenticate(None, None) is None
    assert backend.authenticate("demo-client", None) is None
    assert backend.authenticate("demo-client", "dëmo-secret") is None


def test_unknown_org_and_forbidden_client(backend: TalqueBackend) -> None:
    demo, other = client(backend), client(backend, "other")
    with pytest.raises(NotFound):
        backend.require_org("org-nope")
    with pytest.raises(Forbidden):
        backend.require_access("org-demo", other)
    backend.require_access("org-demo", demo)
    with pytest.raises(NotFound):
        backend.upsert_tickets("org-nope", demo, [{"extTicketId": "x"}])
    with pytest.raises(Forbidden):
        backend.upsert_tickets("org-demo", other, [{"extTicketId": "x"}])
    with pytest.raises(Forbidden):
        backend.read("org-demo", other, "other-shop", ["x"])
    with pytest.raises(NotFound):
        backend.list("org-nope", demo)
    assert page_all(backend) == []


# -- mapping ---------------------------------------------------------------------------------------
def test_full_mapping_to_the_json_api_model(backend: TalqueBackend) -> None:
    body = post(backend, ADA, order={"extPurchaseId": "PO-1", "email": "buyer@example.com", "firstName": "Bo"})
    assert (body["success"], body["reason"], body["orgId"], body["provider"]) == (
        True,
        "SUCCESS",
        "org-demo",
        "demo-shop",
    )
    result = body["ticketById"]["T-1"]
    assert (result["success"], result["reason"]) == (True, "CREATED")
    m = result["model"]
    assert m["ticketId"] == "T-1" and m["provider"] == "demo-shop" and m["isTest"] is True
    assert m["orgTicketId"] and m["ctime"] == m["mtime"] == T0
    assert (m["tickets"], m["categories"], m["category"], m["course"], m["isVip"]) == (
        ["full-event"],
        ["delegate"],
        "delegate",
        "hybrid",
        False,
    )
    assert m["eventIds"] == ["sess-keynote", "sess-workshop"] and m["extEventIds"] == ["ext-workshop"]
    assert m["vendorIds"] == ["vendor-acme"] and m["extVendorIds"] == ["ext-acme"]
    assert m["holder"] == {
        "email": "ada@example.com",
        "firstName": "Ada",
        "lastName": "Lovelace",
        "companyName": "Engines Ltd",
        "jobTitle": "CTO",
        "extUserId": "U-1",
        "locale": None,
    }
    assert m["purchaser"] == {
        "email": "buyer@example.com",
        "firstName": "Bo",
        "lastName": None,
        "companyName": None,
        "jobTitle": None,
        "extUserId": None,
        "locale": None,
    }
    assert m["purchaseOrderId"] == body["purchaseOrderId"] and m["extPurchaseOrderId"] == "PO-1"
    assert (m["checkIns"], m["isCheckInReset"], m["mainId"], m["extImageUrl"]) == ([], False, None, None)


def test_mapping_without_ticket_type_and_with_several(backend: TalqueBackend) -> None:
    body = post(
        backend,
        {"extTicketId": "bare"},
        {"extTicketId": "vip", "tickets": ["vip"]},
        {"extTicketId": "two", "tickets": ["day-pass", "full-event", "day-pass"]},
        {
            "extTicketId": "same",
            "tickets": ["day-pass", "vip"],
            "eventIds": ["sess-keynote"],
            "extEventIds": ["ext-keynote"],
        },
    )
    bare = model_of(body, "bare")
    assert (bare["tickets"], bare["categories"], bare["category"], bare["isVip"], bare["course"]) == (
        [],
        [],
        None,
        False,
        "on-site",
    )
    assert bare["holder"]["email"] is None and bare["purchaser"] is None and bare["purchaseOrderId"] is None
    assert model_of(body, "vip")["isVip"] is True and model_of(body, "vip")["categories"] == ["vip"]
    two = model_of(body, "two")
    assert two["tickets"] == ["day-pass", "full-event"] and two["categories"] == ["visitor", "delegate"]
    assert two["category"] == "visitor" and two["course"] == "hybrid"
    same = model_of(body, "same")
    assert same["course"] == "on-site" and same["isVip"] is True and same["eventIds"] == ["sess-keynote"]


def test_is_test_comes_from_the_client(backend: TalqueBackend) -> None:
    assert model_of(post(backend, {"extTicketId": "a"}), "a")["isTest"] is True
    other = post(backend, {"extTicketId": "a", "tickets": ["day-pass"]}, who="other", org="org-other")
    assert model_of(other, "a")["isTest"] is False and model_of(other, "a")["provider"] == "other-shop"


# -- per-ticket reasons ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("tickets", ["gold"], "UNKNOWN_TICKET_TYPE"),
        ("tickets", ["day-pass", ""], "UNKNOWN_TICKET_TYPE"),
        ("eventIds", ["sess-nope"], "UNKNOWN_EVENT_ID"),
        ("extEventIds", ["ext-nope"], "UNKNOWN_EXT_EVENT_ID"),
        ("vendorIds", ["vendor-nope"], "UNKNOWN_VENDOR_ID"),
        ("extVendorIds", ["ext-keynote"], "UNKNOWN_EXT_VENDOR_ID"),
    ],
)
def test_unknown_ids_fail_that_ticket_only(backend: TalqueBackend, field: str, value: list[str], reason: str) -> None:
    body = post(backend, {"extTicketId": "good", "tickets": ["day-pass"]}, {"extTicketId": "bad", field: value})
    assert body["ticketById"]["bad"] == {"success": False, "reason": reason, "model": None}
    assert body["ticketById"]["good"]["reason"] == "CREATED"
    assert (body["success"], body["reason"]) == (False, "PARTIAL_FAILURE")
    read = backend.read("org-demo", client(backend), "demo-shop", ["good", "bad"])
    assert read["ticketById"]["bad"]["reason"] == "NOT_FOUND" and read["ticketById"]["good"]["success"]


def test_all_failed_and_failure_keeps_the_stored_ticket(backend: TalqueBackend) -> None:
    before = model_of(post(backend, {"extTicketId": "a", "tickets": ["day-pass"]}), "a")
    body = post(backend, {"extTicketId": "a", "tickets": ["gold"]})
    assert (body["success"], body["reason"]) == (False, "FAILURE")
    assert backend.read("org-demo", client(backend), "demo-shop", ["a"])["ticketById"]["a"]["model"] == before


def test_duplicate_ext_ticket_id_rejects_the_whole_request(backend: TalqueBackend) -> None:
    tickets = [{"extTicketId": "a"}, {"extTicketId": "b"}, {"extTicketId": "a"}]
    with pytest.raises(BadRequest) as caught:
        backend.upsert_tickets("org-demo", client(backend), tickets, {"extPurchaseId": "PO-1"})
    assert list(caught.value.fields) == ["tickets.2.extTicketId"]
    assert caught.value.extra["errors"] == [
        {
            "field": "tickets[2].extTicketId",
            "message": caught.value.fields["tickets.2.extTicketId"][0],
            "ticketIndex": 2,
            "extTicketId": "a",
        }
    ]
    assert backend.dump()["tickets"] == [] and backend.dump()["purchase_orders"] == []


# -- upsert -----------------------------------------------------------------------------------------
def test_update_keeps_identity_replaces_fields_and_keeps_check_ins(backend: TalqueBackend) -> None:
    created = model_of(post(backend, ADA, order={"extPurchaseId": "PO-1", "email": "b@example.com"}), "T-1")
    backend.check_in("org-demo", created["orgTicketId"], at_ms=T0 - 5)
    checked = backend.get_ticket("org-demo", created["orgTicketId"])
    body = post(backend, {"extTicketId": "T-1", "email": "ada@example.com", "tickets": ["vip"]})
    assert body["ticketById"]["T-1"]["reason"] == "UPDATED"
    updated = model_of(body, "T-1")
    assert updated["orgTicketId"] == created["orgTicketId"] and updated["ctime"] == created["ctime"]
    assert updated["mtime"] > checked["mtime"] > created["mtime"]  # the clock is frozen: still strictly up
    assert updated["checkIns"] == [T0 - 5]
    # full replace: what the re-post left out is empty now
    assert updated["holder"]["firstName"] is None and updated["extEventIds"] == [] and updated["vendorIds"] == []
    assert updated["purchaser"] is None and updated["purchaseOrderId"] is None and updated["categories"] == ["vip"]
    assert len(page_all(backend)) == 1


def test_identical_repost_is_unchanged_even_later(backend: TalqueBackend) -> None:
    order = {"extPurchaseId": "PO-1", "email": "b@example.com"}
    first = post(backend, ADA, order=order)
    backend.clock.advance(60_000)
    again = post(backend, dict(reversed(list(ADA.items()))), order=dict(order))
    assert again["ticketById"]["T-1"]["reason"] == "UNCHANGED" and again["success"] and again["reason"] == "SUCCESS"
    assert model_of(again, "T-1") == model_of(first, "T-1")
    assert again["purchaseOrderId"] == first["purchaseOrderId"]
    # a field the model does not show still counts as content
    changed = post(backend, {**ADA, "phoneNumber": "+4930123456"}, order=order)
    assert changed["ticketById"]["T-1"]["reason"] == "UPDATED"
    assert model_of(changed, "T-1")["mtime"] == T0 + 60_000


def test_duplicate_ids_in_lists_collapse(backend: TalqueBackend) -> None:
    m = model_of(
        post(
            backend,
            {"extTicketId": "a", "eventIds": ["sess-keynote"], "extEventIds": ["ext-keynote", "ext-keynote"]},
        ),
        "a",
    )
    assert m["eventIds"] == ["sess-keynote"] and m["extEventIds"] == ["ext-keynote"]
    again = post(
        backend,
        {"extTicketId": "a", "eventIds": ["sess-keynote", "sess-keynote"], "extEventIds": ["ext-keynote"]},
    )
    assert again["ticketById"]["a"]["reason"] == "UNCHANGED"


def test_purchaser_only_when_emails_differ(backend: TalqueBackend) -> None:
    order = {"extPurchaseId": "PO-1", "email": "ADA@Example.com", "firstName": "Ada"}
    same = model_of(post(backend, {"extTicketId": "a", "email": "ada@example.com"}, order=order), "a")
    assert same["purchaser"] is None and same["extPurchaseOrderId"] == "PO-1"
    anonymous = post(backend, {"extTicketId": "b"}, order=order)
    assert model_of(anonymous, "b")["purchaser"]["email"] == "ADA@Example.com"
    no_mail = post(backend, {"extTicketId": "c", "email": "c@example.com"}, order={"extPurchaseId": "PO-2"})
    assert model_of(no_mail, "c")["purchaser"]["email"] is None
    both_none = post(backend, {"extTicketId": "d"}, order={"extPurchaseId": "PO-3", "firstName": "X"})
    assert model_of(both_none, "d")["purchaser"] is None


def test_purchase_orders_upsert_per_org_and_provider(backend: TalqueBackend) -> None:
    first = post(backend, {"extTicketId": "a"}, order={"extPurchaseId": "PO-1"})["purchaseOrderId"]
    assert first and post(backend, {"extTicketId": "b"}, order={"extPurchaseId": "PO-1"})["purchaseOrderId"] == first
    assert post(backend, {"extTicketId": "c"}, order={"extPurchaseId": "PO-2"})["purchaseOrderId"] != first
    shared = post(backend, {"extTicketId": "a"}, order={"extPurchaseId": "PO-1"}, who="shared")
    assert shared["purchaseOrderId"] != first
    assert post(backend, {"extTicketId": "d"})["purchaseOrderId"] is None


# -- isolation -------------------------------------------------------------------------------------
def test_providers_and_orgs_are_isolated(backend: TalqueBackend) -> None:
    mine = model_of(post(backend, {"extTicketId": "same"}), "same")
    theirs = model_of(post(backend, {"extTicketId": "same", "email": "x@example.com"}, who="shared"), "same")
    elsewhere = model_of(post(backend, {"extTicketId": "same"}, who="shared", org="org-other"), "same")
    assert len({mine["orgTicketId"], theirs["orgTicketId"], elsewhere["orgTicketId"]}) == 3
    assert [t["orgTicketId"] for t in page_all(backend)] == [mine["orgTicketId"]]
    assert [t["orgTicketId"] for t in page_all(backend, "shared")] == [theirs["orgTicketId"]]
    assert [t["orgTicketId"] for t in page_all(backend, "shared", "org-other")] == [elsewhere["orgTicketId"]]
    with pytest.raises(Forbidden):
        backend.read("org-demo", client(backend), "shared-shop", ["same"])
    assert backend.read("org-demo", client(backend), "demo-shop", ["same"])["ticketById"]["same"]["model"] == mine


# -- read ------------------------------------------------------------------------------------------
def test_read_found_missing_and_duplicates(backend: TalqueBackend) -> None:
    post(backend, {"extTicketId": "a"}, {"extTicketId": "b"})
    body = backend.read("org-demo", client(backend), "demo-shop", ["b", "nope", "b", "a"])
    assert_read_body(body)
    assert list(body["ticketById"]) == ["b", "nope", "a"]
    assert body["ticketById"]["nope"] == {"success": False, "reason": "NOT_FOUND", "model": None}
    assert body["ticketById"]["a"]["reason"] == "SUCCESS" and body["ticketById"]["a"]["model"]["ticketId"] == "a"
    assert backend.read("org-demo", client(backend), "demo-shop", [])["ticketById"] == {}
    assert len(backend.read("org-demo", client(backend), "demo-shop", ["x"] * 1000)["ticketById"]) == 1
    with pytest.raises(BadRequest) as caught:
        backend.read("org-demo", client(backend), "demo-shop", [str(i) for i in range(1001)])
    assert "ticketIdList" in caught.value.fields


# -- list ------------------------------------------------------------------------------------------
def _post_many(backend: TalqueBackend, n: int, who: str = "demo", prefix: str = "t") -> list[str]:
    body = post(backend, *({"extTicketId": f"{prefix}{i}"} for i in range(n)), who=who)
    return [r["model"]["orgTicketId"] for r in body["ticketById"].values()]


def test_list_pages_in_creation_order(backend: TalqueBackend) -> None:
    ids = _post_many(backend, 5)
    post(backend, {"extTicketId": "t0", "tickets": ["vip"]})  # an update keeps the position
    first = backend.list("org-demo", client(backend), limit=2)
    assert first["more"] and first["cursor"] and [t["orgTicketId"] for t in first["tickets"]] == ids[:2]
    assert [t["orgTicketId"] for t in page_all(backend, limit=2)] == ids
    exact = backend.list("org-demo", client(backend), limit=5)
    assert (exact["more"], exact["cursor"], len(exact["tickets"])) == (False, None, 5)
    default = backend.list("org-demo", client(backend))
    assert len(default["tickets"]) == 5 and not default["more"]


def test_list_default_limit_is_100(backend: TalqueBackend) -> None:
    _post_many(backend, 101)
    page = backend.list("org-demo", client(backend))
    assert len(page["tickets"]) == 100 and page["more"]
    rest = backend.list("org-demo", client(backend), cursor=page["cursor"])
    assert len(rest["tickets"]) == 1 and not rest["more"] and rest["cursor"] is None


@pytest.mark.parametrize("limit", [0, -1, 1001])
def test_list_limit_bounds(backend: TalqueBackend, limit: int) -> None:
    with pytest.raises(BadRequest) as caught:
        backend.list("org-demo", client(backend), limit=limit)
    assert "limit" in caught.value.fields
    assert backend.list("org-demo", client(backend), limit=1000)["tickets"] == []


def test_bad_and_foreign_cursors_are_refused(backend: TalqueBackend) -> None:
    _post_many(backend, 3)
    _post_many(backend, 3, who="shared")
    demo = client(backend)
    cursor = backend.list("org-demo", demo, limit=1)["cursor"]
    body, _, signature = cursor.partition(".")
    for bad in ["", "garbage", cursor[:-2], f"{body}x.{signature}", cursor + "A"]:
        with pytest.raises(BadRequest):
            backend.list("org-demo", demo, limit=1, cursor=bad)
    with pytest.raises(BadRequest):  # another provider
        backend.list("org-demo", client(backend, "shared"), limit=1, cursor=cursor)
    with pytest.raises(BadRequest):  # another filter
        backend.list("org-demo", demo, limit=1, cursor=cursor, profile_id="prf_x")
    with pytest.raises(BadRequest):  # another backend's secret
        make_backend().list("org-demo", demo, limit=1, cursor=cursor)
    other_org = backend.list("org-demo", client(backend, "shared"), limit=1)["cursor"]
    with pytest.raises(BadRequest):  # another org
        backend.list("org-other", client(backend, "shared"), limit=1, cursor=other_org)


def test_paging_sees_exactly_the_snapshot_while_writing(backend: TalqueBackend) -> None:
    ids = _post_many(backend, 4)
    page = backend.list("org-demo", client(backend), limit=2)
    seen = [t["orgTicketId"] for t in page["tickets"]]
    _post_many(backend, 3, prefix="new")  # created after paging began
    post(backend, {"extTicketId": "t3", "tickets": ["vip"]})  # updated while paging
    while page["more"]:
        page = backend.list("org-demo", client(backend), limit=2, cursor=page["cursor"])
        seen += [t["orgTicketId"] for t in page["tickets"]]
    assert seen == ids
    assert len(page_all(backend)) == 7


def test_cursor_survives_dump_and_restore_but_not_reset(backend: TalqueBackend) -> None:
    _post_many(backend, 3)
    cursor = backend.list("org-demo", client(backend), limit=1)["cursor"]
    dump = backend.dump()
    backend.restore(json.loads(json.dumps(dump)))
    assert [t["ticketId"] for t in backend.list("org-demo", client(backend), limit=5, cursor=cursor)["tickets"]] == [
        "t1",
        "t2",
    ]
    backend.reset(talque_section(add_shared_client))
    with pytest.raises(BadRequest):
        backend.list("org-demo", client(backend), cursor=cursor)


# -- profiles ---------------------------------------------------------------------------------------
def test_profiles_one_per_email_case_insensitive(backend: TalqueBackend) -> None:
    post(
        backend,
        {"extTicketId": "a", "email": "Ada@Example.com"},
        {"extTicketId": "b", "email": "ada@example.COM"},
        {"extTicketId": "c", "email": "bob@example.com"},
        {"extTicketId": "d"},
    )
    post(backend, {"extTicketId": "e", "email": "ADA@example.com"}, who="shared")
    post(backend, {"extTicketId": "f", "email": "ada@example.com"}, who="shared", org="org-other")
    profiles = backend.profiles("org-demo")
    assert [p["email"] for p in profiles] == ["Ada@Example.com", "bob@example.com"]
    ada, bob = (p["id"] for p in profiles)
    assert ada != bob and backend.profiles("org-other")[0]["id"] not in (ada, bob)
    assert [t["ticketId"] for t in page_all(backend, profile_id=ada, limit=1)] == ["a", "b"]
    assert [t["ticketId"] for t in page_all(backend, "shared", profile_id=ada)] == ["e"]
    assert page_all(backend, profile_id="prf_unknown") == []
    with pytest.raises(NotFound):
        backend.profiles("org-nope")
    # the holder changes: the ticket moves to the other profile, keeping its place in creation order
    post(backend, {"extTicketId": "a", "email": "bob@example.com"})
    assert [t["ticketId"] for t in page_all(backend, profile_id=bob)] == ["a", "c"]
    assert [t["ticketId"] for t in page_all(backend, profile_id=ada)] == ["b"]


def test_profiles_filed_late_are_what_filing_at_once_gives(backend: TalqueBackend) -> None:
    """New tickets get their profile when profiles are next read or moved (store.py `unprofiled`): with
    creations and a change of holder in between and no profile read, profiles, their order, their pages
    and the dump are those of filing each ticket at once."""
    post(backend, {"extTicketId": "a", "email": "ada@example.com"}, {"extTicketId": "b", "email": "bob@example.com"})
    post(backend, {"extTicketId": "a", "email": "carol@example.com"})  # moves a pending ticket
    post(backend, {"extTicketId": "c", "email": "ADA@example.com"}, {"extTicketId": "d", "email": "dan@example.com"})
    post(backend, {"extTicketId": "e", "email": "erin@example.com"}, who="shared")
    dumped = backend.dump()
    profiles = backend.profiles("org-demo")
    assert [p["email"] for p in profiles] == [
        "ada@example.com", "bob@example.com", "carol@example.com", "dan@example.com", "erin@example.com"
    ]
    assert [{"id": p["id"], "email": p["email"]} for p in dumped["profiles"]] == profiles
    pages = {p["email"]: [t["ticketId"] for t in page_all(backend, profile_id=p["id"])] for p in profiles}
    assert pages == {"ada@example.com": ["c"], "bob@example.com": ["b"], "carol@example.com": ["a"],
                     "dan@example.com": ["d"], "erin@example.com": []}
    erin = profiles[-1]["id"]
    assert [t["ticketId"] for t in page_all(backend, "shared", profile_id=erin)] == ["e"]
    restored = make_backend(add_shared_client)
    restored.restore(dumped)
    assert restored.profiles("org-demo") == profiles
    assert [t["ticketId"] for t in page_all(restored, profile_id=profiles[0]["id"])] == ["c"]


# -- check-ins --------------------------------------------------------------------------------------
def test_check_ins_and_reset_bump_mtime(backend: TalqueBackend) -> None:
    created = model_of(post(backend, {"extTicketId": "a"}), "a")
    tid = created["orgTicketId"]
    first = backend.check_in("org-demo", tid)
    assert_model(first)
    assert first["checkIns"] == [T0] and first["mtime"] > created["mtime"]
    second = backend.check_in("org-demo", tid, at_ms=T0 + 10)
    assert second["checkIns"] == [T0, T0 + 10] and second["mtime"] > first["mtime"]
    reset = backend.reset_check_ins("org-demo", tid)
    assert reset["checkIns"] == [] and reset["isCheckInReset"] is True and reset["mtime"] > second["mtime"]
    kept = model_of(post(backend, {"extTicketId": "a", "tickets": ["vip"]}), "a")
    assert kept["isCheckInReset"] is True and kept["checkIns"] == []
    with pytest.raises(NotFound):
        backend.check_in("org-other", tid)
    with pytest.raises(NotFound):
        backend.reset_check_ins("org-demo", "tkt_nope")


# -- dump / restore ----------------------------------------------------------------------------------
def test_dump_restore_is_exact_and_bad_input_keeps_state(backend: TalqueBackend) -> None:
    post(
        backend,
        ADA,
        {"extTicketId": "b", "email": "b@example.com"},
        order={"extPurchaseId": "PO-1", "email": "x@y.z"},
    )
    backend.check_in("org-demo", model_of(post(backend, ADA), "T-1")["orgTicketId"], at_ms=5)
    dump = backend.dump()
    assert json.loads(json.dumps(dump)) == dump
    fresh = make_backend()
    fresh.restore(copy.deepcopy(dump))
    assert fresh.dump() == dump
    assert page_all(fresh) == page_all(backend)
    broken = [
        None,
        {**dump, "tickets": "x"},
        {**dump, "cursor_secret": "zz"},
        {**dump, "tickets": [{**dump["tickets"][0], "org_id": "org-nope"}]},
        {**dump, "tickets": [{**dump["tickets"][0], "posted": {"tickets": ["gold"]}}]},
        {**dump, "tickets": [dump["tickets"][0], dump["tickets"][0]]},
        {**dump, "tickets": [{**dump["tickets"][0], "mtime": "soon"}]},
    ]
    for state in broken:
        with pytest.raises(BadRequest):
            fresh.restore(state)
        assert fresh.dump() == dump


def test_a_bad_dump_names_its_key(backend: TalqueBackend) -> None:
    post(backend, ADA, order={"extPurchaseId": "PO-1", "email": "x@y.z"})
    dump = backend.dump()
    ticket = dump["tickets"][0]
    cases = [
        ([1], "state"),
        ({**dump, "cursor_secret": "zz"}, "state"),
        ({k: v for k, v in dump.items() if k != "seq"}, "seq"),
        ({**dump, "tickets": [{**ticket, "mtime": None}]}, "tickets[0].mtime"),
        ({**dump, "tickets": [{**ticket, "purchaser": 5}]}, "tickets[0].purchaser"),
        ({**dump, "tickets": [{**ticket, "posted": {**ticket["posted"], "tickets": ["gold", 5]}}]},
         "tickets[0].posted.tickets"),
        ({**dump, "tickets": [{**ticket, "org_id": "org-nope"}]}, "tickets[0]"),
        ({**dump, "clients": [{**dump["clients"][0], "orgs": [None]}]}, "clients[0].orgs"),
        ({**dump, "orgs": [{**dump["orgs"][0], "name": 5}]}, "orgs[0].name"),
        ({**dump, "purchase_orders": [{**dump["purchase_orders"][0], "person": None}]}, "purchase_orders[0].person"),
    ]
    for state, path in cases:
        with pytest.raises(BadRequest) as caught:
            backend.restore(copy.deepcopy(state))
        assert caught.value.message == "Invalid talque state" and list(caught.value.fields) == [path], state
    assert backend.dump() == dump


# -- cached models: whatever changes a ticket shows in the next read, list and re-post -------------------
def read_model(backend: TalqueBackend, ext_id: str, who: str = "demo") -> dict[str, Any] | None:
    body = backend.read("org-demo", client(backend, who), f"{who}-shop", [ext_id])
    assert_read_body(body)
    return body["ticketById"][ext_id]["model"]


def listed(backend: TalqueBackend, ext_id: str) -> dict[str, Any]:
    return next(t for t in page_all(backend, limit=100) if t["ticketId"] == ext_id)


def test_reads_and_lists_follow_every_write(backend: TalqueBackend) -> None:
    created = model_of(post(backend, ADA), "T-1")
    tid = created["orgTicketId"]
    assert read_model(backend, "T-1") == created == listed(backend, "T-1")  # both cached now
    assert model_of(post(backend, ADA), "T-1") == created  # UNCHANGED: served from the cache
    updated = model_of(post(backend, {**ADA, "firstName": "Augusta", "tickets": ["vip"]}), "T-1")
    assert updated["holder"]["firstName"] == "Augusta" and updated["categories"] == ["vip"] and updated["isVip"]
    assert read_model(backend, "T-1") == updated == listed(backend, "T-1") != created
    order = {"extPurchaseId": "PO-1", "email": "buyer@example.com", "firstName": "Bob"}
    bought = model_of(post(backend, {**ADA, "firstName": "Augusta", "tickets": ["vip"]}, order=order), "T-1")
    assert bought["purchaser"]["firstName"] == "Bob" and bought["purchaseOrderId"] is not None
    assert read_model(backend, "T-1") == bought == listed(backend, "T-1")
    checked = backend.check_in("org-demo", tid, at_ms=T0 + 1)
    assert checked["checkIns"] == [T0 + 1] and checked["mtime"] > bought["mtime"]
    assert read_model(backend, "T-1") == checked == listed(backend, "T-1") == backend.get_ticket("org-demo", tid)
    reset = backend.reset_check_ins("org-demo", tid)
    assert reset["checkIns"] == [] and reset["isCheckInReset"] is True
    assert read_model(backend, "T-1") == reset == listed(backend, "T-1") == backend.get_ticket("org-demo", tid)
    moved = model_of(post(backend, {**ADA, "email": "other@example.com"}), "T-1")  # to another profile
    other = next(p["id"] for p in backend.profiles("org-demo") if p["email"] == "other@example.com")
    assert page_all(backend, profile_id=other) == [moved] == [read_model(backend, "T-1")]


def test_restore_and_reset_replace_cached_models(backend: TalqueBackend) -> None:
    created = model_of(post(backend, ADA), "T-1")
    assert read_model(backend, "T-1") == created
    dump = backend.dump()
    post(backend, {**ADA, "firstName": "Later"})
    assert read_model(backend, "T-1")["holder"]["firstName"] == "Later"  # type: ignore[index]
    backend.restore(copy.deepcopy(dump))
    assert read_model(backend, "T-1") == created == listed(backend, "T-1")
    edited = copy.deepcopy(dump)
    edited["tickets"][0].update(main_id="main-1", check_ins=[7], mtime=created["mtime"])  # same mtime on purpose
    backend.restore(edited)
    assert read_model(backend, "T-1") == {**created, "mainId": "main-1", "checkIns": [7]} == listed(backend, "T-1")
    backend.reset(shared_section())
    assert read_model(backend, "T-1") is None and page_all(backend) == []


def test_a_reset_with_other_ticket_types_resolves_afresh(backend: TalqueBackend) -> None:
    vip = {"extTicketId": "a", "tickets": ["vip"]}
    assert model_of(post(backend, vip), "a")["categories"] == ["vip"]

    def recategorise(data: dict[str, Any]) -> None:
        add_shared_client(data)
        for ticket_type in data["orgs"][0]["ticket_types"]:
            if ticket_type["id"] == "vip":
                ticket_type.update(category="patron", vip=False)

    backend.reset(talque_section(recategorise))
    again = model_of(post(backend, vip), "a")
    assert again["categories"] == ["patron"] and again["isVip"] is False
    # the same id lists in another org: resolved against that org's own types
    assert post(backend, vip, who="shared", org="org-other")["ticketById"]["a"]["reason"] == "UNKNOWN_TICKET_TYPE"


def test_the_resolution_memo_is_bounded(backend: TalqueBackend, monkeypatch: pytest.MonkeyPatch) -> None:
    from ticketfakes.fakes.talque import mapping

    monkeypatch.setattr(mapping, "RESOLVED_MEMO_SIZE", 2)
    tickets = [
        {"extTicketId": "a", "tickets": ["vip"]},
        {"extTicketId": "b", "eventIds": ["sess-keynote"]},
        {"extTicketId": "c", "tickets": ["gold"]},
        {"extTicketId": "d", "tickets": ["vip"]},
        {"extTicketId": "e", "tickets": ["gold"]},
    ]
    body = post(backend, *tickets)
    reasons = [body["ticketById"][t["extTicketId"]]["reason"] for t in tickets]
    assert reasons == ["CREATED", "CREATED", "UNKNOWN_TICKET_TYPE", "CREATED", "UNKNOWN_TICKET_TYPE"]
    assert model_of(body, "d")["categories"] == ["vip"] and model_of(body, "b")["eventIds"] == ["sess-keynote"]
    assert len(backend._state.orgs["org-demo"].resolved) <= 2


def test_a_model_built_at_another_mtime_is_never_served(backend: TalqueBackend) -> None:
    tid = model_of(post(backend, ADA), "T-1")["orgTicketId"]
    assert read_model(backend, "T-1") is not None  # cached
    record = backend._state.by_org_ticket_id[tid]
    record.mtime += 5  # as a write that forgot to drop the cached model would leave it
    assert read_model(backend, "T-1")["mtime"] == record.mtime  # type: ignore[index]
    assert model_of(post(backend, ADA), "T-1")["mtime"] == record.mtime  # UNCHANGED re-post too


def test_answers_may_be_changed_without_touching_the_ticket(backend: TalqueBackend) -> None:
    expected = model_of(post(backend, ADA), "T-1")
    for answer in (read_model(backend, "T-1"), listed(backend, "T-1"), model_of(post(backend, ADA), "T-1")):
        assert answer is not None
        answer.update(holder=None, tickets=["changed"], purchaser={"email": "x"}, mainId="changed")
    fresh = backend.get_ticket("org-demo", expected["orgTicketId"])  # to_model: fresh all the way down
    fresh["holder"]["email"] = "changed@example.com"
    fresh["eventIds"].append("sess-changed")
    assert read_model(backend, "T-1") == expected == listed(backend, "T-1")


def test_seq_index_pages_in_sequence_order_through_moves() -> None:
    from types import SimpleNamespace

    from ticketfakes.fakes.talque.store import SeqIndex

    one, three, five, seven = (SimpleNamespace(seq=n) for n in (1, 3, 5, 7))
    index = SeqIndex()
    for record in (one, five, seven, three):  # three moves in: lands in the middle
        index.add(record)  # type: ignore[arg-type]
    assert [r.seq for r in index] == [1, 3, 5, 7]
    index.remove(five)  # type: ignore[arg-type]
    index.remove(SimpleNamespace(seq=5))  # type: ignore[arg-type]  # not indexed: nothing happens
    index.remove(SimpleNamespace(seq=3))  # type: ignore[arg-type]  # same seq, another record: kept
    assert [r.seq for r in index] == [1, 3, 7]
    assert index.page(0, 7, 2) == ([one, three], True)
    assert index.page(3, 7, 2) == ([seven], False)
    assert index.page(0, 3, 10) == ([one, three], False) and index.page(7, 9, 1) == ([], False)


# -- the state machine -------------------------------------------------------------------------------
EXT_IDS = [f"x{i}" for i in range(6)]
CONTENTS = [
    {},
    {"tickets": ["day-pass"], "email": "a@example.com"},
    {"tickets": ["vip"], "email": "A@example.com", "firstName": "A"},
    {"eventIds": ["sess-keynote"], "email": "b@example.com"},
    {"tickets": ["gold"]},  # fails: never stored, never changes a stored ticket
]


@cache
def fresh_state() -> dict[str, Any]:
    return make_backend(add_shared_client).dump()


class TalqueMachine(RuleBasedStateMachine):
    """Random interleavings of upserts, check-ins and paging against a plain-dict oracle."""

    @initialize()
    def setup(self) -> None:
        self.backend = TalqueBackend(Clock())
        self.backend.restore(copy.deepcopy(fresh_state()))  # faster than parsing the fixture each time
        self.backend.clock.set(T0)
        self.backend.clock.freeze(True)
        self.known: dict[tuple[str, str], dict[str, Any]] = {}  # (who, ext id) -> last model
        self.pager: dict[str, Any] | None = None

    @rule(
        who=st.sampled_from(["demo", "shared"]),
        batch=st.lists(
            st.tuples(st.sampled_from(EXT_IDS), st.integers(0, len(CONTENTS) - 1)),
            min_size=1,
            max_size=4,
            unique_by=lambda t: t[0],
        ),
        advance=st.sampled_from([0, 0, 1, 1000]),
    )
    def upsert(self, who: str, batch: list[tuple[str, int]], advance: int) -> None:
        self.backend.clock.advance(advance)
        body = post(self.backend, *({"extTicketId": ext, **CONTENTS[c]} for ext, c in batch), who=who, fast=True)
        for ext, c in batch:
            result = body["ticketById"][ext]
            before = self.known.get((who, ext))
            if c == len(CONTENTS) - 1:
                assert result["reason"] == "UNKNOWN_TICKET_TYPE"
                continue
            model = result["model"]
            if before is None:
                assert result["reason"] == "CREATED"
            else:
                assert model["orgTicketId"] == before["orgTicketId"] and model["ctime"] == before["ctime"]
                if result["reason"] == "UNCHANGED":
                    assert model == before
                else:
                    assert result["reason"] == "UPDATED" and model["mtime"] > before["mtime"]
            self.known[(who, ext)] = model

    @precondition(lambda self: self.known)
    @rule(data=st.data())
    def check_in(self, data: st.DataObject) -> None:
        key = data.draw(st.sampled_from(sorted(self.known)))
        before = self.known[key]
        model = self.backend.check_in("org-demo", before["orgTicketId"])
        assert model["mtime"] > before["mtime"] and len(model["checkIns"]) == len(before["checkIns"]) + 1
        self.known[key] = model

    @precondition(lambda self: self.pager is None)
    @rule(who=st.sampled_from(["demo", "shared"]), limit=st.integers(1, 3))
    def start_paging(self, who: str, limit: int) -> None:
        expected = [m["orgTicketId"] for (w, _), m in self.known.items() if w == who]
        self.pager = {
            "who": who,
            "limit": limit,
            "cursor": None,
            "seen": [],
            "expected": expected,
            "started": False,
        }
        self.page()

    @precondition(lambda self: self.pager is not None)
    @rule()
    def page(self) -> None:
        p = self.pager
        assert p is not None
        body = self.backend.list("org-demo", client(self.backend, p["who"]), limit=p["limit"], cursor=p["cursor"])
        assert_list_body(body, fast=True)
        assert len(body["tickets"]) <= p["limit"] and (body["tickets"] or not body["more"])
        p["seen"] += [t["orgTicketId"] for t in body["tickets"]]
        p["cursor"] = body["cursor"]
        if not body["more"]:
            assert len(p["seen"]) == len(set(p["seen"]))
            assert sorted(p["seen"]) == sorted(p["expected"])
            self.pager = None

    @invariant()
    def upserts_never_duplicate(self) -> None:
        if not hasattr(self, "backend"):
            return
        for who in ("demo", "shared"):
            read = self.backend.read("org-demo", client(self.backend, who), f"{who}-shop", EXT_IDS)
            stored = {k: v["model"] for k, v in read["ticketById"].items() if v["success"]}
            assert stored == {ext: m for (w, ext), m in self.known.items() if w == who}
            # The page as served: each ticket's cached JSON bytes, dropped by every write (`changed`).
            plain = self.backend.list_tickets("org-demo", client(self.backend, who), limit=100)
            served = self.backend.list_tickets("org-demo", client(self.backend, who), limit=100, encoded=True)
            assert orjson.loads(orjson.dumps(served)) == plain
            by_id = {m["orgTicketId"]: m for m in stored.values()}
            assert {t["orgTicketId"]: t for t in plain["tickets"]} == by_id
        assert len(self.backend.dump()["tickets"]) == len(self.known)


TalqueMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
test_talque_state_machine = TalqueMachine.TestCase
