"""Gomry's rules: API keys and scopes, tenant isolation, attendee creation with contact upsert, invited-ticket
upgrades and capacity, the status workflow, soft deletes, and the e-mail outbox.

No HTTP here: methods take already-validated JSON values and return the exact bodies the API answers
with, or raise `Problem`s that the HTTP layer renders as `{"error": ...}`. Every check that can fail runs
before the first write, so a refused request changes nothing (all or nothing).
"""

from __future__ import annotations

import threading
from typing import Any

import orjson

from ...core.clock import Clock
from ...core.ids import new_id
from ...core.jsonbytes import dumps
from ...core.pagination import PageWindow
from ...core.problems import BadRequest, Conflict, Forbidden, NotFound, Unauthorized, Unprocessable
from ...core.timestamps import iso_ms, parse_iso
from ...fixtures import Section, apply_records
from .load import load_fixture, state_from_dump
from .records import HOLDS_SEAT, STATUSES, ApiKey, Attendee, Contact, Event, TicketClass, remaining
from .store import GomryState

# PATCH status workflow (docs/gomry.md, "Status workflow"); a status missing here has no way out by PATCH.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "pending_approval": ("valid", "rejected"),
    "valid": ("checked_in", "rejected", "deleted"),
    "checked_in": ("valid",),
    "rejected": ("pending_approval",),
    "invited": (),
    "deleted": (),
}
DEFAULT_STATUS_FILTER = ("valid", "checked_in")
MAX_PAGE_SIZE = 200


def capacity_conflict(left: int) -> Conflict:
    return Conflict(
        f"Capacity exceeded: {left} seat{'' if left == 1 else 's'} remaining", extra={"seats_remaining": left}
    )


