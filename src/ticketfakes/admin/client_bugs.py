"""Warnings for likely client bugs that the real vendor accepts silently (docs/dashboard.md).

Computed when the journal is read, from what it kept of the request and answer; serving a request pays
nothing for them. Each warning is `{"code", "message"}`.
"""

from __future__ import annotations

from typing import Any

from ..core.journal import Entry, Journal
from .refusals import body_json, first_with_key

Warning = dict[str, str]
MAX_LISTED = 20


def _warning(code: str, message: str) -> Warning:
    return {"code": code, "message": message}


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
            schema = schema["then"]  # Planhat's body: `if: {type: object}, then: TicketInput`
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
    listed = ", ".join(names[:MAX_LISTED]) + (" …" if len(names) > MAX_LISTED else "")
    return [_warning("unknown_field_dropped",
                     f"unknown field{'s' if len(names) > 1 else ''} dropped: {listed}; the spec does not know "
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
    return [_warning("idempotency_key_reused",
                     f"Idempotency-Key {entry.replay!r} was first sent with another "
                     f"{' and '.join(differs)} (request #{original.id}, {original.method} {original.path}); "
                     f"{entry.vendor} replays that first answer and ignores this request")]


def _unchanged_repost(entry: Entry, answer: Any) -> list[Warning]:
    if entry.vendor != "talque" or "/webhook/" not in entry.path or not isinstance(answer, dict):
        return []
    results = answer.get("ticketById")
    if not isinstance(results, dict):
        return []
    same = [ext for ext, result in results.items() if isinstance(result, dict) and result.get("reason") == "UNCHANGED"]
    if not same:
        return []
    listed = ", ".join(same[:MAX_LISTED]) + (" …" if len(same) > MAX_LISTED else "")
    return [_warning("webhook_repost_unchanged",
                     f"re-post changed nothing for {listed} (reason UNCHANGED, mtime kept): safe for a retry, but "
                     "if you meant to update these tickets, the posted fields are identical to the stored ones")]


def _planhat_keys(entry: Entry, body: Any) -> list[Warning]:
    if entry.vendor != "planhat" or entry.method != "PUT" or entry.status not in (200, 206, 400):
        return []
    items = [body] if isinstance(body, dict) else body if isinstance(body, list) else []
    found: list[Warning] = []
    for index, item in enumerate(items[:5000]):
        if not isinstance(item, dict):
            continue
        if item.get("_id") is not None and item.get("sourceId") not in (None, ""):
            found.append(_warning(
                "planhat_matched_by_id",
                f"item {index}: matched by _id {item['_id']!r}, not by sourceId {item['sourceId']!r}: Planhat keys "
                "an item by _id when it has one and then writes this sourceId onto that ticket; if you meant the "
                "ticket with this sourceId, leave _id out"))
        email = item.get("email")
        if not isinstance(email, str) or not email.strip():
            found.append(_warning(
                "planhat_item_dropped",
                f"item {index} has no email: Planhat drops it silently (counted nowhere in the answer)"))
        if len(found) >= MAX_LISTED:
            break
    return found


def client_warnings(entry: Entry, journal: Journal) -> list[Warning]:
    if entry.source is None:
        return []
    body = body_json(entry.request_body)
    answer = body_json(entry.response_body) if entry.vendor == "talque" else None
    return [
        *_dropped(entry, body),
        *_key_reused(entry, journal),
        *_unchanged_repost(entry, answer),
        *_planhat_keys(entry, body),
    ]
