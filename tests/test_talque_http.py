"""talque over real HTTP: the ticket webhook and the Ticket JSON API, every rule of docs/talque.md.

The server validates each response against the specs (a drift would be a 500), so statuses are exact.
"""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest

from .conftest import OTHER_TALQUE_AUTH, TALQUE_AUTH

WEBHOOK = "/talque/webhook/org/{org}/ticket"
READ = "/talque/api/v1/ticket/read"
LIST = "/talque/api/v1/ticket/list"


def post(http: httpx.Client, tickets: list[dict[str, Any]], org: str = "org-demo",
         headers: dict[str, str] = TALQUE_AUTH, **extra: Any) -> httpx.Response:
    return http.post(WEBHOOK.format(org=org), headers=headers, json={"tickets": tickets, **extra})


def upsert(http: httpx.Client, *tickets: dict[str, Any], **extra: Any) -> dict[str, Any]:
    response = post(http, list(tickets), **extra)
    assert response.status_code == 200, response.text
    return response.json()


def read(http: httpx.Client, ids: list[str], org: str = "org-demo", provider: str = "demo-shop",
         headers: dict[str, str] = TALQUE_AUTH) -> httpx.Response:
    return http.post(READ, headers=headers, json={"orgId": org, "provider": provider, "ticketIdList": ids})


def list_page(http: httpx.Client, headers: dict[str, str] = TALQUE_AUTH, **body: Any) -> httpx.Response:
    return http.post(LIST, headers=headers, json={"orgId": "org-demo", **body})


def list_all(http: httpx.Client, limit: int = 100, **body: Any) -> list[dict[str, Any]]:
    tickets, cursor = [], None
    while True:
        page = list_page(http, limit=limit, cursor=cursor, **body).json()
        tickets.extend(page["tickets"])
        if not page["more"]:
            assert page["cursor"] is None
            return tickets
        cursor = page["cursor"]


# -- webhook: order of checks, auth -----------------------------------------------------------------

def test_unknown_org_is_404_before_auth(http: httpx.Client) -> None:
    for headers in ({}, {"X-TQ-CLIENT-ID": "demo-client", "X-TQ-SECRET": "wrong"}, TALQUE_AUTH):
        response = post(http, [{"extTicketId": "A"}], org="org-nope", headers=headers)
        assert response.status_code == 404
        assert response.json()["reason"] == "NOT_FOUND"


@pytest.mark.parametrize("headers", [
    {},
    {"X-TQ-CLIENT-ID": "demo-client"},
    {"X-TQ-SECRET": "demo-secret"},
    {"X-TQ-CLIENT-ID": "demo-client", "X-TQ-SECRET": "demo-secreT"},
    {"X-TQ-CLIENT-ID": "nobody", "X-TQ-SECRET": "demo-secret"},
    OTHER_TALQUE_AUTH,  # a real client, not permitted for org-demo
], ids=["none", "no-secret", "no-id", "wrong-secret", "unknown-client", "other-org-client"])
def test_webhook_refuses_missing_wrong_or_unpermitted_clients_with_403(http: httpx.Client, headers: dict) -> None:
    response = post(http, [{"extTicketId": "A"}], headers=headers)
    assert response.status_code == 403
    assert response.json()["success"] is False and response.json()["reason"] == "FORBIDDEN"
    assert list_all(http) == []


def test_auth_comes_before_body_validation(http: httpx.Client) -> None:
    assert post(http, [], headers={}).status_code == 403
    assert http.post(READ, json={}).status_code == 401


# -- webhook: validation names the field and the ticket -----------------------------------------------

@pytest.mark.parametrize(("tickets", "field"), [
    ([], "tickets"),
    ([{"extTicketId": f"T{i}"} for i in range(1001)], "tickets"),
    ([{"extTicketId": "ok"}, {"extTicketId": ""}], "tickets[1].extTicketId"),
    ([{"extTicketId": "ok"}, {"email": "a@example.com"}], "tickets[1].extTicketId"),
    ([{"extTicketId": "A"}, {"extTicketId": "A"}], "tickets[1].extTicketId"),
    ([{"extTicketId": "A", "firstName": "Ada"}], "tickets[0].email"),
    ([{"extTicketId": "A", "lastName": "Lovelace"}], "tickets[0].email"),
    ([{"extTicketId": "A", "email": "not-an-email"}], "tickets[0].email"),
    ([{"extTicketId": "A", "phoneNumber": "0301234567"}], "tickets[0].phoneNumber"),
    ([{"extTicketId": "A", "phoneNumber": "+49 30 1234567"}], "tickets[0].phoneNumber"),
    ([{"extTicketId": "A", "phoneNumberType": "PAGER"}], "tickets[0].phoneNumberType"),
    ([{"extTicketId": "A", "tickets": "day-pass"}], "tickets[0].tickets"),
], ids=["empty", "1001", "empty-id", "missing-id", "duplicate-id", "first-name-alone", "last-name-alone",
        "bad-email", "phone-not-e164", "phone-spaces", "phone-type", "tickets-not-array"])