class GomryBackend:
    """All Gomry orgs, keys, events, classes, contacts, tickets and the outbox of one server."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self._lock = threading.RLock()
        self._s = GomryState()

    @classmethod
    def from_fixture(cls, section: Section | None, clock: Clock) -> GomryBackend:
        backend = cls(clock)
        if section is not None:
            backend._s = load_fixture(section)
        return apply_records(backend, section)

    # -- copies of a fixture's state (state.Template; docs/namespaces.md, "Cost") ----------------------
    def template_data(self) -> GomryState:
        return self._s

    @classmethod
    def from_template_data(cls, data: GomryState, clock: Clock) -> GomryBackend:
        """A backend around a private copy of a template's `template_data()`, trusted as it is."""
        backend = cls(clock)
        backend._s = data
        return backend

    # -- programmatic set-up (tests and seeding; fixtures use the same calls) -------------------------
    def add_org(self, org_id: str, name: str | None = None) -> None:
        with self._lock:
            self._s.add_org(org_id, name or org_id)

    def add_api_key(self, key: str, org_id: str, scopes: dict[str, str]) -> None:
        with self._lock:
            self._s.add_api_key(key, org_id, scopes)

    def add_event(
        self,
        event_id: str,
        org_id: str,
        name: str | None = None,
        capacity: int | None = None,
        starts_at: str = "2026-06-01T09:00:00.000Z",
    ) -> None:
        with self._lock:
            self._s.add_event(event_id, org_id, name or event_id, capacity, parse_iso(starts_at))

    def add_ticket_class(
        self,
        class_id: str,
        event_id: str,
        name: str | None = None,
        quantity_total: int | None = None,
        requires_approval: bool = False,
    ) -> None:
        with self._lock:
            self._s.add_ticket_class(class_id, event_id, name or class_id, quantity_total, requires_approval)

    # -- auth ------------------------------------------------------------------------------------
    def authenticate(self, api_key: str | None) -> ApiKey:
        if not api_key:
            raise Unauthorized("Missing X-API-KEY header")
        key = self._s.keys.get(api_key)
        if key is None:
            raise Unauthorized("Invalid or revoked API key")
        return key

    @staticmethod
    def require_scope(key: ApiKey, resource: str, access: str) -> None:
        have = key.scopes.get(resource)
        if have == "write" or (access == "read" and have == "read"):
            return  # write implies read
        raise Forbidden(
            "insufficient_scope", code="insufficient_scope", extra={"required_scope": f"{resource}:{access}"}
        )

    def event_for(self, key: ApiKey, event_id: str) -> Event:
        event = self._s.events.get(event_id)
        if event is None or event.org_id != key.org_id:
            raise NotFound("Event not found")  # another org's event is indistinguishable from none
        return event

    def _attendee_for(self, key: ApiKey, event_id: str, attendee_id: str) -> tuple[Event, Attendee]:
        event = self.event_for(key, event_id)
        att = self._s.attendees.get(attendee_id)
        if att is None or att.event_id != event.id:
            raise NotFound("Attendee not found")  # a deleted one is still found: DELETE is soft
        return event, att

    # -- JSON views ------------------------------------------------------------------------------
    def _attendee_json(self, a: Attendee) -> dict[str, Any]:
        """The attendee as the API shows it (shared by every answer that shows it: callers only serialise it).

        Building the dict was most of a list's cost, so it is kept on the attendee until a write drops it
        (`Attendee.changed`); the class name and the e-mail hang off `class_id` / `contact_id` and never
        change.
        """
        body = a.view
        if body is None:
            created_at = iso_ms(a.created_ms)
            body = a.view = {
                "id": a.id,
                "event_id": a.event_id,
                "status": a.status,
                "ticket_class_id": a.class_id,
                "ticket_class_name": self._s.classes[a.class_id].name,
                "contact_id": a.contact_id,
                "first_name": a.first_name,
                "last_name": a.last_name,
                "email": self._s.contacts[a.contact_id].email,
                "payment_id": a.payment_id,
                "payment_method": a.payment_method,
                "created_at": created_at,
                "updated_at": created_at if a.updated_ms == a.created_ms else iso_ms(a.updated_ms),
            }
        return body

    def _attendee_encoded(self, a: Attendee) -> orjson.Fragment:
        """`_attendee_json` already serialised, kept with it: a list page copies bytes, builds no dicts."""
        encoded = a.encoded
        if encoded is None:
            encoded = a.encoded = orjson.Fragment(dumps(self._attendee_json(a)))
        return encoded

    @staticmethod
    def _event_json(e: Event) -> dict[str, Any]:
        return {
            "id": e.id,
            "name": e.name,
            "capacity": e.capacity,
            "starts_at": iso_ms(e.starts_at_ms),
            "seats_taken": e.held,
            "seats_remaining": remaining(e.capacity, e.held),
        }

    @staticmethod
    def _class_json(c: TicketClass) -> dict[str, Any]:
        return {
            "id": c.id,
            "event_id": c.event_id,
            "name": c.name,
            "quantity_total": c.quantity_total,
            "quantity_sold": c.held,
            "quantity_remaining": remaining(c.quantity_total, c.held),
            "requires_approval": c.requires_approval,
        }

    # -- seats -----------------------------------------------------------------------------------
    @staticmethod
    def _check_seats(event: Event, tc: TicketClass, event_need: int, class_need: int) -> None:
        event_left = remaining(event.capacity, event.held)
        class_left = remaining(tc.quantity_total, tc.held)
        if (event_left is not None and event_need > event_left) or (
            class_left is not None and class_need > class_left
        ):
            problem = capacity_conflict(min(n for n in (event_left, class_left) if n is not None))
            problem.facts = {"event": event.id, "capacity": event.capacity, "event_left": event_left,
                             "class": tc.id, "quantity_total": tc.quantity_total, "class_left": class_left,
                             "event_need": event_need, "class_need": class_need}
            raise problem

    @staticmethod
    def _page_args(page: int, page_size: int) -> None:
        # The spec guards these; repeated so a direct caller cannot slice with a negative start.
        if page < 1:
            raise BadRequest("Validation failed", fields={"page": ["must be >= 1"]})
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise BadRequest("Validation failed", fields={"page_size": [f"must be 1..{MAX_PAGE_SIZE}"]})

    # -- attendees -------------------------------------------------------------------------------
    def create_attendees(self, key: ApiKey, event_id: str, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.require_scope(key, "attendees", "write")
            event = self.event_for(key, event_id)
            st = self._s
            tc = st.classes.get(body["ticket_class_id"])
            if tc is None or tc.event_id != event.id:
                raise NotFound("Ticket class not found")
            person = body["contact"]
            quantity = body.get("quantity") or 1
            status = body.get("status") or ("pending_approval" if tc.requires_approval else "valid")
            payment_method = body.get("payment_method") or "cash"
            contact = st.contact_by_email.get((key.org_id, person["email"].lower()))
            # Invited tickets of this contact on this event, any class, oldest first; a request that itself
            # asks for `invited` tickets has nothing to upgrade them to.
            upgrades: list[Attendee] = []
            if contact is not None and status != "invited":
                upgrades = st.invited.get((event.id, contact.id), [])[:quantity]
            created = quantity - len(upgrades)
            moving_in = sum(1 for a in upgrades if a.class_id != tc.id)
            self._check_seats(event, tc, created, created + moving_in)

            now = self.clock.now_ms()
            contact = self._upsert_contact(key.org_id, person, contact, now)
            payment_id = new_id("pay_")
            tickets: list[Attendee] = []
            for att in upgrades:
                if att.class_id != tc.id:
                    st.move_class(att, tc.id)
                st.set_status(att, status)
                att.first_name, att.last_name = contact.first_name, contact.last_name
                att.payment_id, att.payment_method, att.updated_ms = payment_id, payment_method, now
                att.changed()
                tickets.append(att)
            for _ in range(created):
                att = Attendee(
                    new_id("tkt_"),
                    st.next_seq,
                    event.id,
                    tc.id,
                    contact.id,
                    status,
                    contact.first_name,
                    contact.last_name,
                    payment_id,
                    payment_method,
                    now,
                    now,
                )
                st.insert_attendee(att)
                tickets.append(att)
            if body.get("send_email"):
                st.outbox.append(
                    {
                        "id": new_id("msg_"),
                        "to": contact.email,
                        "subject": f"Your ticket{'s' if len(tickets) > 1 else ''} for {event.name}",
                        "event_id": event.id,
                        "payment_id": payment_id,
                        "attendee_ids": [a.id for a in tickets],
                        "created_at": iso_ms(now),
                    }
                )
            return {
                "data": [self._attendee_json(a) for a in tickets],
                "payment_id": payment_id,
                "quantity": created,
            }

    def _upsert_contact(
        self, org_id: str, person: dict[str, Any], contact: Contact | None, now: int
    ) -> Contact:
        given = {k: person[k] for k in ("first_name", "last_name", "phone") if person.get(k) is not None}
        if contact is None:
            contact = Contact(
                new_id("con_"),
                org_id,
                person["email"],
                given.get("first_name"),
                given.get("last_name"),
                given.get("phone"),
                now,
                now,
            )
            self._s.add_contact(contact)
            return contact
        changed = False
        for name, value in given.items():
            if getattr(contact, name) != value:
                setattr(contact, name, value)
                changed = True
        if changed:
            contact.updated_ms = now
        return contact

    def list_attendees(
        self,
        key: ApiKey,
        event_id: str,
        page: int = 1,
        page_size: int = 50,
        statuses: list[str] | None = None,
        encoded: bool = False,
    ) -> dict[str, Any]:
        """One page of the event's attendees; with `encoded`, each one already serialised (`orjson.Fragment`)."""
        with self._lock:
            self.require_scope(key, "attendees", "read")
            event = self.event_for(key, event_id)
            self._page_args(page, page_size)
            wanted = tuple(dict.fromkeys(statuses)) if statuses else DEFAULT_STATUS_FILTER
            bad = [s for s in wanted if s not in STATUSES]
            if bad:
                raise BadRequest("Validation failed", fields={"status": [f"unknown status {bad[0]}"]})
            window = PageWindow(page, page_size, event.index.count(wanted))
            seqs = event.index.window(wanted, window.start, page_size)
            by_seq = self._s.by_seq  # looked up once per page, not per attendee
            if encoded:  # `_attendee_encoded`'s own test inline (a Fragment is truthy): a call each was slower
                data = [(a := by_seq[seq]).encoded or self._attendee_encoded(a) for seq in seqs]
            else:
                data = [self._attendee_json(by_seq[seq]) for seq in seqs]
            return {
                "data": data,
                "pagination": window.as_dict(),
            }

    def get_attendee(self, key: ApiKey, event_id: str, attendee_id: str) -> dict[str, Any]:
        with self._lock:
            self.require_scope(key, "attendees", "read")
            _, att = self._attendee_for(key, event_id, attendee_id)
            return self._attendee_json(att)

    def update_attendee(
        self, key: ApiKey, event_id: str, attendee_id: str, patch: dict[str, Any]
    ) -> dict[str, Any]:
        with self._lock:
            self.require_scope(key, "attendees", "write")
            event, att = self._attendee_for(key, event_id, attendee_id)
            target = patch.get("status", att.status)
            renames = any(name in patch and patch[name] != getattr(att, name) for name in ("first_name", "last_name"))
            if att.status == "deleted" and target == "deleted" and renames:  # TRANSITIONS has no way out of it
                raise Unprocessable("Cannot change a deleted attendee",
                                    extra={"current_status": "deleted", "allowed_statuses": []})
            if target != att.status:
                allowed = TRANSITIONS[att.status]
                if target not in allowed:
                    raise Unprocessable(
                        f"Cannot change status from {att.status} to {target}",
                        extra={"current_status": att.status, "allowed_statuses": list(allowed)},
                    )
                if target in HOLDS_SEAT and att.status not in HOLDS_SEAT:
                    self._check_seats(event, self._s.classes[att.class_id], 1, 1)
            changed = target != att.status
            for name in ("first_name", "last_name"):
                if name in patch and patch[name] != getattr(att, name):
                    setattr(att, name, patch[name])
                    changed = True
            self._s.set_status(att, target)
            if changed:
                att.updated_ms = self.clock.now_ms()
                att.changed()
            return self._attendee_json(att)

    def delete_attendee(self, key: ApiKey, event_id: str, attendee_id: str) -> dict[str, Any]:
        with self._lock:
            self.require_scope(key, "attendees", "write")
            _, att = self._attendee_for(key, event_id, attendee_id)
            if att.status != "deleted":  # deleting again changes nothing and answers the same
                self._s.set_status(att, "deleted")
                att.updated_ms = self.clock.now_ms()
                att.changed()
            return {"deleted": True, "id": att.id}

    # -- events and ticket classes --------------------------------------------------------------------
    def list_events(self, key: ApiKey, page: int = 1, page_size: int = 50) -> dict[str, Any]:
        with self._lock:
            self.require_scope(key, "events", "read")
            self._page_args(page, page_size)
            ids = self._s.orgs[key.org_id].event_ids
            window = PageWindow(page, page_size, len(ids))
            return {
                "data": [self._event_json(self._s.events[i]) for i in ids[window.start : window.stop]],
                "pagination": window.as_dict(),
            }

    def get_event(self, key: ApiKey, event_id: str) -> dict[str, Any]:
        with self._lock:
            self.require_scope(key, "events", "read")
            return self._event_json(self.event_for(key, event_id))

    def list_ticket_classes(self, key: ApiKey, event_id: str) -> dict[str, Any]:
        with self._lock:
            self.require_scope(key, "ticket_classes", "read")
            event = self.event_for(key, event_id)
            return {"data": [self._class_json(self._s.classes[c]) for c in event.class_ids]}

    # -- control plane ---------------------------------------------------------------------------
    def outbox(self) -> list[dict[str, Any]]:
        """The e-mails `send_email: true` would have sent, oldest first (bounded ring)."""
        with self._lock:
            return [dict(m, attendee_ids=list(m["attendee_ids"])) for m in self._s.outbox]

    def clear_outbox(self) -> None:
        with self._lock:
            self._s.outbox.clear()

    def dump(self) -> dict[str, Any]:
        with self._lock:
            return self._s.dump()

    def restore(self, state: dict[str, Any]) -> None:
        fresh = state_from_dump(state)  # raises BadRequest before anything is replaced
        with self._lock:
            self._s = fresh
