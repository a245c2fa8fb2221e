"""The Planhat fake over real HTTP: auth, bulk upsert, list, delete, big batches and concurrency.

The server runs with --validate-responses, so every status below is also a response the spec documents
(drift would be a 500). Rules and decisions: docs/planhat.md.
"""

from __future__ import annotations

import base64
import random
import threading
import time
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ticketfakes.pytest_plugin import Fakes

from .conftest import PLANHAT_AUTH

TICKETS = "/planhat/tickets"
MAX = "max@acme.example"
MAX_USER_ID = "cdd1a3cfdaa1cba93ed85f4c"  # the fixture end user's stable id
T0 = 1_700_000_000_000
T0_ISO = "2023-11-14T22:13:20.000Z"
COUNT_KEYS = ("created", "updated", "nonupdates")
RESULT_KEYS = {"created", "createdErrors", "insertsKeys", "updated", "updatedErrors", "updatesKeys",
               "nonupdates", "modified", "upsertedIds", "permissionErrors"}


def put(http: httpx.Client, body: Any, status: int = 200, headers: dict[str, str] = PLANHAT_AUTH) -> Any:
    response = http.put(TICKETS, headers=headers, json=body)
    assert response.status_code == status, response.text[:1000]
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def listing(http: httpx.Client, expect: int = 200, **params: Any) -> Any:
    response = http.get(TICKETS, headers=PLANHAT_AUTH, params=params)
    assert response.status_code == expect, response.text[:1000]
    return response.json()


def item(source_id: str, email: str | None = MAX, **fields: Any) -> dict[str, Any]:
    return {"sourceId": source_id, **({"email": email} if email is not None else {}), **fields}


def counts(result: dict[str, Any]) -> tuple[int, int, int, int, int]:
    return (result["created"], result["updated"], result["nonupdates"], len(result["createdErrors"]),
            len(result["updatedErrors"]))


def basic(raw: bytes) -> str:
    return "Basic " + base64.b64encode(raw).decode()


# -- auth -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "header",
    [f"Bearer {'ph_demo_token'}", basic(b"ph_demo_token:"), basic(b"ph_demo_token:any-password")],
    ids=["bearer", "basic-empty-password", "basic-with-password"],
)
def test_bearer_and_basic_with_the_token_as_user_name_are_accepted(http: httpx.Client, header: str) -> None:
    auth = {"Authorization": header}
    created = put(http, item("auth-1"), headers=auth)
    assert created["created"] == 1
    response = http.get(TICKETS, headers=auth)
    assert response.status_code == 200
    assert [t["sourceId"] for t in response.json()] == ["auth-1"]
    response = http.delete(f"{TICKETS}/{created['upsertedIds'][0]}", headers=auth)
    assert response.status_code == 200


def test_httpx_basic_auth_as_curl_user_sends_it(http: httpx.Client) -> None:
    response = http.get(TICKETS, auth=("ph_demo_token", ""))  # what `curl --user ph_demo_token:` sends
    assert response.status_code == 200


BAD_AUTH = {
    "missing": None,
    "empty": "",
    "wrong-bearer": "Bearer ph_wrong_token",
    "bearer-without-token": "Bearer",
    "other-scheme": "Token ph_demo_token",
    "bare-token": "ph_demo_token",
    "basic-wrong-user": basic(b"ph_wrong_token:"),
    "basic-token-as-password": basic(b":ph_demo_token"),
    "basic-without-colon": basic(b"ph_demo_token"),
    "basic-not-base64": "Basic !!!not-base64!!!",
    "basic-not-utf8": basic(b"\xff\xfe:"),
}


@pytest.mark.parametrize("header", list(BAD_AUTH.values()), ids=list(BAD_AUTH))
@pytest.mark.parametrize("operation", ["put", "get", "delete"])
def test_missing_wrong_or_malformed_auth_is_401_in_planhat_shape(
    http: httpx.Client, operation: str, header: str | None
) -> None:
    headers = {} if header is None else {"Authorization": header}
    if operation == "put":
        response = http.put(TICKETS, headers=headers, json=item("nope"))
    elif operation == "get":
        response = http.get(TICKETS, headers=headers)
    else:
        response = http.delete(f"{TICKETS}/000000000000000000000000", headers=headers)
    assert response.status_code == 401, response.text
    assert response.json() == {"message": "Invalid or missing token"}
    assert "Bearer" in response.headers["www-authenticate"]
    assert listing(http) == []  # a rejected PUT stored nothing