def test_each_documented_constraint_is_a_400_naming_field_and_ticket(
    http: httpx.Client, tickets: list, field: str
) -> None:
    response = post(http, tickets)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["success"] is False and body["reason"] == "BAD_REQUEST"
    fields = [error["field"] for error in body["errors"]]
    assert field in fields, body
    if field.startswith("tickets["):
        error = next(e for e in body["errors"] if e["field"] == field)
        assert error["ticketIndex"] == int(field[8:field.index("]")])
    assert list_all(http) == []  # nothing stored


def test_purchase_order_requires_ext_purchase_id(http: httpx.Client) -> None:
    response = post(http, [{"extTicketId": "A"}], purchaseOrder={"email": "buyer@example.com"})
    assert response.status_code == 400
    assert "purchaseOrder.extPurchaseId" in [e["field"] for e in response.json()["errors"]]


# -- webhook: upsert ----------------------------------------------------------------------------------

def test_create_update_unchanged(http: httpx.Client, ticketfakes) -> None:
    ticket = {"extTicketId": "T-1", "email": "ada@example.com", "firstName": "Ada", "tickets": ["day-pass"]}
    created = upsert(http, ticket)
    entry = created["ticketById"]["T-1"]
    assert (created["success"], created["reason"], entry["success"], entry["reason"]) == (
        True, "SUCCESS", True, "CREATED")
    model = entry["model"]
    assert model["ctime"] == model["mtime"]
    assert created["orgId"] == "org-demo" and created["provider"] == "demo-shop"

    again = upsert(http, ticket)["ticketById"]["T-1"]
    assert again["reason"] == "UNCHANGED" and again["model"] == model  # not even mtime moves

    ticketfakes.admin.freeze()  # even on a frozen clock, mtime strictly increases on a change
    updated = upsert(http, {**ticket, "tickets": ["vip"]})["ticketById"]["T-1"]
    assert updated["reason"] == "UPDATED"
    new = updated["model"]
    assert new["orgTicketId"] == model["orgTicketId"] and new["ctime"] == model["ctime"]
    assert new["mtime"] > model["mtime"] and new["isVip"] is True
    assert len(list_all(http)) == 1


def test_update_is_a_full_replace_and_keeps_check_ins(http: httpx.Client) -> None:
    first = upsert(http, {"extTicketId": "T-1", "email": "ada@example.com", "companyName": "ACME",
                          "eventIds": ["sess-keynote"]})["ticketById"]["T-1"]["model"]
    checked = http.post(f"/_admin/talque/orgs/org-demo/tickets/{first['orgTicketId']}/check-ins").json()
    replaced = upsert(http, {"extTicketId": "T-1", "email": "ada@example.com"})["ticketById"]["T-1"]["model"]
    assert replaced["holder"]["companyName"] is None and replaced["eventIds"] == []
    assert replaced["checkIns"] == checked["checkIns"] and len(replaced["checkIns"]) == 1


