"""Warnings for likely client bugs that the real vendor accepts silently (docs/dashboard.md).

Computed when the journal is read, from what it kept of the request and answer; serving a request pays
nothing for them. Each warning is `{"code", "message"}`. Unknown fields and a reused Idempotency-Key are
everyone's; the rest come from each vendor's `VendorInsight` (admin/insight/).
"""

from __future__ import annotations

from typing import Any

from ..core.journal import Entry, Journal
from .insight import insight_for
from .insight.base import Warning, body_json, listed, warning
from .refusals import first_with_key


def _request_schema(entry: Entry) -> dict[str, Any] | None:
    operation = getattr(entry.source, "operation", None)
    content = ((operation.request_body if operation else None) or {}).get("content", {})
    return (content.get("application/json") or {}).get("schema")


def unknown_fields(schema: dict[str, Any], value: Any, path: str = "") -> list[str]:
    """Dotted paths of the body's fields the schema does not declare where it lets them through (ignored)."""
    found: list[str] = []
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            found += unknown_fields(schema["items"], item, f"{path}{index}.")
    elif isinstance(value, dict):
        if "properties" not in schema and isinstance(schema.get("then"), dict):
            schema = schema["then"]  # a body that is one object or a list: `if: {type: object}, then: Item`
        properties = schema.get("properties")
        if not isinstance(properties, dict):
            return found
        for key, item in value.items():
            if key in properties:
                if isinstance(properties[key], dict):
                    found += unknown_fields(properties[key], item, f"{path}{key}.")
            elif schema.get("additionalProperties") is not False:
                found.append(f"{path}{key}")
    return found


def _dropped(entry: Entry, body: Any) -> list[Warning]:
    schema = _request_schema(entry)
    if schema is None or body is None or entry.status >= 400:
        return []
    names = unknown_fields(schema, body)
    if not names:
        return []
    return [warning("unknown_field_dropped",
                    f"unknown field{'s' if len(names) > 1 else ''} dropped: {listed(names)}; the spec does not know "
                    f"{'them' if len(names) > 1 else 'it'}, and {entry.vendor} ignores unknown fields (a typo?)")]


def _key_reused(entry: Entry, journal: Journal) -> list[Warning]:
    if entry.replay is None:
        return []
    original = first_with_key(entry, journal)
    if original is None:
        return []
    differs = [what for what, changed in (("path", original.path != entry.path),
                                          ("body", original.request_body != entry.request_body)) if changed]
    if not differs:
        return []
    return [warning("idempotency_key_reused",
                    f"Idempotency-Key {entry.replay!r} was first sent with another "
                    f"{' and '.join(differs)} (request #{original.id}, {original.method} {original.path}); "
                    f"{entry.vendor} replays that first answer and ignores this request")]


def client_warnings(entry: Entry, journal: Journal) -> list[Warning]:
    if entry.source is None:
        return []
    body = body_json(entry.request_body)
    return [
        *_dropped(entry, body),
        *_key_reused(entry, journal),
        *insight_for(entry.vendor).warnings(entry, body),
    ]
