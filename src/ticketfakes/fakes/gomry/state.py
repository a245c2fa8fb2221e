"""Gomry state: records, the indexes that keep reads O(page), seat counters, fixture loading, dump/restore.

Every change of a ticket's status or class goes through `GomryState.set_status` / `move_class`, the only
places that touch the seat counters and indexes, so counters and indexes cannot drift apart.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, insort
from collections import deque
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from ...core.timestamps import parse_iso
from ...fixtures import Section

STATUSES = ("valid", "pending_approval", "checked_in", "invited", "rejected", "deleted")
# Every ticket not rejected/deleted holds a seat, invited ones included (so an upgrade needs no new seat).
HOLDS_SEAT = frozenset(("valid", "pending_approval", "checked_in", "invited"))
RESOURCES = ("attendees", "events", "ticket_classes")
ACCESS = ("read", "write")
PAYMENT_METHODS = ("cash", "free", "external")
OUTBOX_LIMIT = 1000  # the outbox is a bounded ring, like the request journal

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
    # The answer's JSON memoised with the field values it was built from (GomryBackend._attendee_json);
    # never dumped, never compared.
    view: tuple[tuple[Any, ...], dict[str, Any]] | None = field(default=None, repr=False, compare=False)


def remaining(limit: int | None, held: int) -> int | None:
    return None if limit is None else max(limit - held, 0)


class GomryState:
    """All of one backend's data; replaced as a whole by `restore` and by a fixture load."""

    def __init__(self) -> None:
        self.orgs: dict[str, Org] = {}
        self.keys: dict[str, ApiKey] = {}
        self.events: dict[str, Event] = {}
        self.classes: dict[str, TicketClass] = {}
        self.contacts: dict[str, Contact] = {}
        self.contact_by_email: dict[tuple[str, str], Contact] = {}  # (org id, lower-cased e-mail)
        self.attendees: dict[str, Attendee] = {}  # by id, in creation order
        self.by_seq: dict[int, Attendee] = {}
        self.invited: dict[tuple[str, str], list[Attendee]] = {}  # (event, contact) -> invited, oldest first
        self.outbox: deque[dict[str, Any]] = deque(maxlen=OUTBOX_LIMIT)
        self.next_seq = 1

    # -- building --------------------------------------------------------------------------------
    def add_org(self, org_id: str, name: str) -> Org:
        if org_id in self.orgs:
            raise ValueError(f"duplicate org id {org_id}")
        org = self.orgs[org_id] = Org(org_id, name)
        return org

    def add_api_key(self, key: str, org_id: str, scopes: dict[str, str]) -> ApiKey:
        if key in self.keys:
            raise ValueError(f"duplicate API key {key}")
        if org_id not in self.orgs:
            raise ValueError(f"unknown org {org_id}")
        for resource, access in scopes.items():
            if resource not in RESOURCES or access not in ACCESS:
                raise ValueError(f"bad scope {resource}: {access}")
        api_key = self.keys[key] = ApiKey(key, org_id, dict(scopes))
        return api_key

    def add_event(
        self, event_id: str, org_id: str, name: str, capacity: int | None, starts_at_ms: int
    ) -> Event:
        if event_id in self.events:
            raise ValueError(f"duplicate event id {event_id}")
        if capacity is not None and capacity < 0:
            raise ValueError("capacity must be >= 0")
        self.orgs[org_id].event_ids.append(event_id)
        event = self.events[event_id] = Event(event_id, org_id, name, capacity, starts_at_ms)
        return event

    def add_ticket_class(
        self, class_id: str, event_id: str, name: str, quantity_total: int | None, requires_approval: bool
    ) -> TicketClass:
        if class_id in self.classes:
            raise ValueError(f"duplicate ticket class id {class_id}")
        if quantity_total is not None and quantity_total < 0:
            raise ValueError("quantity_total must be >= 0")
        self.events[event_id].class_ids.append(class_id)
        tc = self.classes[class_id] = TicketClass(class_id, event_id, name, quantity_total, requires_approval)
        return tc

    def add_contact(self, contact: Contact) -> None:
        email_key = (contact.org_id, contact.email.lower())
        if contact.id in self.contacts or email_key in self.contact_by_email:
            raise ValueError(f"duplicate contact {contact.id} / {contact.email}")
        self.contacts[contact.id] = contact
        self.contact_by_email[email_key] = contact

    def insert_attendee(self, att: Attendee) -> None:
        if att.id in self.attendees or att.seq in self.by_seq:
            raise ValueError(f"duplicate attendee {att.id}")
        self.attendees[att.id] = att
        self.by_seq[att.seq] = att
        self.next_seq = max(self.next_seq, att.seq + 1)
        self.events[att.event_id].index.add(att.status, att.seq)
        self._count(att, +1)

    # -- the only places where seats and indexes change -------------------------------------------
    def _count(self, att: Attendee, sign: int) -> None:
        if att.status in HOLDS_SEAT:
            self.events[att.event_id].held += sign
            self.classes[att.class_id].held += sign
        if att.status == "invited":
            key = (att.event_id, att.contact_id)
            if sign > 0:
                self.invited.setdefault(key, []).append(att)
            else:
                tickets = self.invited[key]
                tickets.remove(att)
                if not tickets:
                    del self.invited[key]

    def set_status(self, att: Attendee, status: str) -> None:
        if status == att.status:
            return
        self._count(att, -1)
        self.events[att.event_id].index.remove(att.status, att.seq)
        att.status = status
        self.events[att.event_id].index.add(status, att.seq)
        self._count(att, +1)

    def move_class(self, att: Attendee, class_id: str) -> None:
        if att.status in HOLDS_SEAT:
            self.classes[att.class_id].held -= 1
            self.classes[class_id].held += 1
        att.class_id = class_id

    # -- dump --------------------------------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        return {
            "orgs": [{"id": o.id, "name": o.name} for o in self.orgs.values()],
            "api_keys": [
                {"key": k.key, "org_id": k.org_id, "scopes": dict(k.scopes)} for k in self.keys.values()
            ],
            "events": [
                {
                    "id": e.id,
                    "org_id": e.org_id,
                    "name": e.name,
                    "capacity": e.capacity,
                    "starts_at_ms": e.starts_at_ms,
                }
                for e in self.events.values()
            ],
            "ticket_classes": [
                {
                    "id": c.id,
                    "event_id": c.event_id,
                    "name": c.name,
                    "quantity_total": c.quantity_total,
                    "requires_approval": c.requires_approval,
                }
                for c in self.classes.values()
            ],
            "contacts": [
                {
                    "id": c.id,
                    "org_id": c.org_id,
                    "email": c.email,
                    "first_name": c.first_name,
                    "last_name": c.last_name,
                    "phone": c.phone,
                    "created_ms": c.created_ms,
                    "updated_ms": c.updated_ms,
                }
                for c in self.contacts.values()
            ],
            "attendees": [
                {
                    "id": a.id,
                    "seq": a.seq,
                    "event_id": a.event_id,
                    "ticket_class_id": a.class_id,
                    "contact_id": a.contact_id,
                    "status": a.status,
                    "first_name": a.first_name,
                    "last_name": a.last_name,
                    "payment_id": a.payment_id,
                    "payment_method": a.payment_method,
                    "created_ms": a.created_ms,
                    "updated_ms": a.updated_ms,
                }
                for a in self.by_seq.values()
            ],
            "outbox": [dict(m, attendee_ids=list(m["attendee_ids"])) for m in self.outbox],
            "next_seq": self.next_seq,
        }


