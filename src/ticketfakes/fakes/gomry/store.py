"""Gomry store: all of one backend's records, the indexes that keep reads O(page), the seat counters and the dump.

Every change of a ticket's status or class goes through `GomryState.set_status` / `move_class`, the only
places that touch the seat counters and indexes, so counters and indexes cannot drift apart.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from .records import ACCESS, HOLDS_SEAT, RESOURCES, ApiKey, Attendee, Contact, Event, Org, TicketClass

OUTBOX_LIMIT = 1000  # the outbox is a bounded ring, like the request journal


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
        att.changed()
        self.events[att.event_id].index.add(status, att.seq)
        self._count(att, +1)

    def move_class(self, att: Attendee, class_id: str) -> None:
        if att.status in HOLDS_SEAT:
            self.classes[att.class_id].held -= 1
            self.classes[class_id].held += 1
        att.class_id = class_id
        att.changed()

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
