"""`VendorInsight`: what the dashboard knows of one vendor, read from a journal entry when someone reads it.

Its methods answer for a fake without one too: no vendor-specific refusal explanation, no entities, no
warnings; the shared modules then explain validation, faults, rate limits and replays on their own.
A leaf module: the vendor modules import it, and so do the shared modules that ask the registry.
"""

from __future__ import annotations

from typing import Any

import orjson

from ...core.journal import Entry, preview
from ...core.problems import Problem

Rule = dict[str, str]  # {"name", "explanation"}
Warning = dict[str, str]  # {"code", "message"}
Entity = dict[str, str]  # {"vendor", "kind", "id", "action"}
MAX_LISTED = 20  # names a warning lists at most


def rule(name: str, explanation: str) -> Rule:
    return {"name": name, "explanation": explanation}


def warning(code: str, message: str) -> Warning:
    return {"code": code, "message": message}


def entity(vendor: str, kind: str, ident: Any, action: str) -> Entity:
    return {"vendor": vendor, "kind": kind, "id": str(ident), "action": action}


def header(entry: Entry, name: str) -> str | None:
    """A request header by lower-case name."""
    return entry.request_headers.get(name)


def body_json(raw: bytes) -> Any:
    """A journaled body as JSON, read as far as it is shown (None if that is not JSON)."""
    try:
        return orjson.loads(preview(raw)) if raw else None
    except orjson.JSONDecodeError:
        return None


def listed(names: list[str]) -> str:
    return ", ".join(names[:MAX_LISTED]) + (" …" if len(names) > MAX_LISTED else "")


class VendorInsight:
    """One vendor's knowledge for the dashboard; every method has the generic answer."""

    # The request header that names the caller an Idempotency-Key belongs to (None: any caller).
    caller_header: str | None = None

    def refusal(self, entry: Entry, problem: Problem) -> Rule | None:
        """The rule behind a refusal of this vendor's own (auth, tenant, a business rule); None: generic."""
        return None

    def partial_refusal(self, entry: Entry) -> Rule | None:
        """An answer without a refusing problem that still refuses some items (e.g. one bad item of a batch)."""
        return None

    def replayed(self, key: str, source: str) -> str:
        """Why a replay answered as it did; `source` names the request whose answer it repeats."""
        return (f"Idempotency-Key {key!r} was used before by this caller: the fake replays the stored answer of "
                f"{source} verbatim, whatever this request's body says")

    def entities(self, entry: Entry, answer: Any) -> list[Entity]:
        """What a successful request of this vendor created or changed, read from its JSON answer."""
        return []

    def admin_entities(self, entry: Entry, answer: Any) -> list[Entity]:
        """The same for a control-plane request (this fake's extras under /_admin, e.g. a check-in)."""
        return []

    def warnings(self, entry: Entry, body: Any) -> list[Warning]:
        """Likely client bugs this vendor accepts silently; `body` is the request's JSON body (None if not)."""
        return []


GENERIC = VendorInsight()
