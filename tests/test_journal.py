"""The journal's memory bound: bodies over the preview size are kept whole only within BIG_BODY_BUDGET."""

from __future__ import annotations

import pytest

from ticketfakes.core import journal
from ticketfakes.core.journal import BODY_PREVIEW_BYTES, Entry, Journal


def entry(request_body: bytes = b"", response_body: bytes = b"") -> Entry:
    return Entry(0, "gomry", "POST", "/gomry/api/v1/events", "", 200, 0.0, request_body=request_body,
                 response_body=response_body)


@pytest.fixture
def small_budget(monkeypatch: pytest.MonkeyPatch) -> int:
    budget = 3 * (BODY_PREVIEW_BYTES + 100)
    monkeypatch.setattr(journal, "BIG_BODY_BUDGET", budget)
    return budget


def test_small_bodies_are_kept_as_they_are() -> None:
    kept = Journal(10)
    body = b"x" * BODY_PREVIEW_BYTES
    kept.record(entry(body, body))
    (found,) = kept.query()
    assert found.request_body is body and found.response_body is body
    assert found.big_bytes == 0


def test_big_bodies_are_kept_whole_until_the_budget_then_cut(small_budget: int) -> None:
    kept = Journal(10)
    big = b"y" * (BODY_PREVIEW_BYTES + 100)
    for _ in range(4):
        kept.record(entry(response_body=big))
    newest_first = kept.query()
    assert [len(e.response_body) for e in reversed(newest_first)] == [len(big)] * 3 + [BODY_PREVIEW_BYTES + 1]
    assert newest_first[0].as_dict()["response_body"].endswith("…")  # shown cut either way
    assert newest_first[-1].as_dict()["response_body"] == newest_first[0].as_dict()["response_body"]


def test_leaving_the_ring_or_clearing_frees_the_budget(small_budget: int) -> None:
    big = b"z" * (BODY_PREVIEW_BYTES + 100)
    ring = Journal(2)
    for _ in range(6):  # the ring keeps two: the budget never runs out
        ring.record(entry(request_body=big))
    assert all(len(e.request_body) == len(big) for e in ring.query())
    cleared = Journal(10)
    for _ in range(3):
        cleared.record(entry(request_body=big))
    cleared.clear()
    cleared.record(entry(request_body=big))
    assert len(cleared.query()[0].request_body) == len(big)


def test_a_journal_of_size_zero_keeps_nothing_and_counts_on() -> None:
    """TICKETFAKES_JOURNAL_SIZE=0 (what the growth bench serves with): every request is still answered."""
    nothing = Journal(0)
    first, second = entry(b"a" * (BODY_PREVIEW_BYTES + 1)), entry()
    nothing.record(first)
    nothing.record(second)
    assert nothing.query() == [] and (first.id, second.id) == (1, 2)