def test_auth_is_checked_before_params_and_body(http: httpx.Client) -> None:
    wrong = {"Authorization": "Bearer nope"}
    assert http.get(TICKETS, headers=wrong, params={"limit": 10001}).status_code == 401
    assert http.put(TICKETS, headers=wrong, json=[{"sourceId": 7}]).status_code == 401
    assert http.put(TICKETS, headers=wrong, json=[item(str(i)) for i in range(5001)]).status_code == 401


# -- PUT /tickets ---------------------------------------------------------------------------------
def test_single_object_is_created_and_listed(ticketfakes: Fakes, http: httpx.Client) -> None:
    ticketfakes.admin.freeze()
    ticketfakes.admin.set_clock(T0)
    body = {"source": "HomeGrownSupport", "sourceId": "123", "email": MAX, "title": "Cannot log in",
            "tags": ["login"], "timeSpent": 12.5, "status": "resolved", "custom": {"tier": "gold"},
            "createdAt": "2016-10-17T16:00:00+02:00", "unknownField": "ignored"}
    result = put(http, body)
    assert set(result) == RESULT_KEYS
    [ticket_id] = result["upsertedIds"]
    assert counts(result) == (1, 0, 0, 0, 0)
    assert result["insertsKeys"] == [{"_id": ticket_id, "sourceId": "123"}]
    assert result["modified"] == [] and result["updatesKeys"] == [] and result["permissionErrors"] == []
    assert listing(http) == [{
        "_id": ticket_id, "source": "HomeGrownSupport", "sourceId": "123", "email": MAX,
        "companyExternalId": "acme-ext", "companyId": "acme", "companyName": "Acme Inc",
        "endUserId": MAX_USER_ID, "title": "Cannot log in", "tags": ["login"], "timeSpent": 12.5,
        "status": "resolved", "custom": {"tier": "gold"}, "createdAt": "2016-10-17T14:00:00.000Z",
        "updatedAt": T0_ISO,
    }]


def test_array_creates_each_item_in_order(http: httpx.Client) -> None:
    result = put(http, [item("a-1"), item("a-2"), item("a-3")])
    assert counts(result) == (3, 0, 0, 0, 0)
    assert [k["sourceId"] for k in result["insertsKeys"]] == ["a-1", "a-2", "a-3"]
    assert [k["_id"] for k in result["insertsKeys"]] == result["upsertedIds"]
    assert len(set(result["upsertedIds"])) == 3
    assert [t["sourceId"] for t in listing(http)] == ["a-1", "a-2", "a-3"]


def test_empty_array_is_200_with_zero_counts(http: httpx.Client) -> None:
    assert counts(put(http, [])) == (0, 0, 0, 0, 0)


def test_more_than_5000_items_is_400_and_nothing_is_stored(http: httpx.Client) -> None:
    response = http.put(TICKETS, headers=PLANHAT_AUTH, json=[item(f"big-{i}") for i in range(5001)])
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"message", "errors"}
    assert body["errors"][0]["field"] == "body" and "5000" in body["errors"][0]["message"]
    assert len(response.content) < 2000  # the error names the limit; it does not echo the body
    assert listing(http, limit=10000) == []


def test_wrong_field_type_is_400_naming_the_item_and_field(http: httpx.Client) -> None:
    response = http.put(TICKETS, headers=PLANHAT_AUTH, json=[item("ok"), {"sourceId": 7, "email": MAX}])
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["1.sourceId"]
    assert listing(http) == []


