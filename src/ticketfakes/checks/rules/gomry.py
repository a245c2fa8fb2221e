"""Gomry: capacity, Idempotency-Key replay, read-after-write, list paging and tenant isolation; the
seat-count and replay response checks; and `CHECK_VENDORS`, the contract as the checker registers it
(its data: `gomry_data.py`)."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import schemathesis

from ..interface import CheckVendor
from ..response_checks import as_list, as_object, checked_by, json_of, resend
from . import gomry_data as data
from .base import SEATS, VOLATILE_HEADERS, Checker, RuleSkipped, remaining, rule, same_response

if TYPE_CHECKING:
    import httpx
    from schemathesis import Case, CheckContext, Response

    from ..interface import Contract
    from ..target import Target


def create(contract: Contract, event: str, ticket_class: str, *, email: str | None = None, quantity: int = 1,
           key: str | None = None, target: Target | None = None, **extra: Any) -> httpx.Response:
    body = {"ticket_class_id": ticket_class, "contact": {"email": email or contract.ids.email(),
                                                         "first_name": "Check", "last_name": "Run"},
            "quantity": quantity, **extra}
    headers = {"Idempotency-Key": key} if key else None
    response = (target or contract.target).post(f"/events/{event}/attendees", body, headers=headers)
    if response.status_code == 201 and target is None:
        for attendee in response.json().get("data") or []:
            contract.ledger.add("gomry", "attendee", attendee["id"], f"event {event}")
    return response


def delete(contract: Contract, event: str, attendee: str, target: Target | None = None) -> httpx.Response:
    response = (target or contract.target).request("DELETE", f"/events/{event}/attendees/{attendee}")
    if response.status_code in (200, 404) and target is None:
        contract.ledger.removed("gomry", "attendee", attendee)
    return response


def cleanup(contract: Contract) -> None:
    """Delete every attendee this run created and has not deleted yet (frees their seats)."""
    for item in contract.ledger.live("gomry", "attendee"):
        event = item.where.removeprefix("event ")
        delete(contract, event, item.id)


def seats_left(check: Checker, contract: Contract, event: str, ticket_class: str) -> int | None:
    """Seats a create can still get (the tighter of event and class; None: unlimited), checking the counts."""
    response = contract.target.get(f"/events/{event}")
    check.known(response.status_code != 404, event, f"GET /events/{event} answered 404")
    data = check.json(response, 200)
    left = remaining(check, f"event {event}", data.get("capacity"), data.get("seats_taken"),
                     data.get("seats_remaining"))
    classes = check.json(contract.target.get(f"/events/{event}/ticket-classes"), 200).get("data") or []
    found = [c for c in classes if c.get("id") == ticket_class]
    check.known(found, ticket_class, f"ticket class {ticket_class!r} is not listed for event {event!r}")
    item = found[0]
    in_class = remaining(check, f"class {ticket_class}", item.get("quantity_total"), item.get("quantity_sold"),
                         item.get("quantity_remaining"))
    limits = [value for value in (left, in_class) if value is not None]
    return min(limits) if limits else None


def _full(check: Checker, response: httpx.Response, left: int) -> None:
    body = check.json(response, 409)
    check.expect(body.get("seats_remaining") == left, f"409 says seats_remaining={body.get('seats_remaining')}, "
                                                      f"{left} are left")
    match = SEATS.search(str(body.get("error")))
    check.expect(match and int(match.group(1)) == left, f"409 message {body.get('error')!r} does not state the {left} "
                                                        "remaining seat(s)")


def _refuses_one_more(check: Checker, contract: Contract, event: str, ticket_class: str) -> int | None:
    """One seat more than remain (the tighter of event and class) is a 409 stating them that takes none;
    returns the seats left (None: unlimited)."""
    left = seats_left(check, contract, event, ticket_class)
    if left is not None and left + 1 <= 100:
        _full(check, create(contract, event, ticket_class, quantity=left + 1), left)
        check.expect(seats_left(check, contract, event, ticket_class) == left,
                     f"a refused request took seats on {event}/{ticket_class} (not all or nothing)")
    return left


@rule("gomry.capacity", "gomry")
def capacity(contract: Contract) -> str | None:
    """Seats are never oversold, whatever the concurrency, and a refusal states what is left.

    On smallEventId/smallTicketClassId and on eventId/ticketClassId (by default one bound by its event's
    capacity, one by its class's quantity_total): counts add up, and asking for one seat more than remain
    is a 409 that states the remaining seats and creates nothing (all or nothing). Then, on smallEventId,
    more concurrent one-seat requests than seats remain: exactly the remaining ones succeed, the others get
    409 with 0 seats remaining, and the counts show the event full, never over; a deleted ticket frees its
    seat again.
    """
    check = Checker("gomry.capacity", contract)
    event, ticket_class = contract.param("smallEventId"), contract.param("smallTicketClassId")
    left = _refuses_one_more(check, contract, event, ticket_class)
    _refuses_one_more(check, contract, contract.param("eventId"), contract.param("ticketClassId"))
    if left is None:
        raise RuleSkipped(f"event {event} and class {ticket_class} are unlimited")
    if left > contract.int_param("maxFill"):
        return f"{left} seats left on {event}: only the refusal was checked, the fill needs at most maxFill seats"
    attempts = left + 3
    with ThreadPoolExecutor(max_workers=min(attempts, 8)) as pool:
        responses = list(pool.map(lambda _: create(contract, event, ticket_class), range(attempts)))
    won = [r for r in responses if r.status_code == 201]
    check.expect(all(r.status_code in (201, 409) for r in responses),
                 f"concurrent creates answered {sorted(r.status_code for r in responses)}")
    check.expect(len(won) == left, f"{len(won)} of {attempts} concurrent one-seat requests succeeded with only "
                                   f"{left} seat(s) left")
    for response in responses:
        if response.status_code == 409:
            _full(check, response, 0)
    check.expect(seats_left(check, contract, event, ticket_class) == 0, "the event is not full after the fill")
    _full(check, create(contract, event, ticket_class), 0)
    if won:
        check.status(delete(contract, event, won[0].json()["data"][0]["id"]), 200)
        check.expect(seats_left(check, contract, event, ticket_class) == 1, "deleting a ticket did not free its seat")
        check.status(create(contract, event, ticket_class), 201)
    return None


@rule("gomry.idempotency", "gomry")
def idempotency(contract: Contract) -> None:
    """An Idempotency-Key makes a create safe to retry.

    The same key again replays status, body and headers verbatim plus `Idempotent-Replay: true` and
    creates nothing, even with a different body; a capacity 409 is replayed as that 409 even when the
    retry would fit; the same key under another tenant's API key (on otherEventId, its own, and on our
    event) is not a replay of ours.
    """
    check = Checker("gomry.idempotency", contract)
    event, ticket_class = contract.param("eventId"), contract.param("ticketClassId")
    key = contract.ids.new("key")
    email = contract.ids.email()
    first = create(contract, event, ticket_class, email=email, key=key)
    check.expect(first.status_code == 201, f"the create needs a free seat on {event}/{ticket_class}: answered "
                                           f"{first.status_code} {first.text[:200]}")
    check.expect("idempotent-replay" not in first.headers, "the first request is marked as a replay")
    taken = check.json(contract.target.get(f"/events/{event}"), 200).get("seats_taken")
    same_response(check, first, create(contract, event, ticket_class, email=email, key=key), "same key, same body")
    same_response(check, first, create(contract, event, ticket_class, quantity=2, key=key), "same key, other body")
    check.expect(check.json(contract.target.get(f"/events/{event}"), 200).get("seats_taken") == taken,
                 "a replay created tickets")
    small, small_class = contract.param("smallEventId"), contract.param("smallTicketClassId")
    left = seats_left(check, contract, small, small_class)
    if left is not None and left + 1 <= 100:
        refused_key = contract.ids.new("key")
        refused = create(contract, small, small_class, quantity=left + 1, key=refused_key)
        _full(check, refused, left)
        same_response(check, refused, create(contract, small, small_class, quantity=1, key=refused_key),
                       "capacity 409, then a request that would fit")
    if contract.param("otherApiKey"):
        other = contract.target.with_headers({"X-API-KEY": contract.param("otherApiKey")})
        if contract.param("otherEventId"):
            # The other API key's first request with our key string, on its own event: it reaches the replay
            # store, which must not answer ours. Its ticket class exists nowhere: nothing is created.
            theirs = create(contract, contract.param("otherEventId"), contract.ids.new("no-such-class"), email=email,
                            key=key, target=other)
            check.expect(theirs.headers.get("idempotent-replay") != "true" and theirs.content != first.content,
                         "another API key's request with our Idempotency-Key, on its own event, got our response "
                         "replayed: keys are not scoped per API key")
        # On our event the other tenant is refused (404); that refusal may be its own replay by now, never ours.
        elsewhere = create(contract, event, ticket_class, email=email, key=key, target=other)
        check.expect(elsewhere.content != first.content,
                     "another API key's request with our Idempotency-Key got our response replayed")


@rule("gomry.read_after_write", "gomry")
def read_after_write(contract: Contract) -> None:
    """A created, patched or deleted attendee reads back exactly as written.

    GET returns each created attendee as the create answered it; a PATCH's answer is what GET returns
    next; after DELETE (`{"deleted": true, "id"}`) GET finds no live attendee (404, or the attendee with
    status `deleted`) and a second DELETE is 404 or the same answer.
    """
    check = Checker("gomry.read_after_write", contract)
    event, ticket_class = contract.param("eventId"), contract.param("ticketClassId")
    data = check.json(create(contract, event, ticket_class, quantity=2), 201).get("data") or []
    check.expect(len(data) == 2, f"quantity 2 created {len(data)} attendees")
    for attendee in data:
        got = check.json(contract.target.get(f"/events/{event}/attendees/{attendee['id']}"), 200)
        check.expect(got == attendee, f"GET differs from the create's answer:\ncreate {attendee}\nget    {got}")
    first = data[0]["id"]
    patched = check.json(contract.target.request(
        "PATCH", f"/events/{event}/attendees/{first}", json_body={"first_name": "Patched", "status": "checked_in"}
    ), 200)
    check.expect(patched.get("first_name") == "Patched" and patched.get("status") == "checked_in",
                 f"PATCH answered {patched}")
    got = check.json(contract.target.get(f"/events/{event}/attendees/{first}"), 200)
    check.expect(got == patched, f"GET after PATCH differs:\npatch {patched}\nget   {got}")
    gone = check.json(delete(contract, event, first), 200)
    check.expect(gone == {"deleted": True, "id": first}, f"DELETE answered {gone}")
    # docs/gomry.md says only that DELETE is soft: a deleted attendee may be gone (404, as the fake answers) or
    # still readable as `deleted`; either way it is never read back as a live ticket.
    after = contract.target.get(f"/events/{event}/attendees/{first}")
    if after.status_code != 404:
        still = check.json(after, 200)
        check.expect(still.get("status") == "deleted", f"GET after DELETE answered a live attendee: {still}")
    again = delete(contract, event, first)
    if again.status_code != 404:
        check.expect(check.json(again, 200) == {"deleted": True, "id": first},
                     f"a second DELETE answered {again.status_code} {again.text[:200]}")


@rule("gomry.list_paging", "gomry")
def list_paging(contract: Contract) -> None:
    """Listing an event's attendees page by page returns each once, completely and in creation order.

    Pages are disjoint and within page_size, `total` and `total_pages` agree with what is listed, the
    attendees just created all appear in the order they were created, and a page past the end is empty.
    """
    check = Checker("gomry.list_paging", contract)
    event, ticket_class = contract.param("eventId"), contract.param("ticketClassId")
    ours = [check.json(create(contract, event, ticket_class), 201)["data"][0]["id"] for _ in range(5)]
    path = f"/events/{event}/attendees"
    total = check.json(contract.target.get(path, params={"page_size": 1}), 200)["pagination"]["total"]
    size = min(200, max(2, math.ceil(total / 25)))  # at most ~25 pages, however big the event
    seen: list[str] = []
    page = 1
    while True:
        body = check.json(contract.target.get(path, params={"page": page, "page_size": size}), 200)
        items, pagination = body.get("data") or [], body.get("pagination") or {}
        check.expect(pagination.get("total") == total, f"page {page}: total {pagination.get('total')} != {total}")
        check.expect(pagination.get("total_pages") == math.ceil(total / size),
                     f"total_pages {pagination.get('total_pages')} for {total} attendees at page_size {size}")
        check.expect(len(items) <= size, f"page {page} has {len(items)} items, page_size {size}")
        for item in items:
            check.expect(item.get("id") not in seen, f"attendee {item.get('id')} listed twice")
            seen.append(item.get("id"))
        if page >= pagination.get("total_pages", 0):
            break
        page += 1
    check.expect(len(seen) == total, f"{len(seen)} attendees listed, total says {total}")
    positions = [seen.index(a) if a in seen else -1 for a in ours]
    check.expect(-1 not in positions, "an attendee just created is missing from the list")
    check.expect(positions == sorted(positions), "attendees are not listed in creation order")
    after = check.json(contract.target.get(path, params={"page": page + 1, "page_size": size}), 200)
    check.expect(after.get("data") == [], f"the page past the end lists {after.get('data')}")


@rule("gomry.tenant_isolation", "gomry")
def tenant_isolation(contract: Contract) -> None:
    """Another organization's API key never sees or touches our event and attendees.

    With otherApiKey, reading the event, its attendees or one attendee, patching or deleting it, and
    creating on the event are all refused (403/404) without naming the attendee; afterwards the
    attendee is unchanged.
    """
    check = Checker("gomry.tenant_isolation", contract)
    if not contract.param("otherApiKey"):
        raise RuleSkipped("no otherApiKey given")
    event, ticket_class = contract.param("eventId"), contract.param("ticketClassId")
    attendee = check.json(create(contract, event, ticket_class), 201)["data"][0]
    other = contract.target.with_headers({"X-API-KEY": contract.param("otherApiKey")})
    one = f"/events/{event}/attendees/{attendee['id']}"
    attempts = [
        other.get(f"/events/{event}"),
        other.get(f"/events/{event}/attendees"),
        other.get(one),
        other.request("PATCH", one, json_body={"status": "checked_in"}),
        other.request("DELETE", one),
        create(contract, event, ticket_class, target=other),
    ]
    for response in attempts:
        what = f"{response.request.method} {response.request.url.path} with another org's key"
        check.expect(response.status_code in (401, 403, 404), f"{what} answered {response.status_code}")
        check.expect(attendee["id"] not in response.text and attendee["email"] not in response.text,
                     f"{what} leaks the attendee: {response.text[:200]}")
    events = other.get("/events")
    if events.status_code == 200:
        ids = [item.get("id") for item in check.json(events).get("data") or []]
        check.expect(event not in ids, "another org's key lists our event")
    check.expect(check.json(contract.target.get(one), 200) == attendee, "another org's key changed our attendee")


@schemathesis.check
def gomry_seats_never_oversold(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Gomry: seat counts never exceed a limit and add up; a capacity 409 states the seats left truly.

    Every event shows seats_taken <= capacity and seats_remaining = capacity - seats_taken (null when
    unlimited), every ticket class likewise with quantity_sold/quantity_total; a 409 on create names
    `N seats remaining` equal to `seats_remaining`, and fewer than the quantity asked for.
    """
    if checked_by(case, "gomry") is None or response.status_code not in (200, 409):
        return None
    body, label = json_of(response), case.operation.label
    if label == "GET /events/{eventId}" and response.status_code == 200:
        _event_counts(body)
    elif label == "GET /events" and response.status_code == 200:
        for event in as_list(as_object(body).get("data")):
            _event_counts(event)
    elif label == "GET /events/{eventId}/ticket-classes" and response.status_code == 200:
        for item in filter(None, map(as_object, as_list(as_object(body).get("data")))):
            _counts(f"class {item.get('id')}", item.get("quantity_total"), item.get("quantity_sold"),
                    item.get("quantity_remaining"))
    elif label == "POST /events/{eventId}/attendees" and response.status_code == 409 and isinstance(body, dict):
        if "seats_remaining" not in body or response.headers.get("idempotent-replay") == ["true"]:
            return None  # in-flight conflict, or a replay of an earlier request's answer
        left = body["seats_remaining"]
        match = SEATS.search(str(body.get("error")))
        assert match and int(match.group(1)) == left, f"409 message {body.get('error')!r} != seats_remaining {left}"
        wanted = case.body.get("quantity", 1) if isinstance(case.body, dict) else 1
        if isinstance(wanted, int | float) and not isinstance(wanted, bool):  # 3.0 is the integer 3 in JSON
            assert wanted > left, f"409 Capacity exceeded for {wanted:g} seat(s) with {left} left"
    return None


