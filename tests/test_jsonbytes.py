"""Kept JSON bytes are right-sized: orjson's own output keeps its whole growth buffer (4-8 KiB each)."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest

from ticketfakes.core.jsonbytes import dumps
from ticketfakes.responses import JSONResponse

TICKET_LIKE = {f"key{i}": f"value {i}" for i in range(25)}


def bytes_per_item(make: Callable[[int], Any], count: int = 500) -> float:
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = [make(i) for i in range(count)]
        return (tracemalloc.get_traced_memory()[0] - before) / len(kept)
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("value", [{"a": 1}, TICKET_LIKE], ids=["tiny", "ticket-like"])
def test_dumps_keeps_what_the_json_holds(value: dict[str, Any]) -> None:
    size = len(dumps(value))
    assert dumps(value) == JSONResponse(value).body
    assert bytes_per_item(lambda i: dumps(value)) < size + 150
    assert bytes_per_item(lambda i: JSONResponse(value).body) < size + 150


def test_talque_list_cache_keeps_right_sized_json() -> None:
    from ticketfakes.state import State

    backend = State().backend("talque")
    client = backend.authenticate("demo-client", "demo-secret")
    tickets = [{"extTicketId": f"t-{i}", "email": f"t{i}@example.com", "tickets": ["day-pass"]} for i in range(300)]
    backend.upsert_tickets("org-demo", client, tickets, None)
    records = list(backend._state.tickets.values())
    for record in records:
        backend._cached_model(record)  # the model cache exists already; measure the JSON beside it
    size = max(len(dumps(record.model)) for record in records)
    assert bytes_per_item(lambda i: backend._encoded(records[i]), len(records)) < size + 300