def test_body_over_16_mib_is_413(http: httpx.Client) -> None:
    raw = b'[{"sourceId": "x", "email": "max@acme.example", "description": "' + b"a" * (16 * 1024 * 1024)
    response = http.put(TICKETS, headers={**PLANHAT_AUTH, "Content-Type": "application/json"},
                        content=raw + b'"}]')
    assert response.status_code == 413
    assert response.json()["message"]


def test_sourceid_is_the_key_without_id(ticketfakes: Fakes, http: httpx.Client) -> None:
    [ticket_id] = put(http, item("k-1", status="open"))["upsertedIds"]
    ticketfakes.admin.advance(60_000)
    result = put(http, item("k-1", status="closed"))
    assert counts(result) == (0, 1, 0, 0, 0)
    assert result["updatesKeys"] == [{"_id": ticket_id, "sourceId": "k-1"}]
    assert result["modified"] == [ticket_id] and result["upsertedIds"] == []
    [ticket] = listing(http)
    assert ticket["_id"] == ticket_id and ticket["status"] == "closed"
    assert ticket["updatedAt"] > ticket["createdAt"]


def test_id_wins_over_sourceid_and_can_rename_it(http: httpx.Client) -> None:
    first, second = put(http, [item("r-1"), item("r-2")])["upsertedIds"]
    result = put(http, {"_id": first, "sourceId": "r-1-renamed", "email": MAX, "status": "open"})
    assert result["updatesKeys"] == [{"_id": first, "sourceId": "r-1-renamed"}]
    assert {t["sourceId"]: t["_id"] for t in listing(http)} == {"r-1-renamed": first, "r-2": second}
    # the freed sourceId now creates a new ticket
    assert put(http, item("r-1"))["created"] == 1
    clash = put(http, {"_id": first, "sourceId": "r-2", "email": MAX}, status=400)
    assert clash["updatedErrors"] == [{"item": 0, "sourceId": "r-2", "_id": first,
                                       "message": f"sourceId r-2 already belongs to ticket {second}"}]


def test_unknown_id_is_an_update_error_never_a_create(http: httpx.Client) -> None:
    unknown = "0123456789abcdef01234567"
    result = put(http, {"_id": unknown, "sourceId": "u-1", "email": MAX}, status=400)
    assert counts(result) == (0, 0, 0, 0, 1)
    assert result["updatedErrors"] == [{"item": 0, "sourceId": "u-1", "_id": unknown,
                                        "message": f"No ticket with _id {unknown}"}]
    assert listing(http) == []


def test_items_without_email_are_dropped_and_counted_nowhere(http: httpx.Client) -> None:
    batch = [item("d-1", email=None), item("d-2", email=""), {"sourceId": "d-3", "email": None},
             item("d-4", email="   "), {"email": None}, item("d-5")]
    result = put(http, batch)
    assert counts(result) == (1, 0, 0, 0, 0)
    assert [t["sourceId"] for t in listing(http)] == ["d-5"]
    assert counts(put(http, [item("d-6", email=None)])) == (0, 0, 0, 0, 0)  # all dropped: still 200


@pytest.mark.parametrize("company", [{"companyExternalId": "acme-ext"}, {"companyId": "acme"}],
                         ids=["companyExternalId", "companyId"])
def test_unknown_email_with_known_company_creates_and_links_the_end_user(
    ticketfakes: Fakes, http: httpx.Client, company: dict[str, str]
) -> None:
    result = put(http, item("n-1", email="anna@acme.example", **company))
    assert counts(result) == (1, 0, 0, 0, 0)
    users = {u["email"]: u for u in ticketfakes.admin.state("planhat")["endUsers"]}
    anna = users["anna@acme.example"]
    assert anna["companyId"] == "acme"
    [ticket] = listing(http)
    assert (ticket["endUserId"], ticket["companyId"], ticket["companyName"]) == (anna["id"], "acme", "Acme Inc")
    # the end user now exists: a later item needs no company
    assert put(http, item("n-2", email="ANNA@acme.example"))["created"] == 1
    assert listing(http, select="endUserId")[1]["endUserId"] == anna["id"]


