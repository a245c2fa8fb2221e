"""Planhat: bulk counts, read-after-write, list paging and tenant isolation of `/tickets`; the bulk
upsert's response checks; and `CHECK_VENDORS`, the contract as the checker registers it (its data:
`planhat_data.py`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import schemathesis

from ..interface import CheckVendor
from ..response_checks import as_object, checked_by, count, json_of, resend, size
from . import planhat_data as data
from .base import Checker, counted, rule

if TYPE_CHECKING:
    import httpx
    from schemathesis import Case, CheckContext, Response

    from ..interface import Contract
    from ..target import Target


def put(contract: Contract, body: Any, target: Target | None = None) -> httpx.Response:
    response = (target or contract.target).request("PUT", "/tickets", json_body=body)
    if response.status_code in (200, 206) and target is None:
        for ticket_id in response.json().get("upsertedIds") or []:
            contract.ledger.add("planhat", "ticket", ticket_id)
    return response


def listed(check: Checker, contract: Contract, email: str, **params: Any) -> list[dict[str, Any]]:
    body = check.json(contract.target.get("/tickets", params={"email": email, **params}), 200)
    check.expect(isinstance(body, list), f"GET /tickets answered {type(body).__name__}, not an array")
    return body


def cleanup(contract: Contract) -> None:
    """Delete every ticket this run created and has not deleted yet."""
    for item in contract.ledger.live("planhat", "ticket"):
        if contract.target.request("DELETE", f"/tickets/{item.id}").status_code in (200, 404):
            contract.ledger.removed("planhat", "ticket", item.id)


@rule("planhat.counts", "planhat")
def counts(contract: Contract) -> None:
    """A bulk upsert's counts add up, a re-send counts as nonupdates, and no sourceId is ever stored twice.

    A batch with two new tickets, a later item updating the first, an item without e-mail (dropped) and
    one with an unknown e-mail and no company (failed) answers 206 with created 2, updated 1, one
    createdError, and counts summing to items sent minus dropped; re-sending its net content answers
    nonupdates for every stored item and creates nothing; listing shows each sourceId once.
    """
    check = Checker("planhat.counts", contract)
    email = contract.ids.email()
    first, second = contract.ids.new("src"), contract.ids.new("src")
    company = contract.param("companyExternalId")
    batch = [
        {"sourceId": first, "email": email, "companyExternalId": company, "title": "Cannot log in", "status": "open"},
        {"sourceId": second, "email": email, "title": "Invoice question", "tags": ["billing"]},
        {"sourceId": contract.ids.new("dropped"), "title": "no e-mail: dropped"},
        {"sourceId": contract.ids.new("failed"), "email": contract.ids.email(), "title": "unknown person"},
        {"sourceId": first, "email": email, "title": "Cannot log in (SSO)"},
    ]
    body = check.json(put(contract, batch), 206)
    check.expect(counted(check, body, 5, 1) == 1, f"expected exactly one failed item: {body}")
    check.expect((body["created"], body["updated"], body["nonupdates"]) == (2, 1, 0),
                 f"expected created 2, updated 1, nonupdates 0: {body}")
    check.expect([e.get("item") for e in body.get("createdErrors") or []] == [3],
                 f"the failed item should be item 3: {body.get('createdErrors')}")
    resend = [batch[4], batch[1], batch[2], batch[3]]
    again = check.json(put(contract, resend), 206)
    counted(check, again, 4, 1)
    check.expect((again["created"], again["updated"], again["nonupdates"]) == (0, 0, 2),
                 f"re-sending stored content must count 2 nonupdates and change nothing: {again}")
    tickets = listed(check, contract, email)
    sources = sorted(t.get("sourceId") for t in tickets)
    check.expect(sources == sorted([first, second]), f"listing the batch's e-mail shows sourceIds {sources}")


@rule("planhat.read_after_write", "planhat")
def read_after_write(contract: Contract) -> None:
    """A ticket lists exactly as written; an update changes only the fields sent and null clears one.

    Created with every field, the listed ticket carries each value posted (derived company fields
    aside); after a partial update only the posted field changed; after posting `null` the field is gone;
    after DELETE it is no longer listed and a second DELETE is 404.
    """
    check = Checker("planhat.read_after_write", contract)
    email = contract.ids.email()
    ticket = {"sourceId": contract.ids.new("src"), "email": email, "companyExternalId": contract.param(
        "companyExternalId"), "source": "ticketfakes", "title": "Printer on fire", "description": "Smoke",
        "tags": ["hardware", "urgent"], "type": "bug", "severity": "high", "product": "Office", "timeSpent": 12.5,
        "status": "open", "custom": {"tier": "gold"}}
    response = put(contract, ticket)
    company = contract.param("companyExternalId")
    check.known(company not in response.text or response.status_code == 200, company,
                f"the upsert failed naming the company: {response.text[:200]}")
    body = check.json(response, 200)
    check.expect(body.get("created") == 1, f"expected one created ticket: {body}")
    ticket_id = body["upsertedIds"][0]
    [stored] = listed(check, contract, email) or [None]
    check.expect(stored and stored.get("_id") == ticket_id, f"the created ticket {ticket_id} is not listed: {stored}")
    for field, value in ticket.items():
        if field != "companyExternalId":
            check.expect(stored.get(field) == value, f"listed {field}={stored.get(field)!r}, posted {value!r}")
    check.json(put(contract, {"sourceId": ticket["sourceId"], "email": email, "status": "closed"}), 200)
    [after] = listed(check, contract, email)
    changed = {k for k in set(stored) | set(after) if stored.get(k) != after.get(k)} - {"updatedAt"}
    check.expect(changed == {"status"} and after["status"] == "closed",
                 f"a status-only update changed {sorted(changed)}")
    check.json(put(contract, {"sourceId": ticket["sourceId"], "email": email, "description": None}), 200)
    [cleared] = listed(check, contract, email)
    check.expect("description" not in cleared, f"posting description: null left {cleared.get('description')!r}")
    gone = check.json(contract.target.request("DELETE", f"/tickets/{ticket_id}"), 200)
    contract.ledger.removed("planhat", "ticket", ticket_id)
    check.expect(gone == {"n": 1, "ok": 1, "deletedCount": 1}, f"DELETE answered {gone}")
    check.expect(listed(check, contract, email) == [], "a deleted ticket is still listed")
    check.status(contract.target.request("DELETE", f"/tickets/{ticket_id}"), 404)


@rule("planhat.list_paging", "planhat")
def list_paging(contract: Contract) -> None:
    """limit/offset pages are disjoint, complete and in creation order, and an offset past the end is empty."""
    check = Checker("planhat.list_paging", contract)
    email = contract.ids.email()
    company = contract.param("companyExternalId")
    batch = [{"sourceId": contract.ids.new("src"), "email": email, "companyExternalId": company, "title": f"#{i}"}
             for i in range(5)]
    body = check.json(put(contract, batch), 200)
    check.expect(body.get("created") == 5, f"expected 5 created tickets: {body}")
    seen: list[str] = []
    for offset in range(0, 6, 2):
        page = listed(check, contract, email, limit=2, offset=offset)
        check.expect(len(page) <= 2, f"limit=2 answered {len(page)} tickets")
        seen.extend(t.get("sourceId") for t in page)
    check.expect(seen == [t["sourceId"] for t in batch], f"pages list {seen}, created {[t['sourceId'] for t in batch]}")
    check.expect(listed(check, contract, email, offset=5) == [], "an offset past the end lists tickets")


@rule("planhat.tenant_isolation", "planhat")
def tenant_isolation(contract: Contract) -> str | None:
    """Without a valid token nothing is read or written (401); another workspace's token (otherToken)
    neither lists nor deletes our tickets."""
    check = Checker("planhat.tenant_isolation", contract)
    email = contract.ids.email()
    item = {"sourceId": contract.ids.new("src"), "email": email,
            "companyExternalId": contract.param("companyExternalId")}
    body = check.json(put(contract, item), 200)
    ticket_id = body["upsertedIds"][0]
    for headers in ({"Authorization": f"Bearer {contract.ids.new('invalid')}"}, {}):
        anonymous = contract.target.with_headers(headers)
        response = anonymous.get("/tickets", params={"email": email})
        check.status(response, 401)
        check.expect(ticket_id not in response.text, "a request without a valid token saw our ticket")
        check.status(put(contract, {**item, "title": "overwritten"}, target=anonymous), 401)
        check.status(anonymous.request("DELETE", f"/tickets/{ticket_id}"), 401)
    [still] = listed(check, contract, email)
    check.expect(still.get("_id") == ticket_id and "title" not in still, f"an unauthorised request changed {still}")
    if not contract.param("otherToken"):
        return "no otherToken given: only invalid and missing tokens were checked (the fake has one workspace)"
    other = contract.target.with_headers({"Authorization": f"Bearer {contract.param('otherToken')}"})
    response = other.get("/tickets", params={"email": email})
    check.expect(response.status_code in (200, 401, 403) and ticket_id not in response.text,
                 f"another workspace's token lists our ticket: {response.status_code} {response.text[:200]}")
    check.expect(other.request("DELETE", f"/tickets/{ticket_id}").status_code in (401, 403, 404),
                 "another workspace's token deleted our ticket")
    return None


def _items(case: Case) -> tuple[list[Any], int] | None:
    body = case.body
    items = body if isinstance(body, list) else [body] if isinstance(body, dict) else None
    if items is None:
        return None
    dropped = sum(
        1 for item in items
        if isinstance(item, dict) and not (isinstance(item.get("email"), str) and item["email"].strip())
    )
    return items, dropped


@schemathesis.check
def planhat_counts_add_up(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Planhat bulk upsert: the counts add up and the status follows them.

    created + updated + nonupdates + createdErrors + updatedErrors = items sent - items without e-mail;
    insertsKeys/upsertedIds match created, updatesKeys match updated; 200 without errors, 206 with
    errors and successes, 400 when every counted item failed.
    """
    if checked_by(case, "planhat") is None or case.operation.label != "PUT /tickets":
        return None
    body = json_of(response)
    parsed = _items(case)
    if not isinstance(body, dict) or "createdErrors" not in body or parsed is None:
        return None
    items, dropped = parsed
    errors = size(body, "createdErrors") + size(body, "updatedErrors")
    done = count(body, "created") + count(body, "updated") + count(body, "nonupdates")
    assert done + errors == len(items) - dropped, (
        f"counts add up to {done + errors}, but {len(items)} items were sent and {dropped} dropped"
    )
    assert size(body, "insertsKeys") == count(body, "created") == size(body, "upsertedIds"), (
        "created disagrees with insertsKeys/upsertedIds"
    )
    assert size(body, "updatesKeys") == count(body, "updated"), "updated disagrees with updatesKeys"
    expected = 200 if not errors else 206 if done else 400
    assert response.status_code == expected, f"{done} stored and {errors} failed items answered {response.status_code}"
    return None


