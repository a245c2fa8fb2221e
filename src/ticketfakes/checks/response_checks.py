"""Business rules schemathesis runs on every response of a ticketfakes contract (`@schemathesis.check`).

They run next to the built-in checks during fuzzing and stateful runs, on whatever schemathesis
generates, and act only on schemas loaded by a `Contract` (anyone else's schemas are left alone). A
check that must see a second response (a retry) sends it through the contract's recording target.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import schemathesis

from .contract import Contract, contract_for_schema

if TYPE_CHECKING:
    from schemathesis import Case, CheckContext, Response

SEATS = re.compile(r"(\d+) seats? remaining")
VOLATILE_HEADERS = frozenset(
    {"date", "server", "connection", "keep-alive", "transfer-encoding", "x-request-id", "cf-ray", "idempotent-replay"}
)


def _ours(case: Case, vendor: str) -> Contract | None:
    contract = contract_for_schema(case.operation.schema)
    return contract if contract is not None and contract.name == vendor else None


def _json(response: Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _object(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else {}: a broken server may answer anything; the schema checks
    report that, these checks must only not crash on it."""
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _count(body: dict[str, Any], name: str) -> int:
    value = body.get(name, 0)
    assert isinstance(value, int) and not isinstance(value, bool), f"`{name}` is {value!r}, not a count"
    return value


def _size(body: dict[str, Any], name: str) -> int:
    value = body.get(name) or []
    assert isinstance(value, list), f"`{name}` is {value!r}, not a list"
    return len(value)


def _resend(contract: Contract, case: Case) -> Response:
    from .schema import send

    return send(contract, case, prepared=True)