def test_unknown_email_without_company_fails_that_item_only(ticketfakes: Fakes, http: httpx.Client) -> None:
    failing = item("f-1", email="who@nowhere.example")
    result = put(http, [item("f-0"), failing], status=206)
    assert counts(result) == (1, 0, 0, 1, 0)
    [error] = result["createdErrors"]
    assert (error["item"], error["sourceId"]) == (1, "f-1")
    assert "who@nowhere.example" in error["message"]
    assert [t["sourceId"] for t in listing(http)] == ["f-0"]
    emails = {u["email"] for u in ticketfakes.admin.state("planhat")["endUsers"]}
    assert "who@nowhere.example" not in emails
    assert counts(put(http, failing, status=400)) == (0, 0, 0, 1, 0)  # alone: every item failed
    assert put(http, item("f-2", email="x@y.example", companyId="no-such"), status=400)["createdErrors"]


def test_identical_resend_is_nonupdates_and_keeps_updated_at(ticketfakes: Fakes, http: httpx.Client) -> None:
    batch = [item(f"i-{n}", status="open", tags=["a"], custom={"n": n}) for n in range(3)]
    put(http, batch)
    before = listing(http)
    ticketfakes.admin.advance(3_600_000)
    result = put(http, batch)
    assert counts(result) == (0, 0, 3, 0, 0)
    assert result["modified"] == [] and result["updatesKeys"] == []
    assert listing(http) == before


def test_resend_then_change_shows_the_change_and_a_fresh_stamp(ticketfakes: Fakes, http: httpx.Client) -> None:
    ticketfakes.admin.freeze()
    ticketfakes.admin.set_clock(T0)
    batch = [item(f"r-{n}", status="open", tags=["a"], timeSpent=1, custom={"n": n}) for n in range(3)]
    put(http, batch)
    for step, (clock, stamp, change) in enumerate([
        (T0 + 1_500, "2023-11-14T22:13:21.500Z", {"status": "closed"}),
        (T0 + 10, "2023-11-14T22:13:20.010Z", {"timeSpent": None}),  # back into a second seen before
        (T0 + 61_000, "2023-11-14T22:14:21.000Z", {"custom": {"n": None}}),
    ]):
        ticketfakes.admin.set_clock(clock)
        assert counts(put(http, batch)) == (0, 0, 3, 0, 0)
        batch[1] = {**batch[1], **change}
        result = put(http, batch)
        assert counts(result) == (0, 1, 2, 0, 0), step
        changed = listing(http)[1]
        assert result["modified"] == [changed["_id"]] and changed["updatedAt"] == stamp
        assert counts(put(http, batch)) == (0, 0, 3, 0, 0)
    assert listing(http)[1]["status"] == "closed" and "timeSpent" not in listing(http)[1]
    assert "custom" not in listing(http)[1] and listing(http)[0]["updatedAt"] == T0_ISO


def test_status_200_206_400_follow_the_outcome(http: httpx.Client) -> None:
    good, bad = item("s-1"), item("s-bad", email="nobody@nowhere.example")
    put(http, [good], status=200)
    put(http, [good, bad], status=206)  # a nonupdate counts as success
    put(http, [bad, {"sourceId": "s-2", "email": "not-an-email", "companyId": "acme"}], status=400)


# A small world for the property: two known-company e-mails, one unknown without a company, a drop.
EMAILS = [MAX, "new@acme.example", "who@nowhere.example", None]
batch_items = st.lists(
    st.fixed_dictionaries(
        {"sourceId": st.sampled_from(["p-0", "p-1", "p-2", "p-3"]), "email": st.sampled_from(EMAILS)},
        optional={"status": st.sampled_from(["open", "closed", None]), "company": st.just(True)},
    ),
    max_size=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(batch_items, min_size=1, max_size=3))