def test_mapping_to_the_json_api_model(http: httpx.Client) -> None:
    result = upsert(http, {
        "extTicketId": "T-1", "email": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace",
        "phoneNumber": "+4930123456", "phoneNumberType": "MOBILE", "companyName": "Analytical Engines",
        "jobTitle": "Programmer", "extUserId": "u-1", "tickets": ["full-event", "vip"],
        "eventIds": ["sess-workshop"], "extEventIds": ["ext-keynote"], "extVendorIds": ["ext-acme"],
    }, purchaseOrder={"extPurchaseId": "PO-1", "email": "Buyer@Example.com", "firstName": "Bob"})
    model = result["ticketById"]["T-1"]["model"]
    assert model["ticketId"] == "T-1" and model["provider"] == "demo-shop" and model["isTest"] is True
    assert model["tickets"] == ["full-event", "vip"]
    assert model["categories"] == ["delegate", "vip"] and model["category"] == "delegate"
    assert model["course"] == "hybrid" and model["isVip"] is True
    assert sorted(model["eventIds"]) == ["sess-keynote", "sess-workshop"]
    assert model["extEventIds"] == ["ext-keynote"]
    assert model["vendorIds"] == ["vendor-acme"] and model["extVendorIds"] == ["ext-acme"]
    assert model["holder"] == {"email": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace",
                               "companyName": "Analytical Engines", "jobTitle": "Programmer",
                               "extUserId": "u-1", "locale": None}
    assert model["purchaser"]["email"] == "Buyer@Example.com" and model["purchaser"]["firstName"] == "Bob"
    assert model["purchaseOrderId"] == result["purchaseOrderId"] and model["extPurchaseOrderId"] == "PO-1"
    assert model["mainId"] is None and model["checkIns"] == [] and model["isCheckInReset"] is False


def test_no_ticket_type_defaults(http: httpx.Client) -> None:
    model = upsert(http, {"extTicketId": "T-1"})["ticketById"]["T-1"]["model"]
    assert (model["tickets"], model["categories"], model["category"], model["isVip"], model["course"]) == (
        [], [], None, False, "on-site")


def test_purchaser_only_when_the_order_email_differs(http: httpx.Client) -> None:
    same = upsert(http, {"extTicketId": "T-1", "email": "ada@example.com"},
                  purchaseOrder={"extPurchaseId": "PO-1", "email": "ADA@example.com"})
    assert same["ticketById"]["T-1"]["model"]["purchaser"] is None
    other = upsert(http, {"extTicketId": "T-2", "email": "ada@example.com"},
                   purchaseOrder={"extPurchaseId": "PO-1", "email": "bob@example.com"})
    assert other["ticketById"]["T-2"]["model"]["purchaser"]["email"] == "bob@example.com"
    assert other["purchaseOrderId"] == same["purchaseOrderId"]  # upserted by extPurchaseId
    assert upsert(http, {"extTicketId": "T-3"}, purchaseOrder={"extPurchaseId": "PO-2"})["purchaseOrderId"] \
        != same["purchaseOrderId"]


@pytest.mark.parametrize(("ticket", "reason"), [
    ({"tickets": ["no-such-type"]}, "UNKNOWN_TICKET_TYPE"),
    ({"eventIds": ["sess-nope"]}, "UNKNOWN_EVENT_ID"),
    ({"vendorIds": ["vendor-nope"]}, "UNKNOWN_VENDOR_ID"),
    ({"extEventIds": ["ext-nope"]}, "UNKNOWN_EXT_EVENT_ID"),
    ({"extVendorIds": ["ext-nope"]}, "UNKNOWN_EXT_VENDOR_ID"),
])
def test_a_failing_ticket_does_not_stop_the_others(http: httpx.Client, ticket: dict, reason: str) -> None:
    result = upsert(http, {"extTicketId": "good-1"}, {"extTicketId": "bad", **ticket}, {"extTicketId": "good-2"})
    assert result["success"] is False  # still 200
    bad = result["ticketById"]["bad"]
    assert (bad["success"], bad["reason"], bad["model"]) == (False, reason, None)
    assert result["ticketById"]["good-1"]["reason"] == "CREATED"
    assert [t["ticketId"] for t in list_all(http)] == ["good-1", "good-2"]


def test_is_test_comes_from_the_client(http: httpx.Client) -> None:
    model = upsert(http, {"extTicketId": "X"}, org="org-other", headers=OTHER_TALQUE_AUTH)["ticketById"]["X"]
    assert model["model"]["isTest"] is False and model["model"]["provider"] == "other-shop"


def test_concurrent_webhooks_for_one_ext_ticket_id_make_one_ticket(http: httpx.Client, ticketfakes) -> None:
    def hammer(i: int) -> None:
        with httpx.Client(base_url=ticketfakes.url) as client:
            upsert(client, {"extTicketId": "SAME", "email": f"p{i % 3}@example.com"})

    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [t["ticketId"] for t in list_all(http)] == ["SAME"]


