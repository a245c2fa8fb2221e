"""Gomry, for the dashboard: its refusals (API key, scope, the event's org, capacity, status transitions),
its Idempotency-Key replays and the attendees and contacts a request touched (docs/dashboard.md)."""

from __future__ import annotations

from typing import Any

from ...core.journal import Entry
from ...core.problems import Problem
from .base import Entity, Rule, VendorInsight, entity, header, rule


def _seats(left: int) -> str:
    return f"{left} seat{'' if left == 1 else 's'}"


def _capacity(facts: dict[str, Any]) -> str:
    event_binding = facts["event_left"] is not None and facts["event_need"] > facts["event_left"]
    if event_binding:
        head = (f"{facts['class']} on {facts['event']} has {facts['event_left']} of {facts['capacity']} seats left "
                f"(the event's capacity)")
        need = facts["event_need"]
    else:
        head = (f"{facts['class']} on {facts['event']} has {facts['class_left']} of {facts['quantity_total']} "
                f"seats left (the class's quantity_total)")
        need = facts["class_need"]
    return f"capacity: {head}; the request needs {_seats(need)}, and Gomry sells all or nothing"


class GomryInsight(VendorInsight):
    caller_header = "x-api-key"  # an Idempotency-Key is scoped per API key

    def refusal(self, entry: Entry, problem: Problem) -> Rule | None:
        message, status = problem.message, problem.status
        key = header(entry, "x-api-key")
        if status == 401:
            if message.startswith("Missing"):
                return rule("gomry.missing_api_key", "gomry: no X-API-KEY header was sent, so the request is 401")
            return rule("gomry.invalid_api_key",
                        f"gomry: the API key {key!r} is unknown or revoked, so the request is 401")
        if problem.code == "insufficient_scope":
            needed = problem.extra.get("required_scope", "?")
            return rule("gomry.insufficient_scope",
                        f"gomry: the API key {key!r} lacks the scope {needed} this operation needs "
                        "(write implies read)")
        if status == 404 and message == "Event not found":
            event = entry.path.split("/events/", 1)[-1].split("/", 1)[0]
            return rule("gomry.event_of_another_org",
                        f"gomry: event {event!r} does not exist for the API key's org; Gomry answers 404 alike for an "
                        "unknown event and another org's event")
        if status == 404 and message == "Ticket class not found":
            return rule("gomry.unknown_ticket_class",
                        "gomry: ticket_class_id names no ticket class of this event (404)")
        if status == 404 and message == "Attendee not found":
            return rule("gomry.unknown_attendee", "gomry: no attendee with this id on this event (404)")
        if status == 409 and problem.facts is not None:
            return rule("capacity", _capacity(problem.facts))
        if status == 422:
            allowed = problem.extra.get("allowed_statuses")
            shown = ", ".join(allowed) if allowed else "none"
            return rule("gomry.status_transition",
                        f"gomry: {message}; from {problem.extra.get('current_status')!r} the allowed statuses are: "
                        f"{shown}")
        return None

    def replayed(self, key: str, source: str) -> str:
        return (f"Idempotency-Key {key!r} was used before by this API key: Gomry replays the stored answer of "
                f"{source} verbatim, whatever this request's body says")

    def entities(self, entry: Entry, answer: Any) -> list[Entity]:
        if entry.method == "POST" and entry.status == 201 and isinstance(answer, dict):
            data = answer.get("data") or []
            upgraded = len(data) - int(answer.get("quantity") or 0)
            found = [entity("gomry", "attendee", a.get("id"), "changed" if i < upgraded else "created")
                     for i, a in enumerate(data) if isinstance(a, dict)]
            contacts = {a.get("contact_id") for a in data if isinstance(a, dict)}
            return found + [entity("gomry", "contact", c, "upserted") for c in sorted(contacts, key=str)]
        if entry.method in ("PATCH", "DELETE") and entry.status == 200 and isinstance(answer, dict):
            return [entity("gomry", "attendee", answer.get("id"), "deleted" if entry.method == "DELETE" else "changed")]
        return []
