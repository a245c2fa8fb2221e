"""Gomry's two ways in: a fixture file's `gomry` section -> a store, and a state dump -> a store.

Both are strict and build a fresh `GomryState` that replaces the old one only when it is complete, so a bad
file or dump is never half-applied. A fixture error names the key and line (`FixtureError`); a dump edited
by hand must never smuggle in a state the rules forbid (an oversold class, a ticket of an unknown event, a
capacity given as a string that would crash a later request), so every field of a dump is type-checked and
every reference and seat limit verified; any problem is a `BadRequest` naming the path.
"""

from __future__ import annotations

from typing import Any

from ...core.problems import BadRequest
from ...core.reader import Reader, ReadError
from ...core.timestamps import parse_iso
from ...fixtures import Section
from .records import ACCESS, PAYMENT_METHODS, RESOURCES, STATUSES, Attendee, Contact
from .store import OUTBOX_LIMIT, GomryState


# -- fixture section -> store -------------------------------------------------------------------------
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


# -- state dump -> store -----------------------------------------------------------------------------
_TOP_KEYS = ("orgs", "api_keys", "events", "ticket_classes", "contacts", "attendees", "outbox", "next_seq")


def _build(data: Any) -> GomryState:
    root = Reader(data, "gomry").record(*_TOP_KEYS)
    state = GomryState()
    for o in root.list("orgs"):
        o.record("id", "name")
        if o.str("id") in state.orgs:
            raise o.fail("duplicate org id", "id")
        state.add_org(o.str("id"), o.str("name"))
    for k in root.list("api_keys"):
        k.record("key", "org_id", "scopes")
        scopes = k.value["scopes"]
        if not isinstance(scopes, dict) or any(
            r not in RESOURCES or a not in ACCESS for r, a in scopes.items()
        ):
            raise k.fail("expected {resource: read|write} with resources " + ", ".join(RESOURCES), "scopes")
        if k.str("key") in state.keys or k.str("org_id") not in state.orgs:
            raise k.fail("duplicate key or unknown org_id")
        state.add_api_key(k.str("key"), k.str("org_id"), scopes)
    for e in root.list("events"):
        e.record("id", "org_id", "name", "capacity", "starts_at_ms")
        if e.str("id") in state.events or e.str("org_id") not in state.orgs:
            raise e.fail("duplicate id or unknown org_id")
        state.add_event(
            e.str("id"),
            e.str("org_id"),
            e.str("name"),
            e.int("capacity", minimum=0, nullable=True),
            e.int("starts_at_ms"),
        )
    for c in root.list("ticket_classes"):
        c.record("id", "event_id", "name", "quantity_total", "requires_approval")
        if c.str("id") in state.classes or c.str("event_id") not in state.events:
            raise c.fail("duplicate id or unknown event_id")
        state.add_ticket_class(
            c.str("id"),
            c.str("event_id"),
            c.str("name"),
            c.int("quantity_total", minimum=0, nullable=True),
            c.bool("requires_approval"),
        )
    for c in root.list("contacts"):
        c.record("id", "org_id", "email", "first_name", "last_name", "phone", "created_ms", "updated_ms")
        contact = Contact(
            c.str("id"),
            c.str("org_id"),
            c.str("email"),
            c.text("first_name", nullable=True),
            c.text("last_name", nullable=True),
            c.text("phone", nullable=True),
            c.int("created_ms"),
            c.int("updated_ms"),
        )
        if contact.org_id not in state.orgs:
            raise c.fail("unknown org_id", "org_id")
        if contact.id in state.contacts:
            raise c.fail("duplicate contact id", "id")
        if (contact.org_id, contact.email.lower()) in state.contact_by_email:
            raise c.fail("duplicate e-mail in this org (compared case-insensitively)", "email")
        state.add_contact(contact)
    last_seq = 0
    for a in root.list("attendees"):
        a.record(
            "id",
            "seq",
            "event_id",
            "ticket_class_id",
            "contact_id",
            "status",
            "first_name",
            "last_name",
            "payment_id",
            "payment_method",
            "created_ms",
            "updated_ms",
        )
        att = Attendee(
            a.str("id"),
            a.int("seq", minimum=last_seq + 1),
            a.str("event_id"),
            a.str("ticket_class_id"),
            a.str("contact_id"),
            a.choice("status", STATUSES),
            a.text("first_name", nullable=True),
            a.text("last_name", nullable=True),
            a.str("payment_id"),
            a.choice("payment_method", PAYMENT_METHODS),
            a.int("created_ms"),
            a.int("updated_ms"),
        )
        event = state.events.get(att.event_id)
        tc = state.classes.get(att.class_id)
        contact = state.contacts.get(att.contact_id)
        if event is None or tc is None or tc.event_id != event.id:
            raise a.fail("unknown event_id, or ticket_class_id not of that event")
        if contact is None or contact.org_id != event.org_id:
            raise a.fail("unknown contact, or a contact of another org", "contact_id")
        if att.id in state.attendees:
            raise a.fail("duplicate attendee id", "id")
        state.insert_attendee(att)
        last_seq = att.seq
        if tc.quantity_total is not None and tc.held > tc.quantity_total:
            raise a.fail(f"ticket class {tc.id} would hold more seats than its quantity_total")
        if event.capacity is not None and event.held > event.capacity:
            raise a.fail(f"event {event.id} would hold more seats than its capacity")
    if len(root.list("outbox")) > OUTBOX_LIMIT:
        raise root.fail(f"at most {OUTBOX_LIMIT} messages", "outbox")
    for m in root.list("outbox"):
        m.record("id", "to", "subject", "event_id", "payment_id", "attendee_ids", "created_at")
        for key in ("id", "to", "subject", "event_id", "payment_id", "created_at"):
            m.str(key)
        ids = [item.value for item in m.list("attendee_ids")]
        if not all(isinstance(x, str) for x in ids):
            raise m.fail("expected a list of strings", "attendee_ids")
        state.outbox.append(dict(m.value, attendee_ids=ids))
    state.next_seq = root.int("next_seq", minimum=last_seq + 1)
    return state


def state_from_dump(data: Any) -> GomryState:
    """Build a new state from a dump; BadRequest (naming the bad path) when it is malformed."""
    try:
        return _build(data)
    except ReadError as bad:
        raise BadRequest(f"Invalid gomry state: {bad}", fields={bad.path: [bad.message]}) from None
