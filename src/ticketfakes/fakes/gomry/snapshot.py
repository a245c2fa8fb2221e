"""`GomryState.dump()` output -> a fresh `GomryState`, checked as strictly as a request body.

A dump edited by hand must never smuggle in a state the rules forbid (an oversold class, a ticket of an
unknown event, a capacity given as a string that would crash a later request), so every field is
type-checked and every reference and seat limit verified; any problem is a `BadRequest` naming the path.
"""

from __future__ import annotations

from typing import Any

from ...core.problems import BadRequest
from .state import ACCESS, OUTBOX_LIMIT, PAYMENT_METHODS, RESOURCES, STATUSES, Attendee, Contact, GomryState

_TOP_KEYS = ("orgs", "api_keys", "events", "ticket_classes", "contacts", "attendees", "outbox", "next_seq")


class _Bad(Exception):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


class _Obj:
    """Typed access to one JSON object of the dump, naming its path in every complaint."""

    def __init__(self, value: Any, path: str, keys: tuple[str, ...]) -> None:
        if not isinstance(value, dict):
            raise _Bad(path, "expected an object")
        unknown = sorted(set(value) - set(keys))
        if unknown:
            raise _Bad(f"{path}.{unknown[0]}", "unknown key")
        missing = [k for k in keys if k not in value]
        if missing:
            raise _Bad(f"{path}.{missing[0]}", "required key is missing")
        self.value = value
        self.path = path

    def str(self, key: str, nullable: bool = False) -> Any:
        value = self.value[key]
        if value is None and nullable:
            return None
        if not isinstance(value, str) or not value:
            raise _Bad(f"{self.path}.{key}", "expected a non-empty string" + (" or null" if nullable else ""))
        return value

    def opt_text(self, key: str) -> str | None:
        value = self.value[key]
        if value is not None and not isinstance(value, str):
            raise _Bad(f"{self.path}.{key}", "expected a string or null")
        return value

    def int(self, key: str, minimum: int | None = None, nullable: bool = False) -> Any:
        value = self.value[key]
        if value is None and nullable:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Bad(f"{self.path}.{key}", "expected an integer" + (" or null" if nullable else ""))
        if minimum is not None and value < minimum:
            raise _Bad(f"{self.path}.{key}", f"expected an integer >= {minimum}")
        return value

    def bool(self, key: str) -> bool:
        value = self.value[key]
        if not isinstance(value, bool):
            raise _Bad(f"{self.path}.{key}", "expected true or false")
        return value

    def choice(self, key: str, options: tuple[str, ...]) -> str:
        value = self.value[key]
        if value not in options:
            raise _Bad(f"{self.path}.{key}", f"expected one of {', '.join(options)}")
        return value

    def list(self, key: str) -> list[Any]:
        value = self.value[key]
        if not isinstance(value, list):
            raise _Bad(f"{self.path}.{key}", "expected a list")
        return value


