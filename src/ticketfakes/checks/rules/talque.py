"""talque: webhook upsert, read-after-write, list paging and tenant isolation, over the webhook and the
Ticket JSON API under one base URL (both live under talque's host); the webhook's retry response check;
and `CHECK_VENDORS`, the two contracts as the checker registers them (their data: `talque_data.py`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import schemathesis

from ..interface import CheckVendor
from ..response_checks import as_object, checked_by, json_of, resend
from . import talque_data as data
from .base import Checker, categorised, rule
from .talque_data import LIST, READ, WEBHOOK

if TYPE_CHECKING:
    import httpx
    from schemathesis import Case, CheckContext, Response

    from ..interface import Contract
    from ..target import Target

FIRST = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken")
LAST = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Thompson")


# A webhook failure reason that says a --param names nothing the org knows.
UNKNOWN_PARAMS = {"UNKNOWN_TICKET_TYPE": "ticketType", "UNKNOWN_EVENT_ID": "sessionId",
                  "UNKNOWN_EXT_EVENT_ID": "extSessionId", "UNKNOWN_VENDOR_ID": "vendorId"}


def new_ticket(contract: Contract, *, person: bool = True, typed: bool = True) -> dict[str, Any]:
    """A webhook ticket in this run's namespace, with the org's ids from the parameters (`typed`: with the
    ticket type; without, the ticket has no participant category)."""
    rnd = contract.random
    ticket: dict[str, Any] = {"extTicketId": contract.ids.new("t"), "tickets": [contract.param("ticketType")]}
    if not typed:
        ticket["tickets"] = []  # "may be zero or more" (the webhook's documentation)
    if person:
        ticket.update(email=contract.ids.email(), firstName=rnd.choice(FIRST), lastName=rnd.choice(LAST),
                      companyName="Analytical Engines Ltd", extUserId=contract.ids.new("u"))
    for key, param in (("eventIds", "sessionId"), ("extEventIds", "extSessionId"), ("vendorIds", "vendorId")):
        if contract.param(param) and rnd.random() < 0.5:
            ticket[key] = [contract.param(param)]
    return ticket


def post_tickets(contract: Contract, tickets: list[dict[str, Any]], order: dict[str, Any] | None = None,
                 target: Target | None = None, org: str | None = None) -> httpx.Response:
    body: dict[str, Any] = {"tickets": tickets}
    if order is not None:
        body["purchaseOrder"] = order
    path = WEBHOOK.format(org=org or contract.param("orgId"))
    return (target or contract.target).post(path, body)


def stored(check: Checker, contract: Contract, tickets: list[dict[str, Any]], order: dict[str, Any] | None = None,
           expect: str = "CREATED") -> dict[str, dict[str, Any]]:
    """Post `tickets` and return their models, asserting each was `expect`ed (CREATED, UPDATED, ...)."""
    body = check.json(post_tickets(contract, tickets, order), 200)
    results = body.get("ticketById") or {}
    models = {}
    for ticket in tickets:
        ext = ticket["extTicketId"]
        entry = results.get(ext)
        check.expect(isinstance(entry, dict), f"webhook response has no ticketById entry for {ext!r}")
        for reason, param in UNKNOWN_PARAMS.items():
            check.known(entry.get("reason") != reason or expect == reason, contract.param(param),
                        f"the webhook answered {reason} for it")
        check.expect(entry.get("reason") == expect and entry.get("success") is True,
                     f"ticket {ext!r}: expected {expect}, got {entry.get('reason')} (success={entry.get('success')})")
        model = entry.get("model")
        check.expect(isinstance(model, dict), f"ticket {ext!r} was stored but its model is {model!r}")
        check.expect(model.get("ticketId") == ext, f"model.ticketId {model.get('ticketId')!r} != extTicketId {ext!r}")
        categorised(check, model)
        if expect == "CREATED":
            where = f"org {contract.param('orgId')}, provider {body.get('provider')}"
            contract.ledger.add("talque", "ticket", ext, where)
        models[ext] = model
    return models


def read(contract: Contract, ids: list[str], target: Target | None = None, provider: str | None = None,
         org: str | None = None) -> httpx.Response:
    return (target or contract.target).post(READ, {
        "orgId": org or contract.param("orgId"),
        "provider": provider or contract.param("provider"),
        "ticketIdList": ids,
    })


def list_page(contract: Contract, limit: int, cursor: str | None, target: Target | None = None,
              org: str | None = None) -> httpx.Response:
    # `cursor: null` on the first page, as a client that echoes the last answer's cursor sends it: the
    # published spec makes it nullable, so it must be accepted.
    body: dict[str, Any] = {"orgId": org or contract.param("orgId"), "limit": limit, "cursor": cursor}
    return (target or contract.target).post(LIST, body)


@rule("talque.webhook_upsert", "talque-webhook")
def webhook_upsert(contract: Contract) -> None:
    """The webhook upserts by extTicketId and a retry is harmless.

    A new ticket is CREATED with ctime == mtime; re-posting it unchanged answers UNCHANGED with the
    identical model (same orgTicketId, same mtime); a changed post is UPDATED with the same orgTicketId and
    ctime and a strictly bigger mtime; re-posting that is UNCHANGED again; reading the ticket shows the
    latest model once. In a batch, a ticket with an unknown ticket type fails alone
    (UNKNOWN_TICKET_TYPE, model null) and the others are stored. Every model's `category` is its first
    category, and null for the ticket posted without a ticket type.
    """
    check = Checker("talque.webhook_upsert", contract)
    ticket = new_ticket(contract)
    ext = ticket["extTicketId"]
    created = stored(check, contract, [ticket])[ext]
    check.expect(created.get("ctime") == created.get("mtime"), f"a new ticket has ctime != mtime: {created}")
    again = stored(check, contract, [ticket], expect="UNCHANGED")[ext]
    check.expect(again == created, f"an identical re-post changed the ticket:\nbefore {created}\nafter  {again}")
    changed = {**ticket, "lastName": ticket.get("lastName", "") + "-Byron", "jobTitle": "Countess"}
    updated = stored(check, contract, [changed], expect="UPDATED")[ext]
    check.expect(updated.get("orgTicketId") == created.get("orgTicketId"),
                 f"the update got a new orgTicketId: {created.get('orgTicketId')} -> {updated.get('orgTicketId')}")
    check.expect(updated.get("ctime") == created.get("ctime"), "the update changed ctime")
    check.expect(isinstance(updated.get("mtime"), int) and updated["mtime"] > created["mtime"],
                 f"mtime did not increase on update: {created.get('mtime')} -> {updated.get('mtime')}")
    check.expect((updated.get("holder") or {}).get("lastName") == changed["lastName"],
                 f"the update did not store lastName: {updated.get('holder')}")
    repeat = stored(check, contract, [changed], expect="UNCHANGED")[ext]
    check.expect(repeat == updated, f"re-posting the update changed the ticket (mtime {updated.get('mtime')} -> "
                                    f"{repeat.get('mtime')})")
    body = check.json(read(contract, [ext, ext]), 200)
    entries = body.get("ticketById") or {}
    check.expect(list(entries) == [ext], f"reading one id (twice) returned entries {list(entries)}")
    check.expect(entries[ext].get("model") == updated, f"read returns {entries[ext].get('model')}, not {updated}")
    good, bad = new_ticket(contract, person=False, typed=False), new_ticket(contract, person=False)
    bad["tickets"] = [contract.ids.new("no-such-ticket-type")]
    body = check.json(post_tickets(contract, [bad, good]), 200)
    results = body.get("ticketById") or {}
    failed, ok = results.get(bad["extTicketId"]) or {}, results.get(good["extTicketId"]) or {}
    check.expect(failed.get("success") is False and failed.get("reason") == "UNKNOWN_TICKET_TYPE"
                 and failed.get("model") is None, f"an unknown ticket type answered {failed}")
    check.expect(ok.get("reason") == "CREATED", f"the valid ticket next to a failing one answered {ok}")
    categorised(check, ok.get("model") or {})
    contract.ledger.add("talque", "ticket", good["extTicketId"], f"org {contract.param('orgId')}, "
                        f"provider {body.get('provider')}")
    check.expect(body.get("success") is False, "top-level success is true although a ticket failed")


@rule("talque.read_after_write", "talque")
def read_after_write(contract: Contract) -> None:
    """Reading a ticket back returns exactly the model the webhook answered.

    Tickets with and without a holder (and without a ticket type: `category` null) and with a purchase
    order are written, then read by ticketId: every model equals the webhook's, an unknown id answers
    success false / NOT_FOUND / model null, and a repeated id is answered once.
    """
    check = Checker("talque.read_after_write", contract)
    tickets = [new_ticket(contract), new_ticket(contract, person=False, typed=False), new_ticket(contract)]
    order = {"extPurchaseId": contract.ids.new("po"), "email": contract.ids.email(), "firstName": "Grace",
             "lastName": "Hopper"}
    models = stored(check, contract, tickets, order)
    missing = contract.ids.new("missing")
    ids = [*models, missing, tickets[0]["extTicketId"]]
    body = check.json(read(contract, ids), 200)
    check.expect(body.get("provider") == contract.param("provider"), f"read answered provider {body.get('provider')}")
    entries = body.get("ticketById") or {}
    check.expect(sorted(entries) == sorted({*models, missing}), f"read answered ids {sorted(entries)}")
    for ext, model in models.items():
        entry = entries[ext]
        check.expect(entry.get("success") is True and entry.get("reason") == "SUCCESS",
                     f"reading {ext!r} answered {entry.get('reason')}")
        check.expect(entry.get("model") == model, f"read model of {ext!r} differs from the webhook's:\n"
                                                  f"webhook {model}\nread    {entry.get('model')}")
    check.expect(entries[missing] == {"success": False, "reason": "NOT_FOUND", "model": None},
                 f"an unknown id answered {entries[missing]}")


@rule("talque.list_paging", "talque")
def list_paging(contract: Contract) -> None:
    """Paging the list from the start to `more: false` returns every ticket that existed when paging
    began exactly once, in creation order, even while tickets are created and updated meanwhile.

    Pages are disjoint, no (provider, ticketId) is listed twice, `more` is true exactly when a cursor is
    given, a listed model equals the model read back, and a cursor the server never issued is a 400. The
    first page is asked with `cursor: null` (nullable in the published spec).
    """
    check = Checker("talque.list_paging", contract)
    limit = contract.int_param("pageLimit")
    before = [new_ticket(contract, person=i % 2 == 0) for i in range(5)]
    models = stored(check, contract, before)
    order = [models[t["extTicketId"]]["orgTicketId"] for t in before]
    during: list[str] = []
    seen: dict[str, int] = {}
    keys: set[tuple[str, str]] = set()
    listed: dict[str, dict[str, Any]] = {}
    cursor: str | None = None
    pages = 0
    while True:
        body = check.json(list_page(contract, limit, cursor), 200)
        tickets, more, cursor = body.get("tickets") or [], body.get("more"), body.get("cursor")
        check.expect(len(tickets) <= limit, f"page {pages + 1} has {len(tickets)} tickets, limit {limit}")
        check.expect(more is (cursor is not None), f"page {pages + 1}: more={more!r} but cursor={cursor!r}")
        for ticket in tickets:
            oid, key = ticket.get("orgTicketId"), (ticket.get("provider"), ticket.get("ticketId"))
            check.expect(oid not in seen, f"ticket {oid} listed on page {seen.get(oid)} and again on page {pages + 1}")
            check.expect(key not in keys, f"(provider, ticketId) {key} listed twice: a duplicate ticket")
            seen[oid] = pages + 1
            keys.add(key)
            listed[oid] = ticket
        pages += 1
        if pages == 1:  # write while paging: two new tickets, and updates of a seen and an unseen one
            fresh = [new_ticket(contract), new_ticket(contract)]
            during = [m["orgTicketId"] for m in stored(check, contract, fresh).values()]
            for index in (0, len(before) - 1):
                stored(check, contract, [{**before[index], "jobTitle": f"paged {pages}"}], expect="UPDATED")
        if not more:
            break
        check.expect(pages < 100_000, "more than 100000 pages: the cursor never ends")
    index = {oid: position for position, oid in enumerate(listed)}
    positions = [index.get(oid, -1) for oid in order]
    missing = [before[i]["extTicketId"] for i, pos in enumerate(positions) if pos < 0]
    check.expect(not missing, f"tickets that existed when paging began were never listed: {missing}")
    check.expect(positions == sorted(positions), "the tickets are not listed in creation order")
    late = [index[oid] for oid in during if oid in index]
    check.expect(all(pos > max(positions) for pos in late),
                 "a ticket created while paging was listed before older ones")
    for index in range(1, len(before) - 1):  # not updated meanwhile: listed exactly as written
        oid = order[index]
        check.expect(listed[oid] == models[before[index]["extTicketId"]],
                     f"list shows ticket {oid} differently from the webhook's model")
    response = contract.target.post(LIST, {"orgId": contract.param("orgId"), "cursor": contract.ids.new("cursor")})
    check.status(response, 400)


@rule("talque.tenant_isolation", "talque")
def tenant_isolation(contract: Contract) -> None:
    """One API client never sees another organization's tickets.

    The second client (not permitted for orgId) gets 403 on read and list of orgId and the answer names
    none of the tickets; the main client gets 403 for a provider not its own and for an org it is not
    permitted for, and 401 with a wrong secret.
    """
    check = Checker("talque.tenant_isolation", contract)
    ticket = new_ticket(contract)
    model = stored(check, contract, [ticket])[ticket["extTicketId"]]
    secrets = (ticket["extTicketId"], model["orgTicketId"], ticket["email"])
    other = _other(contract)
    for response in (read(contract, [ticket["extTicketId"]], target=other), list_page(contract, 100, None, other)):
        check.status(response, 403)
        check.expect(not any(s in response.text for s in secrets),
                     f"the other client's answer leaks: {response.text[:300]}")
    check.status(read(contract, [ticket["extTicketId"]], provider=contract.ids.new("provider")), 403)
    if contract.param("otherOrgId"):
        check.status(list_page(contract, 100, None, org=contract.param("otherOrgId")), 403)
    wrong = contract.target.with_headers({**contract.headers, "X-TQ-SECRET": contract.ids.new("wrong-secret")})
    response = read(contract, [ticket["extTicketId"]], target=wrong)
    check.status(response, 401)
    check.expect(ticket["extTicketId"] not in response.text, "a wrong secret's answer leaks the ticket")


@rule("talque.webhook_tenant_isolation", "talque-webhook")
def webhook_tenant_isolation(contract: Contract) -> None:
    """A client not permitted for an org, or with a wrong secret, cannot write into it (403), and nothing
    it posted is stored."""
    check = Checker("talque.webhook_tenant_isolation", contract)
    for target in (_other(contract),
                   contract.target.with_headers({**contract.headers, "X-TQ-SECRET": contract.ids.new("wrong")})):
        ticket = new_ticket(contract)
        check.status(post_tickets(contract, [ticket], target=target), 403)
        entry = (check.json(read(contract, [ticket["extTicketId"]]), 200).get("ticketById") or {}).get(
            ticket["extTicketId"]) or {}
        check.expect(entry.get("reason") == "NOT_FOUND", f"a refused webhook stored its ticket: {entry}")


def _other(contract: Contract) -> Target:
    return contract.target.with_headers(
        {"X-TQ-CLIENT-ID": contract.param("otherClientId"), "X-TQ-SECRET": contract.param("otherSecret")}
    )


@schemathesis.check
def talque_webhook_retry_is_unchanged(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """talque webhook: re-posting an accepted request changes nothing.

    Every ticket stored by the first post answers UNCHANGED with the identical model (same orgTicketId,
    ctime and mtime), every ticket that failed fails again with the same reason: a retried webhook is safe.
    """
    contract = checked_by(case, "talque-webhook")
    if contract is None or response.status_code != 200:
        return None
    first = as_object(as_object(json_of(response)).get("ticketById"))
    if not first:
        return None
    again = resend(contract, case)
    assert again.status_code == 200, f"the identical re-post answered {again.status_code}"
    second = as_object(as_object(json_of(again)).get("ticketById"))
    for ext, raw in first.items():
        entry, retry = as_object(raw), as_object(second.get(ext))
        if entry.get("success"):
            assert retry.get("reason") == "UNCHANGED", f"re-posting ticket {ext!r} answered {retry.get('reason')}"
            assert retry.get("model") == entry.get("model"), (
                f"re-posting ticket {ext!r} changed it: mtime {as_object(entry.get('model')).get('mtime')} -> "
                f"{as_object(retry.get('model')).get('mtime')}"
            )
        else:
            assert retry.get("reason") == entry.get("reason"), f"ticket {ext!r} failed differently on re-post"
    return None


_TALQUE = {"headers": data.HEADERS, "params": data.PARAMS, "fixture_secrets": data.FIXTURE_SECRETS,
           "credential_headers": data.CREDENTIAL_HEADERS, "secret_params": data.SECRET_PARAMS}
CHECK_VENDORS = (
    CheckVendor("talque", "talque", data.API_SPEC, **_TALQUE, probes=data.API_PROBES, prepare=data.prepare_api,
                refusals=data.API_REFUSALS, misreadings=data.API_MISREADINGS),
    CheckVendor("talque-webhook", "talque", data.WEBHOOK_SPEC, **_TALQUE, probes=data.WEBHOOK_PROBES,
                prepare=data.prepare_webhook, observe=data.observe_webhook, refusals=data.WEBHOOK_REFUSALS,
                misreadings=data.WEBHOOK_MISREADINGS, response_checks=(talque_webhook_retry_is_unchanged,)),
)