# -- JSON API -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [{}, {"X-TQ-CLIENT-ID": "demo-client", "X-TQ-SECRET": "nope"},
                                     {"X-TQ-CLIENT-ID": "ghost", "X-TQ-SECRET": "demo-secret"}])
def test_json_api_missing_or_wrong_credentials_is_401(http: httpx.Client, headers: dict) -> None:
    assert read(http, ["A"], headers=headers).status_code == 401
    assert list_page(http, headers=headers).status_code == 401
    assert list_page(http, headers=headers).json()["reason"] == "UNAUTHORIZED"


def test_json_api_unknown_org_404_unpermitted_403_bad_body_400(http: httpx.Client) -> None:
    assert read(http, ["A"], org="org-nope").status_code == 404
    assert list_page(http, orgId="org-nope").status_code == 404
    assert read(http, ["A"], org="org-other").status_code == 403
    assert list_page(http, orgId="org-other").status_code == 403
    assert read(http, ["A"], provider="other-shop").status_code == 403  # not the client's own provider
    assert http.post(READ, headers=TALQUE_AUTH, json={"orgId": "org-demo"}).status_code == 400
    assert http.post(READ, headers=TALQUE_AUTH, json={"orgId": "org-demo", "provider": "demo-shop",
                                                       "ticketIdList": "A"}).status_code == 400
    assert http.post(LIST, headers=TALQUE_AUTH, json={}).status_code == 400
    assert http.post(LIST, headers=TALQUE_AUTH, json=["org-demo"]).status_code == 400
    assert list_page(http, limit="10").status_code == 400


def test_read_found_missing_duplicates_and_the_1000_limit(http: httpx.Client) -> None:
    written = upsert(http, {"extTicketId": "A", "email": "ada@example.com"})["ticketById"]["A"]["model"]
    body = read(http, ["A", "B", "A"]).json()
    assert body["orgId"] == "org-demo" and body["provider"] == "demo-shop"
    assert list(body["ticketById"]) == ["A", "B"]
    assert body["ticketById"]["A"] == {"success": True, "reason": "SUCCESS", "model": written}
    assert body["ticketById"]["B"] == {"success": False, "reason": "NOT_FOUND", "model": None}
    assert read(http, [f"id-{i}" for i in range(1000)]).status_code == 200
    too_many = read(http, [f"id-{i}" for i in range(1001)])
    assert too_many.status_code == 400 and too_many.json()["errors"][0]["field"] == "ticketIdList"


def test_read_and_list_return_the_webhook_model_byte_for_byte(http: httpx.Client) -> None:
    response = post(http, [{"extTicketId": "A", "email": "zoë@example.com", "firstName": "Zoë",
                            "tickets": ["vip"]}])
    raw_model = response.content.split(b'"model":', 1)[1][: -len(b"}}}")]  # closes entry, map, body
    assert raw_model.startswith(b"{") and raw_model.endswith(b"}")
    read_raw = read(http, ["A"]).content
    list_raw = list_page(http).content
    assert raw_model in read_raw and raw_model in list_raw


def test_list_in_creation_order_with_limits_and_cursors(http: httpx.Client) -> None:
    upsert(http, *[{"extTicketId": f"T{i:03}"} for i in range(25)])
    upsert(http, {"extTicketId": "T000", "email": "late@example.com"})  # an update keeps its place
    default = list_page(http).json()
    assert len(default["tickets"]) == 25 and default["more"] is False and default["cursor"] is None
    first = list_page(http, limit=10).json()
    assert [t["ticketId"] for t in first["tickets"]] == [f"T{i:03}" for i in range(10)]
    assert first["more"] is True and isinstance(first["cursor"], str)
    assert [t["ticketId"] for t in list_all(http, limit=7)] == [f"T{i:03}" for i in range(25)]
    exact = list_page(http, limit=25).json()
    assert exact["more"] is False and exact["cursor"] is None  # more only when a next page exists
    for bad_limit in (0, 1001, -5):
        assert list_page(http, limit=bad_limit).status_code == 400
    assert list_page(http, limit=1000).status_code == 200