def _event_counts(event: Any) -> None:
    if isinstance(event, dict):
        _counts(f"event {event.get('id')}", event.get("capacity"), event.get("seats_taken"),
                event.get("seats_remaining"))


def _counts(what: str, limit: Any, taken: Any, remaining: Any) -> None:
    if limit is None:
        assert remaining is None, f"{what}: unlimited, yet {remaining!r} remaining"
        return
    assert isinstance(taken, int) and taken <= limit, f"{what} is oversold: {taken} taken of {limit}"
    assert remaining == limit - taken, f"{what}: {remaining} remaining != {limit} - {taken}"


@schemathesis.check
def gomry_idempotency_replay(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Gomry: a create repeated with the same Idempotency-Key replays the first answer verbatim.

    Repeating a create that answered 201 or a capacity 409 returns the same status, body and headers plus
    `Idempotent-Replay: true`; any other answer repeats with the same status.
    """
    contract = checked_by(case, "gomry")
    if contract is None or case.operation.label != "POST /events/{eventId}/attendees":
        return None
    key = case.headers.get("Idempotency-Key")
    if not isinstance(key, str) or not 1 <= len(key) <= 255 or response.status_code >= 500:
        return None
    if response.headers.get("idempotent-replay") == ["true"]:
        return None
    again = resend(contract, case)
    assert again.status_code == response.status_code, (
        f"the same request with the same Idempotency-Key answered {again.status_code}, first {response.status_code}"
    )
    capacity_409 = response.status_code == 409 and "seats_remaining" in as_object(json_of(response))
    stored = response.status_code == 201 or capacity_409
    if stored or again.headers.get("idempotent-replay") == ["true"]:
        assert again.headers.get("idempotent-replay") == ["true"], "the repeat lacks Idempotent-Replay: true"
        assert again.content == response.content, f"the replayed body differs: {again.content[:200]!r}"
        first = {(k.lower(), tuple(v)) for k, v in response.headers.items() if k.lower() not in VOLATILE_HEADERS}
        later = {(k.lower(), tuple(v)) for k, v in again.headers.items() if k.lower() not in VOLATILE_HEADERS}
        assert first == later, f"the replayed headers differ: {sorted(first ^ later)}"
    return None


CHECK_VENDORS = (
    CheckVendor("gomry", "gomry", data.SPEC, data.HEADERS, data.PARAMS, fixture_secrets=data.FIXTURE_SECRETS,
                credential_headers=data.CREDENTIAL_HEADERS, secret_params=data.SECRET_PARAMS, probes=data.PROBES,
                prepare=data.prepare, observe=data.observe, cleanup=cleanup, refusals=data.REFUSALS,
                misreadings=data.MISREADINGS, response_checks=(gomry_seats_never_oversold, gomry_idempotency_replay)),
)
