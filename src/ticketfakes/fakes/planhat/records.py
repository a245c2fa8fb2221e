"""Planhat's stored records and their JSON form: tickets, companies, end users, ObjectIds, dates.

Kept apart from the rules in `model.py`: this is how one record looks, that is what a request may do.
"""

from __future__ import annotations

import operator
import re
import secrets
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from ...core.clock import Clock
from ...core.timestamps import iso_datetime

OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")
# Deliberately loose: Planhat accepts any address of the form local@domain.tld.
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# Plain optional text fields: posted as a string, or null to clear them.
TEXT_FIELDS = ("source", "title", "description", "url", "type", "severity", "product", "status")

# JSON name -> attribute, in the order the API returns a ticket's keys.
JSON_TO_ATTR = {
    "_id": "id",
    "source": "source",
    "sourceId": "source_id",
    "email": "email",
    "companyExternalId": "company_external_id",
    "companyId": "company_id",
    "companyName": "company_name",
    "endUserId": "end_user_id",
    "title": "title",
    "description": "description",
    "url": "url",
    "tags": "tags",
    "type": "type",
    "severity": "severity",
    "product": "product",
    "timeSpent": "time_spent",
    "status": "status",
    "custom": "custom",
    "createdAt": "created_at",
    "updatedAt": "updated_at",
}
_ITEMS = tuple(JSON_TO_ATTR.items())


def normalize_date(value: Any) -> str | None:
    """Any ISO-8601 date or date-time -> `YYYY-MM-DDTHH:MM:SS.mmmZ`; None when it is not one.

    A value without an offset is read as UTC, as Planhat stores dates in UTC.
    """
    if not isinstance(value, str):
        return None
    try:
        dt = datetime.fromisoformat(value.strip())
        dt = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return iso_datetime(dt)


