"""Planhat: bulk counts, read-after-write, list paging and tenant isolation of `/tickets`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import Checker, counted, rule

if TYPE_CHECKING:
    import httpx

    from ..contract import Contract
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