def load_fixture(section: Section) -> GomryState:
    """The `gomry` part of a fixture file -> state; FixtureError names the bad key and line."""
    state = GomryState()
    empty = section.value is None
    if empty or not section.keys():
        return state  # `gomry:` left empty, or `gomry: {}`
    section.only("orgs", "records")
    for org_sec in section.list("orgs", []):
        org_sec.only("id", "name", "api_keys", "events")
        org_id = org_sec.str("id")
        if org_id in state.orgs:
            raise org_sec.fail("duplicate org id", "id")
        state.add_org(org_id, org_sec.str("name", org_id))
        for key_sec in org_sec.list("api_keys", []):
            key_sec.only("key", "scopes")
            key = key_sec.str("key")
            if key in state.keys:
                raise key_sec.fail("duplicate API key", "key")
            scopes: dict[str, str] = {}
            scope_sec = key_sec.section("scopes", {})
            for resource, _ in scope_sec.items():
                if resource not in RESOURCES:
                    raise scope_sec.fail(
                        f"unknown resource (expected one of: {', '.join(RESOURCES)})", resource
                    )
                scopes[resource] = scope_sec.choice(resource, ACCESS)
            state.add_api_key(key, org_id, scopes)
        for ev_sec in org_sec.list("events", []):
            ev_sec.only("id", "name", "capacity", "starts_at", "ticket_classes")
            event_id = ev_sec.str("id")
            if event_id in state.events:
                raise ev_sec.fail("duplicate event id", "id")
            try:
                starts = parse_iso(ev_sec.str("starts_at"))
            except ValueError:
                raise ev_sec.fail("expected an ISO-8601 instant with a time zone", "starts_at") from None
            state.add_event(
                event_id, org_id, ev_sec.str("name", event_id), ev_sec.int("capacity", None, 0), starts
            )
            for tc_sec in ev_sec.list("ticket_classes", []):
                tc_sec.only("id", "name", "quantity_total", "requires_approval")
                class_id = tc_sec.str("id")
                if class_id in state.classes:
                    raise tc_sec.fail("duplicate ticket class id", "id")
                state.add_ticket_class(
                    class_id,
                    event_id,
                    tc_sec.str("name", class_id),
                    tc_sec.int("quantity_total", None, 0),
                    tc_sec.bool("requires_approval", False),
                )
    return state