@schemathesis.check
def gomry_seats_never_oversold(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Gomry: seat counts never exceed a limit and add up; a capacity 409 states the seats left truly.

    Every event shows seats_taken <= capacity and seats_remaining = capacity - seats_taken (null when
    unlimited), every ticket class likewise with quantity_sold/quantity_total; a 409 on create names
    `N seats remaining` equal to `seats_remaining`, and fewer than the quantity asked for.
    """
    if _ours(case, "gomry") is None or response.status_code not in (200, 409):
        return None
    body, label = _json(response), case.operation.label
    if label == "GET /events/{eventId}" and response.status_code == 200:
        _event_counts(body)
    elif label == "GET /events" and response.status_code == 200:
        for event in _list(_object(body).get("data")):
            _event_counts(event)
    elif label == "GET /events/{eventId}/ticket-classes" and response.status_code == 200:
        for item in filter(None, map(_object, _list(_object(body).get("data")))):
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
    contract = _ours(case, "gomry")
    if contract is None or case.operation.label != "POST /events/{eventId}/attendees":
        return None
    key = case.headers.get("Idempotency-Key")
    if not isinstance(key, str) or not 1 <= len(key) <= 255 or response.status_code >= 500:
        return None
    if response.headers.get("idempotent-replay") == ["true"]:
        return None
    again = _resend(contract, case)
    assert again.status_code == response.status_code, (
        f"the same request with the same Idempotency-Key answered {again.status_code}, first {response.status_code}"
    )
    capacity_409 = response.status_code == 409 and "seats_remaining" in _object(_json(response))
    stored = response.status_code == 201 or capacity_409
    if stored or again.headers.get("idempotent-replay") == ["true"]:
        assert again.headers.get("idempotent-replay") == ["true"], "the repeat lacks Idempotent-Replay: true"
        assert again.content == response.content, f"the replayed body differs: {again.content[:200]!r}"
        first = {(k.lower(), tuple(v)) for k, v in response.headers.items() if k.lower() not in VOLATILE_HEADERS}
        later = {(k.lower(), tuple(v)) for k, v in again.headers.items() if k.lower() not in VOLATILE_HEADERS}
        assert first == later, f"the replayed headers differ: {sorted(first ^ later)}"
    return None


@schemathesis.check
def talque_webhook_retry_is_unchanged(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """talque webhook: re-posting an accepted request changes nothing.

    Every ticket stored by the first post answers UNCHANGED with the identical model (same orgTicketId,
    ctime and mtime), every ticket that failed fails again with the same reason: a retried webhook is safe.
    """
    contract = _ours(case, "talque-webhook")
    if contract is None or response.status_code != 200:
        return None
    first = _object(_object(_json(response)).get("ticketById"))
    if not first:
        return None
    again = _resend(contract, case)
    assert again.status_code == 200, f"the identical re-post answered {again.status_code}"
    second = _object(_object(_json(again)).get("ticketById"))
    for ext, raw in first.items():
        entry, retry = _object(raw), _object(second.get(ext))
        if entry.get("success"):
            assert retry.get("reason") == "UNCHANGED", f"re-posting ticket {ext!r} answered {retry.get('reason')}"
            assert retry.get("model") == entry.get("model"), (
                f"re-posting ticket {ext!r} changed it: mtime {_object(entry.get('model')).get('mtime')} -> "
                f"{_object(retry.get('model')).get('mtime')}"
            )
        else:
            assert retry.get("reason") == entry.get("reason"), f"ticket {ext!r} failed differently on re-post"
    return None


def _planhat_items(case: Case) -> tuple[list[Any], int] | None:
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
    if _ours(case, "planhat") is None or case.operation.label != "PUT /tickets":
        return None
    body = _json(response)
    parsed = _planhat_items(case)
    if not isinstance(body, dict) or "createdErrors" not in body or parsed is None:
        return None
    items, dropped = parsed
    errors = _size(body, "createdErrors") + _size(body, "updatedErrors")
    done = _count(body, "created") + _count(body, "updated") + _count(body, "nonupdates")
    assert done + errors == len(items) - dropped, (
        f"counts add up to {done + errors}, but {len(items)} items were sent and {dropped} dropped"
    )
    assert _size(body, "insertsKeys") == _count(body, "created") == _size(body, "upsertedIds"), (
        "created disagrees with insertsKeys/upsertedIds"
    )
    assert _size(body, "updatesKeys") == _count(body, "updated"), "updated disagrees with updatesKeys"
    expected = 200 if not errors else 206 if done else 400
    assert response.status_code == expected, f"{done} stored and {errors} failed items answered {response.status_code}"
    return None


@schemathesis.check
def planhat_resend_is_nonupdate(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Planhat bulk upsert: re-sending the same items creates and updates nothing.

    For a batch whose items name distinct sourceIds (and no `_id`), re-sending it answers created 0,
    updated 0, nonupdates = everything stored the first time, and the same number of failed items.
    """
    contract = _ours(case, "planhat")
    if contract is None or case.operation.label != "PUT /tickets" or response.status_code not in (200, 206):
        return None
    body, parsed = _json(response), _planhat_items(case)
    if not isinstance(body, dict) or parsed is None:
        return None
    items = [item for item in parsed[0] if isinstance(item, dict)]
    keys = [item.get("sourceId") for item in items if isinstance(item.get("email"), str) and item["email"].strip()]
    if any("_id" in item for item in items) or len(set(map(repr, keys))) != len(keys):
        return None
    again = _object(_json(_resend(contract, case)))
    stored = _count(body, "created") + _count(body, "updated") + _count(body, "nonupdates")
    errors = _size(body, "createdErrors") + _size(body, "updatedErrors")
    counts = (again.get("created"), again.get("updated"), again.get("nonupdates"))
    assert counts == (0, 0, stored), (
        f"re-sending answered created/updated/nonupdates {counts}, expected (0, 0, {stored})"
    )
    again_errors = _size(again, "createdErrors") + _size(again, "updatedErrors")
    assert again_errors == errors, f"re-sending failed {again_errors} items, the first time {errors}"
    return None


RESPONSE_CHECKS = {
    "gomry": (gomry_seats_never_oversold, gomry_idempotency_replay),
    "talque-webhook": (talque_webhook_retry_is_unchanged,),
    "planhat": (planhat_counts_add_up, planhat_resend_is_nonupdate),
    "talque": (),
}