class ObjectIds:
    """Mongo-style ObjectIds: 4-byte seconds (fake clock), 5 random bytes, 3-byte counter, as hex."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._random = secrets.token_bytes(5).hex()
        self._counter = secrets.randbelow(1 << 24)

    def next(self) -> str:
        self._counter = (self._counter + 1) & 0xFFFFFF
        seconds = (self._clock.now_ms() // 1000) & 0xFFFFFFFF
        return f"{seconds:08x}{self._random}{self._counter:06x}"


@dataclass(slots=True)
class Company:
    id: str
    name: str
    external_id: str | None


@dataclass(slots=True)
class EndUser:
    id: str
    email: str
    company_id: str
    name: str | None


@dataclass(slots=True)
class Ticket:
    """One stored ticket; None means "absent" (the key is left out of the JSON)."""

    id: str
    source_id: str
    email: str
    company_id: str
    company_name: str
    end_user_id: str
    created_at: str
    updated_at: str
    company_external_id: str | None = None
    source: str | None = None
    title: str | None = None
    description: str | None = None
    url: str | None = None
    tags: tuple[str, ...] | None = None
    type: str | None = None
    severity: str | None = None
    product: str | None = None
    time_spent: int | float | None = None
    status: str | None = None
    custom: dict[str, Any] | None = None

    def clone(self) -> Ticket:
        # Positional from one C-level getter: dataclasses.replace cost ~4 µs a ticket, this under 1.
        copy = Ticket(*_ALL_FIELDS(self))
        if copy.custom is not None:
            copy.custom = dict(copy.custom)
        return copy

    def same_content(self, other: Ticket) -> bool:
        """Equal in everything but `updatedAt` (which a real change moves, and nothing else)."""
        saved = other.updated_at
        other.updated_at = self.updated_at
        try:
            return self == other
        finally:
            other.updated_at = saved

    def email_key(self) -> str:
        return self.email.lower()

    def to_json(self, fields: frozenset[str] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, attr in _ITEMS:
            if fields is not None and name not in fields:
                continue
            value = getattr(self, attr)
            if value is None:
                continue
            if attr == "tags":
                value = list(value)
            elif attr == "custom":
                value = copy_json(value)
            out[name] = value
        return out


_ALL_FIELDS = operator.attrgetter(*(f.name for f in fields(Ticket)))  # in __init__'s order

_MISSING = object()


def field_value(ticket: Ticket, path: str) -> Any:
    """The value a sort names: a top-level field, or `custom.<name>`; `_MISSING` when absent."""
    top, _, rest = path.partition(".")
    attr = JSON_TO_ATTR.get(top)
    if attr is None:
        return _MISSING
    value = getattr(ticket, attr)
    if rest:
        value = value.get(rest) if isinstance(value, dict) else None
    return _MISSING if value is None else value


def sort_key(value: Any) -> tuple[int, Any]:
    """Makes values of mixed types comparable: numbers < strings < anything else (by its repr)."""
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, int | float):
        return (0, value)
    if isinstance(value, str):
        return (1, value)
    return (2, repr(value))


def sort_tickets(tickets: list[Ticket], path: str, descending: bool) -> list[Ticket]:
    """Stable sort on one field; tickets without it come last in either direction."""
    present: list[tuple[tuple[int, Any], Ticket]] = []
    missing: list[Ticket] = []
    for ticket in tickets:
        value = field_value(ticket, path)
        if value is _MISSING:
            missing.append(ticket)
        else:
            present.append((sort_key(value), ticket))
    # reverse=True keeps equal keys in their original (creation) order: Python's sort stays stable.
    present.sort(key=lambda pair: pair[0], reverse=descending)
    return [ticket for _, ticket in present] + missing


def apply_fields(ticket: Ticket, item: dict[str, Any]) -> None:
    """Copy the posted plain fields onto `ticket`: a field left out stays, an explicit null clears it."""
    for name in TEXT_FIELDS:
        if name in item:
            setattr(ticket, name, item[name] if isinstance(item[name], str) else None)
    if "tags" in item:
        tags = item["tags"]
        ticket.tags = tuple(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else None
    if "timeSpent" in item:
        spent = item["timeSpent"]
        ticket.time_spent = spent if isinstance(spent, int | float) and not isinstance(spent, bool) else None
    if "custom" in item:
        custom = item["custom"]
        if not isinstance(custom, dict):
            ticket.custom = None
            return
        # Custom fields merge key by key, like Planhat's `custom.<name>` updates; null removes one key.
        merged = dict(ticket.custom or {})
        for key, value in custom.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = copy_json(value)
        ticket.custom = merged or None


def changes_nothing(ticket: Ticket, item: dict[str, Any]) -> bool:
    """True only if `apply_fields(ticket, item)` would leave every field == its value now.

    Lets a re-sent item count as a nonupdate without cloning the ticket. It may answer False for an
    item that changes nothing in the end (the caller then clones, applies and compares), never True
    for one that changes something: each test below is what `apply_fields` stores, compared with ==.
    """
    for name in TEXT_FIELDS:
        if name in item:
            value = item[name]
            if getattr(ticket, name) != (value if isinstance(value, str) else None):
                return False
    if "tags" in item:
        tags = item["tags"]
        if not isinstance(tags, list):
            if ticket.tags is not None:
                return False
        # Stored tags are all strings, so an equal list is all strings and its filtered tuple is itself.
        elif ticket.tags is None or tuple(tags) != ticket.tags:
            return False
    if "timeSpent" in item:
        spent = item["timeSpent"]
        if isinstance(spent, bool) or not isinstance(spent, int | float):
            spent = None
        if spent != ticket.time_spent:
            return False
    if "custom" in item:
        custom, stored = item["custom"], ticket.custom
        if not isinstance(custom, dict):
            return stored is None
        if stored is None:  # only removals: the merge is empty, stored as None again
            return all(value is None for value in custom.values())
        if not stored:  # an empty dict (from a dump) would be stored as None
            return False
        for key, value in custom.items():
            if value is None:
                if key in stored:
                    return False
            elif key not in stored or stored[key] != value:
                return False
    return True


def copy_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: copy_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_json(v) for v in value]
    return value