def test_bulk_counts_and_status_match_a_reference(ticketfakes: Fakes, http: httpx.Client,
                                                  batches: list[list[dict[str, Any]]]) -> None:
    ticketfakes.admin.reset("planhat")
    users = {MAX}
    stored: dict[str, dict[str, Any]] = {}
    for batch in batches:
        body, expected = [], [0, 0, 0, 0, 0]  # as counts(): created, updated, nonupdates, errors
        for spec in batch:
            entry = {"sourceId": spec["sourceId"], "email": spec["email"]}
            if "status" in spec:
                entry["status"] = spec["status"]
            if spec.get("company") and spec["email"] != "who@nowhere.example":
                entry["companyExternalId"] = "acme-ext"
            body.append(entry)
            email = spec["email"]
            if email is None:
                continue
            if email not in users and "companyExternalId" not in entry:
                expected[4 if entry["sourceId"] in stored else 3] += 1  # an update fails as updatedErrors
                continue
            users.add(email)
            old = stored.get(entry["sourceId"])
            new = {**(old or {}), "email": email}
            if "status" in entry:
                new["status"] = entry["status"]
            new = {k: v for k, v in new.items() if v is not None}  # null clears: same as never set
            expected[0 if old is None else 1 if new != old else 2] += 1
            stored[entry["sourceId"]] = new
        succeeded, failed = sum(expected[:3]), sum(expected[3:])
        status = 200 if not failed else 206 if succeeded else 400
        result = put(http, body, status=status)
        assert list(counts(result)) == expected
    tickets = listing(http, limit=10000)
    actual = {t["sourceId"]: {k: t[k] for k in ("email", "status") if k in t} for t in tickets}
    assert actual == stored


def test_5000_item_batch(http: httpx.Client) -> None:
    batch = [item(f"bulk-{i:04d}", status="open", title=f"Ticket {i}", tags=["bulk"]) for i in range(5000)]
    started = time.perf_counter()
    result = put(http, batch)
    took = time.perf_counter() - started
    resent = put(http, batch)
    print(f"\nPUT 5000 items over HTTP: {took:.3f} s (re-send {time.perf_counter() - started - took:.3f} s)")
    assert counts(result) == (5000, 0, 0, 0, 0)
    assert counts(resent) == (0, 0, 5000, 0, 0)
    tickets = listing(http, limit=10000)
    assert [t["sourceId"] for t in tickets] == [f"bulk-{i:04d}" for i in range(5000)]


