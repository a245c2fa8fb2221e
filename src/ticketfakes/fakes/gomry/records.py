"""Gomry records: orgs, API keys, events, ticket classes, contacts and attendees, the per-event status index
that keeps attendee pages O(page), and the seat arithmetic on a record (`remaining`).

The records hold values only; `store.GomryState` is the one place that adds them and changes their seat
counters and indexes.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, insort
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

STATUSES = ("valid", "pending_approval", "checked_in", "invited", "rejected", "deleted")
# Every ticket not rejected/deleted holds a seat, invited ones included (so an upgrade needs no new seat).
HOLDS_SEAT = frozenset(("valid", "pending_approval", "checked_in", "invited"))
RESOURCES = ("attendees", "events", "ticket_classes")
ACCESS = ("read", "write")
PAYMENT_METHODS = ("cash", "free", "external")


@dataclass(slots=True)
class Org:
    id: str
    name: str
    event_ids: list[str] = field(default_factory=list)  # creation order: GET /events pages slice it


@dataclass(slots=True)
class ApiKey:
    key: str
    org_id: str
    scopes: dict[str, str]  # resource -> "read" | "write"


class StatusIndex:
    """One event's tickets: per status, the creation sequence numbers in ascending order.

    A page of the union of a few statuses, in creation order, is found by binary search (where the
    page starts) plus a merge of at most `page_size` items per status: O(k log² n + k·page), never a scan.
    """

    __slots__ = ("lists",)

    def __init__(self) -> None:
        self.lists: dict[str, list[int]] = {status: [] for status in STATUSES}

    def add(self, status: str, seq: int) -> None:
        seqs = self.lists[status]
        if not seqs or seqs[-1] < seq:
            seqs.append(seq)
        else:
            insort(seqs, seq)

    def remove(self, status: str, seq: int) -> None:
        seqs = self.lists[status]
        i = bisect_left(seqs, seq)
        if i == len(seqs) or seqs[i] != seq:
            raise KeyError(seq)
        del seqs[i]

    def count(self, statuses: tuple[str, ...]) -> int:
        return sum(len(self.lists[s]) for s in statuses)

    def window(self, statuses: tuple[str, ...], start: int, size: int) -> list[int]:
        lists = [self.lists[s] for s in statuses if self.lists[s]]
        if start >= sum(map(len, lists)) or size <= 0:
            return []
        if len(lists) == 1:
            return lists[0][start : start + size]
        # Smallest v with exactly `start` items below it: each ticket is in one list, so counts step by 1.
        lo, hi = 0, max(seqs[-1] for seqs in lists) + 1
        while lo < hi:
            mid = (lo + hi) // 2
            if sum(bisect_left(seqs, mid) for seqs in lists) >= start:
                hi = mid
            else:
                lo = mid + 1
        heads = []
        for seqs in lists:
            at = bisect_left(seqs, lo)
            heads.append(seqs[at : at + size])
        return list(islice(heapq.merge(*heads), size))


@dataclass(slots=True)
class Event:
    id: str
    org_id: str
    name: str
    capacity: int | None  # None: unlimited
    starts_at_ms: int
    class_ids: list[str] = field(default_factory=list)
    held: int = 0  # seats held by tickets not rejected/deleted, all classes
    index: StatusIndex = field(default_factory=StatusIndex)


@dataclass(slots=True)
class TicketClass:
    id: str
    event_id: str
    name: str
    quantity_total: int | None  # None: unlimited (only the event's capacity applies)
    requires_approval: bool
    held: int = 0


@dataclass(slots=True)
class Contact:
    id: str
    org_id: str
    email: str  # as first written; looked up case-insensitively
    first_name: str | None
    last_name: str | None
    phone: str | None
    created_ms: int
    updated_ms: int


@dataclass(slots=True)
class Attendee:
    id: str
    seq: int  # creation order, unique per backend
    event_id: str
    class_id: str
    contact_id: str
    status: str
    first_name: str | None
    last_name: str | None
    payment_id: str
    payment_method: str
    created_ms: int
    updated_ms: int
    # The answer's JSON (GomryBackend._attendee_json), and its bytes once a list page serialised it (an
    # orjson.Fragment), kept until a write calls `changed`; never dumped, never compared.
    view: dict[str, Any] | None = field(default=None, repr=False, compare=False)
    encoded: Any = field(default=None, repr=False, compare=False)

    def changed(self) -> None:
        """Every write to a field the answer shows calls this (model.py, store.py): the answer is rebuilt."""
        self.view = None
        self.encoded = None


def remaining(limit: int | None, held: int) -> int | None:
    return None if limit is None else max(limit - held, 0)