def _build(data: Any) -> GomryState:
    root = _Obj(data, "gomry", _TOP_KEYS)
    state = GomryState()
    for i, raw in enumerate(root.list("orgs")):
        o = _Obj(raw, f"gomry.orgs[{i}]", ("id", "name"))
        if o.str("id") in state.orgs:
            raise _Bad(f"{o.path}.id", "duplicate org id")
        state.add_org(o.str("id"), o.str("name"))
    for i, raw in enumerate(root.list("api_keys")):
        k = _Obj(raw, f"gomry.api_keys[{i}]", ("key", "org_id", "scopes"))
        scopes = k.value["scopes"]
        if not isinstance(scopes, dict) or any(
            r not in RESOURCES or a not in ACCESS for r, a in scopes.items()
        ):
            raise _Bad(
                f"{k.path}.scopes", "expected {resource: read|write} with resources " + ", ".join(RESOURCES)
            )
        if k.str("key") in state.keys or k.str("org_id") not in state.orgs:
            raise _Bad(k.path, "duplicate key or unknown org_id")
        state.add_api_key(k.str("key"), k.str("org_id"), scopes)
    for i, raw in enumerate(root.list("events")):
        e = _Obj(raw, f"gomry.events[{i}]", ("id", "org_id", "name", "capacity", "starts_at_ms"))
        if e.str("id") in state.events or e.str("org_id") not in state.orgs:
            raise _Bad(e.path, "duplicate id or unknown org_id")
        state.add_event(
            e.str("id"),
            e.str("org_id"),
            e.str("name"),
            e.int("capacity", 0, nullable=True),
            e.int("starts_at_ms"),
        )
    for i, raw in enumerate(root.list("ticket_classes")):
        c = _Obj(
            raw,
            f"gomry.ticket_classes[{i}]",
            ("id", "event_id", "name", "quantity_total", "requires_approval"),
        )
        if c.str("id") in state.classes or c.str("event_id") not in state.events:
            raise _Bad(c.path, "duplicate id or unknown event_id")
        state.add_ticket_class(
            c.str("id"),
            c.str("event_id"),
            c.str("name"),
            c.int("quantity_total", 0, nullable=True),
            c.bool("requires_approval"),
        )
    for i, raw in enumerate(root.list("contacts")):
        c = _Obj(
            raw,
            f"gomry.contacts[{i}]",
            ("id", "org_id", "email", "first_name", "last_name", "phone", "created_ms", "updated_ms"),
        )
        contact = Contact(
            c.str("id"),
            c.str("org_id"),
            c.str("email"),
            c.opt_text("first_name"),
            c.opt_text("last_name"),
            c.opt_text("phone"),
            c.int("created_ms"),
            c.int("updated_ms"),
        )
        if contact.org_id not in state.orgs:
            raise _Bad(f"{c.path}.org_id", "unknown org_id")
        if contact.id in state.contacts:
            raise _Bad(f"{c.path}.id", "duplicate contact id")
        if (contact.org_id, contact.email.lower()) in state.contact_by_email:
            raise _Bad(f"{c.path}.email", "duplicate e-mail in this org (compared case-insensitively)")
        state.add_contact(contact)
    last_seq = 0
    for i, raw in enumerate(root.list("attendees")):
        a = _Obj(
            raw,
            f"gomry.attendees[{i}]",
            (
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
            ),
        )
        att = Attendee(
            a.str("id"),
            a.int("seq", last_seq + 1),
            a.str("event_id"),
            a.str("ticket_class_id"),
            a.str("contact_id"),
            a.choice("status", STATUSES),
            a.opt_text("first_name"),
            a.opt_text("last_name"),
            a.str("payment_id"),
            a.choice("payment_method", PAYMENT_METHODS),
            a.int("created_ms"),
            a.int("updated_ms"),
        )
        event = state.events.get(att.event_id)
        tc = state.classes.get(att.class_id)
        contact = state.contacts.get(att.contact_id)
        if event is None or tc is None or tc.event_id != event.id:
            raise _Bad(a.path, "unknown event_id, or ticket_class_id not of that event")
        if contact is None or contact.org_id != event.org_id:
            raise _Bad(f"{a.path}.contact_id", "unknown contact, or a contact of another org")
        if att.id in state.attendees:
            raise _Bad(f"{a.path}.id", "duplicate attendee id")
        state.insert_attendee(att)
        last_seq = att.seq
        if tc.quantity_total is not None and tc.held > tc.quantity_total:
            raise _Bad(a.path, f"ticket class {tc.id} would hold more seats than its quantity_total")
        if event.capacity is not None and event.held > event.capacity:
            raise _Bad(a.path, f"event {event.id} would hold more seats than its capacity")
    if len(root.list("outbox")) > OUTBOX_LIMIT:
        raise _Bad("gomry.outbox", f"at most {OUTBOX_LIMIT} messages")
    for i, raw in enumerate(root.list("outbox")):
        m = _Obj(
            raw,
            f"gomry.outbox[{i}]",
            ("id", "to", "subject", "event_id", "payment_id", "attendee_ids", "created_at"),
        )
        for key in ("id", "to", "subject", "event_id", "payment_id", "created_at"):
            m.str(key)
        ids = m.list("attendee_ids")
        if not all(isinstance(x, str) for x in ids):
            raise _Bad(f"{m.path}.attendee_ids", "expected a list of strings")
        state.outbox.append(dict(raw, attendee_ids=list(ids)))
    state.next_seq = root.int("next_seq", last_seq + 1)
    return state


def state_from_dump(data: Any) -> GomryState:
    """Build a new state from a dump; BadRequest (naming the bad path) when it is malformed."""
    try:
        return _build(data)
    except _Bad as bad:
        raise BadRequest(f"Invalid gomry state: {bad}", fields={bad.path: [bad.message]}) from None