def test_concurrent_overlapping_batches_never_duplicate_a_sourceid(ticketfakes: Fakes) -> None:
    pool = [f"c-{i:03d}" for i in range(300)]
    threads, barrier = 6, threading.Barrier(6)
    results: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        batch = [item(source_id, status=f"from-{seed}") for source_id in rng.sample(pool, 200)]
        try:
            with httpx.Client(base_url=ticketfakes.url, timeout=60.0) as client:
                barrier.wait()
                for _ in range(3):
                    response = client.put(TICKETS, headers=PLANHAT_AUTH, json=batch)
                    assert response.status_code == 200, response.text[:500]
                    results.append(response.json())
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    workers = [threading.Thread(target=worker, args=(seed,)) for seed in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    assert not errors, errors
    with httpx.Client(base_url=ticketfakes.url, timeout=60.0) as client:
        tickets = client.get(TICKETS, headers=PLANHAT_AUTH, params={"limit": 10000}).json()
    source_ids = [t["sourceId"] for t in tickets]
    assert len(source_ids) == len(set(source_ids))
    assert sum(r["created"] for r in results) == len(source_ids)
    assert len({t["_id"] for t in tickets}) == len(tickets)


# -- GET /tickets ---------------------------------------------------------------------------------
def test_list_is_a_bare_array_with_limit_default_500_and_offset(http: httpx.Client) -> None:
    put(http, [item(f"l-{i:03d}") for i in range(600)])
    assert len(listing(http)) == 500
    assert [t["sourceId"] for t in listing(http, offset=595)] == [f"l-{i}" for i in range(595, 600)]
    assert [t["sourceId"] for t in listing(http, limit=3, offset=10)] == ["l-010", "l-011", "l-012"]
    assert listing(http, offset=600) == []
    assert len(listing(http, limit=10000)) == 600


@pytest.mark.parametrize("params", [{"limit": 10001}, {"limit": 0}, {"limit": "ten"}, {"offset": -1},
                                    {"sort": "-"}, {"select": "a,,b"}])
def test_bad_params_are_400_in_planhat_shape(http: httpx.Client, params: dict[str, Any]) -> None:
    response = http.get(TICKETS, headers=PLANHAT_AUTH, params=params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["message"] and [e["field"] for e in body["errors"]] == list(params)


def test_sort_by_field_ascending_and_descending(http: httpx.Client) -> None:
    put(http, [item("o-1", createdAt="2024-01-02", title="b"), item("o-2", createdAt="2024-01-03"),
               item("o-3", createdAt="2024-01-01", title="a"), item("o-4", createdAt="2024-01-02")])
    assert [t["sourceId"] for t in listing(http, sort="createdAt")] == ["o-3", "o-1", "o-4", "o-2"]
    assert [t["sourceId"] for t in listing(http, sort="-createdAt")] == ["o-2", "o-1", "o-4", "o-3"]
    # tickets without the field come last either way
    assert [t["sourceId"] for t in listing(http, sort="title")] == ["o-3", "o-1", "o-2", "o-4"]
    assert [t["sourceId"] for t in listing(http, sort="-title")] == ["o-1", "o-3", "o-2", "o-4"]
    assert [t["sourceId"] for t in listing(http, sort="-createdAt", limit=2, offset=1)] == ["o-1", "o-4"]


def test_filters_company_email_status_combine(http: httpx.Client) -> None:
    put(http, [item("x-1", status="open"), item("x-2", status="closed"),
               item("x-3", email="gina@globex.example", companyExternalId="globex-ext", status="open"),
               item("x-4", email="Anna@Acme.example", companyId="acme", status="open")])

    def ids(**params: Any) -> list[str]:
        return [t["sourceId"] for t in listing(http, **params)]

    assert ids(companyId="acme") == ["x-1", "x-2", "x-4"]
    assert ids(companyId="globex") == ["x-3"]
    assert ids(email="MAX@acme.example") == ["x-1", "x-2"]
    assert ids(email="anna@acme.example") == ["x-4"]
    assert ids(status="open") == ["x-1", "x-3", "x-4"]
    assert ids(companyId="acme", status="open") == ["x-1", "x-4"]
    assert ids(companyId="acme", status="open", email="max@acme.example") == ["x-1"]
    assert ids(companyId="nobody") == [] and ids(status="pending") == []


def test_select_returns_only_those_fields_plus_id(http: httpx.Client) -> None:
    put(http, [item("sel-1", status="open"), item("sel-2")])
    tickets = listing(http, select="sourceId,status,noSuchField")
    assert [set(t) for t in tickets] == [{"_id", "sourceId", "status"}, {"_id", "sourceId"}]
    assert [set(t) for t in listing(http, select="email")] == [{"_id", "email"}] * 2


# -- DELETE /tickets/{id} -------------------------------------------------------------------------
def test_delete_then_404(http: httpx.Client) -> None:
    first, second = put(http, [item("del-1"), item("del-2")])["upsertedIds"]
    response = http.delete(f"{TICKETS}/{first}", headers=PLANHAT_AUTH)
    assert response.status_code == 200
    assert response.json() == {"n": 1, "ok": 1, "deletedCount": 1}
    assert [t["_id"] for t in listing(http)] == [second]
    again = http.delete(f"{TICKETS}/{first}", headers=PLANHAT_AUTH)
    assert again.status_code == 404
    assert again.json() == {"message": f"No ticket with _id {first}"}
    assert http.delete(f"{TICKETS}/not-an-id", headers=PLANHAT_AUTH).status_code == 404
    recreated = put(http, item("del-1"))
    assert recreated["created"] == 1 and recreated["upsertedIds"] != [first]


def test_other_methods_are_405_with_allow(http: httpx.Client) -> None:
    response = http.patch(f"{TICKETS}/000000000000000000000000", headers=PLANHAT_AUTH, json={})
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE" and response.json()["message"]
    response = http.post(TICKETS, headers=PLANHAT_AUTH, json={})
    assert response.status_code == 405
    assert set(response.headers["allow"].replace(" ", "").split(",")) == {"GET", "PUT"}