@schemathesis.check
def planhat_resend_is_nonupdate(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Planhat bulk upsert: re-sending the same items creates and updates nothing.

    For a batch whose items name distinct sourceIds (and no `_id`), re-sending it answers created 0,
    updated 0, nonupdates = everything stored the first time, and the same number of failed items.
    """
    contract = checked_by(case, "planhat")
    if contract is None or case.operation.label != "PUT /tickets" or response.status_code not in (200, 206):
        return None
    body, parsed = json_of(response), _items(case)
    if not isinstance(body, dict) or parsed is None:
        return None
    items = [item for item in parsed[0] if isinstance(item, dict)]
    keys = [item.get("sourceId") for item in items if isinstance(item.get("email"), str) and item["email"].strip()]
    if any("_id" in item for item in items) or len(set(map(repr, keys))) != len(keys):
        return None
    again = as_object(json_of(resend(contract, case)))
    stored = count(body, "created") + count(body, "updated") + count(body, "nonupdates")
    errors = size(body, "createdErrors") + size(body, "updatedErrors")
    counts = (again.get("created"), again.get("updated"), again.get("nonupdates"))
    assert counts == (0, 0, stored), (
        f"re-sending answered created/updated/nonupdates {counts}, expected (0, 0, {stored})"
    )
    again_errors = size(again, "createdErrors") + size(again, "updatedErrors")
    assert again_errors == errors, f"re-sending failed {again_errors} items, the first time {errors}"
    return None


CHECK_VENDORS = (
    CheckVendor("planhat", "planhat", data.SPEC, data.HEADERS, data.PARAMS, fixture_secrets=data.FIXTURE_SECRETS,
                credential_headers=data.CREDENTIAL_HEADERS, secret_params=data.SECRET_PARAMS, probes=data.PROBES,
                prepare=data.prepare, observe=data.observe, cleanup=cleanup, refusals=data.REFUSALS,
                misreadings=data.MISREADINGS, response_checks=(planhat_counts_add_up, planhat_resend_is_nonupdate)),
)