def test_bad_tampered_and_foreign_cursors_are_400(http: httpx.Client) -> None:
    upsert(http, *[{"extTicketId": f"T{i}", "email": "ada@example.com"} for i in range(5)])
    cursor = list_page(http, limit=2).json()["cursor"]
    for bad in ("garbage", cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB"), "x" + cursor, ""):
        response = list_page(http, limit=2, cursor=bad)
        assert response.status_code == 400, bad
        assert response.json()["reason"] == "BAD_REQUEST"
    profile = http.get("/_admin/talque/orgs/org-demo/profiles").json()["profiles"][0]["id"]
    assert list_page(http, limit=2, cursor=cursor, profileId=profile).status_code == 400  # other filter
    upsert(http, {"extTicketId": "O1"}, org="org-other", headers=OTHER_TALQUE_AUTH)
    other = http.post(LIST, headers=OTHER_TALQUE_AUTH, json={"orgId": "org-other", "cursor": cursor})
    assert other.status_code == 400  # another org's cursor


def test_paging_while_writing_returns_each_original_ticket_once(http: httpx.Client) -> None:
    upsert(http, *[{"extTicketId": f"T{i:03}"} for i in range(30)])
    seen, cursor, n = [], None, 0
    while True:
        page = list_page(http, limit=4, cursor=cursor).json()
        seen.extend(t["ticketId"] for t in page["tickets"])
        upsert(http, {"extTicketId": f"NEW{n}"}, {"extTicketId": f"T{n:03}", "email": f"u{n}@example.com"})
        n += 1
        if not page["more"]:
            break
        cursor = page["cursor"]
    assert seen == [f"T{i:03}" for i in range(30)]  # complete, disjoint, ordered, no newcomers


def test_profile_filter_one_profile_per_email_case_insensitive(http: httpx.Client) -> None:
    upsert(http, {"extTicketId": "A", "email": "Ada@Example.com"}, {"extTicketId": "B", "email": "bob@example.com"},
           {"extTicketId": "C", "email": "ada@example.COM"}, {"extTicketId": "D"})
    profiles = http.get("/_admin/talque/orgs/org-demo/profiles").json()["profiles"]
    assert len(profiles) == 2
    ada = next(p["id"] for p in profiles if p["email"].lower() == "ada@example.com")
    assert [t["ticketId"] for t in list_all(http, limit=1, profileId=ada)] == ["A", "C"]
    assert list_page(http, profileId="no-such-profile").json()["tickets"] == []


def test_tenant_isolation_between_orgs_and_providers(http: httpx.Client) -> None:
    upsert(http, {"extTicketId": "SHARED-ID", "email": "ada@example.com"})
    upsert(http, {"extTicketId": "SHARED-ID"}, org="org-other", headers=OTHER_TALQUE_AUTH)
    ours = list_all(http)
    theirs = http.post(LIST, headers=OTHER_TALQUE_AUTH, json={"orgId": "org-other"}).json()["tickets"]
    assert [t["provider"] for t in ours] == ["demo-shop"] and [t["provider"] for t in theirs] == ["other-shop"]
    assert ours[0]["orgTicketId"] != theirs[0]["orgTicketId"]
    assert read(http, ["SHARED-ID"], org="org-other").status_code == 403
    assert post(http, [{"extTicketId": "X"}], org="org-other").status_code == 403  # not writable either


def test_read_and_list_follow_updates_check_ins_restores_and_resets(http: httpx.Client) -> None:
    def served(ext_id: str) -> tuple[Any, list[dict[str, Any]]]:
        return read(http, [ext_id]).json()["ticketById"][ext_id]["model"], list_all(http)

    ticket = {"extTicketId": "A", "email": "ada@example.com", "tickets": ["day-pass"]}
    first = upsert(http, ticket)["ticketById"]["A"]["model"]
    assert served("A") == (first, [first])  # read and listed once: cached from here on
    dump = http.get("/_admin/state").json()
    updated = upsert(http, {**ticket, "tickets": ["vip"]})["ticketById"]["A"]["model"]
    assert updated["categories"] == ["vip"] and served("A") == (updated, [updated])
    path = f"/_admin/talque/orgs/org-demo/tickets/{first['orgTicketId']}"
    checked = http.post(f"{path}/check-ins", json={"at_ms": 5}).json()
    assert checked["checkIns"] == [5] and served("A") == (checked, [checked])
    cleared = http.post(f"{path}/check-in-reset").json()
    assert cleared["isCheckInReset"] is True and served("A") == (cleared, [cleared])
    assert http.put("/_admin/state", json=dump).status_code == 200
    assert served("A") == (first, [first])
    assert http.post("/_admin/reset").status_code == 200
    assert served("A") == (None, [])
