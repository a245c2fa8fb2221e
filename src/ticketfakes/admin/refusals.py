"""Names the rule that refused a journaled request, with a plain-words explanation (docs/dashboard.md).

Nothing here runs while a request is served: the pipeline keeps the refusing `Problem` (and the fault,
rate verdict or replay) on the journal entry, and these functions read it when someone reads the
journal. A rule is `{"name", "explanation"}`; the names are listed in docs/dashboard.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from ..core.journal import Entry, Journal, preview
from ..core.problems import Problem
from .plain import plain_fields

Rule = dict[str, str]


def rule(name: str, explanation: str) -> Rule:
    return {"name": name, "explanation": explanation}


def header(entry: Entry, name: str) -> str | None:
    """A request header by lower-case name."""
    return entry.request_headers.get(name)


def body_json(raw: bytes) -> Any:
    """A journaled body as JSON, read as far as it is shown (None if that is not JSON)."""
    try:
        return orjson.loads(preview(raw)) if raw else None
    except orjson.JSONDecodeError:
        return None


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


def _gomry(entry: Entry, problem: Problem) -> Rule | None:
    message, status = problem.message, problem.status
    key = header(entry, "x-api-key")
    if status == 401:
        if message.startswith("Missing"):
            return rule("gomry.missing_api_key", "gomry: no X-API-KEY header was sent, so the request is 401")
        return rule("gomry.invalid_api_key", f"gomry: the API key {key!r} is unknown or revoked, so the request is 401")
    if problem.code == "insufficient_scope":
        needed = problem.extra.get("required_scope", "?")
        return rule("gomry.insufficient_scope",
                    f"gomry: the API key {key!r} lacks the scope {needed} this operation needs (write implies read)")
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
                    f"gomry: {message}; from {problem.extra.get('current_status')!r} the allowed statuses are: {shown}")
    return None


def _talque(entry: Entry, problem: Problem) -> Rule | None:
    message, status = problem.message, problem.status
    webhook = "/webhook/" in entry.path
    if status == 404 and message.startswith("Organization"):
        if webhook:
            return rule("talque.unknown_org_before_auth",
                        f"talque: unknown org 404 is answered before auth ({message}; the X-TQ headers were not "
                        "checked)")
        return rule("talque.unknown_org", f"talque: {message} (checked after the credentials)")
    if status in (401, 403) and message.startswith("Missing or incorrect"):
        kind = "403 on the webhook" if webhook else "401 on the JSON API"
        return rule("talque.credentials",
                    f"talque: X-TQ-CLIENT-ID / X-TQ-SECRET missing or wrong for client "
                    f"{header(entry, 'x-tq-client-id')!r} ({kind})")
    if status == 403 and "not permitted" in message:
        return rule("talque.org_not_permitted", f"talque: {message}")
    if status == 403 and "may only read provider" in message:
        return rule("talque.other_provider", f"talque: {message}; a client reads only its own provider's tickets")
    if "cursor" in problem.fields:
        return rule("talque.cursor", f"talque: {message}; cursors are opaque and bound to org, provider and filter")
    if "extTicketId" in message:
        listed = "; ".join(plain_fields(problem.fields)) or message
        return rule("talque.ext_ticket_id", f"talque: {listed}; each ticket needs its own non-empty extTicketId")
    return None


def _planhat(entry: Entry, problem: Problem) -> Rule | None:
    if problem.status == 401:
        return rule("planhat.token", "planhat: no known token in Authorization (Bearer TOKEN, or Basic with the "
                    "token as user name)")
    if problem.status == 404:
        return rule("planhat.unknown_ticket", f"planhat: {problem.message}")
    if problem.message.startswith("Too many items"):
        return rule("planhat.batch_size", f"planhat: {problem.message}; nothing was stored")
    return None


VENDOR_RULES: dict[str, Callable[[Entry, Problem], Rule | None]] = {
    "gomry": _gomry, "talque": _talque, "planhat": _planhat,
}


def _framing(problem: Problem) -> Rule | None:
    if problem.status == 415:
        return rule("body.media_type", f"bodies are JSON only: {problem.message}")
    if problem.status == 413:
        return rule("body.too_large", problem.message)
    if problem.status == 400 and problem.message.startswith(("Malformed JSON", "Request body is not valid UTF-8")):
        return rule("body.malformed_json", problem.message)
    return None


def _partial(entry: Entry) -> Rule | None:
    """Answers that succeed as a whole but refuse some items (talque's per-ticket reasons, Planhat's 206)."""
    body = body_json(entry.response_body)
    if entry.vendor == "talque" and isinstance(body, dict) and body.get("success") is False:
        failed = {ext: result.get("reason") for ext, result in (body.get("ticketById") or {}).items()
                  if isinstance(result, dict) and not result.get("success")}
        listed = ", ".join(f"{ext}: {reason}" for ext, reason in list(failed.items())[:10])
        return rule("talque.ticket_refused",
                    f"talque: each ticket is judged on its own; refused: {listed} (the others were stored)")
    if entry.vendor == "planhat" and entry.status in (206, 400) and isinstance(body, dict):
        errors = [*(body.get("createdErrors") or []), *(body.get("updatedErrors") or [])]
        if errors:
            listed = "; ".join(f"item {e.get('item')}: {e.get('message')}" for e in errors[:10])
            return rule("planhat.item_failed", f"planhat: items failed one by one: {listed}")
    return None


def _replayed(entry: Entry, journal: Journal) -> Rule:
    key = entry.replay
    original = first_with_key(entry, journal)
    if original is None:
        source = "an earlier request (no longer in the journal)"
    else:
        first = refusal_rule(original, journal)
        source = f"request #{original.id}" + (f" (refused by {first['name']})" if first else "")
    return rule("idempotency.replay",
                f"Idempotency-Key {key!r} was used before by this API key: Gomry replays the stored answer of "
                f"{source} verbatim, whatever this request's body says")


def first_with_key(entry: Entry, journal: Journal) -> Entry | None:
    """The journaled request whose answer a replay repeats (same vendor, caller and Idempotency-Key)."""
    key, caller = entry.replay, header(entry, "x-api-key")
    return journal.find(
        lambda other: other.vendor == entry.vendor and other.replay is None
        and header(other, "idempotency-key") == key and header(other, "x-api-key") == caller,
        entry.id,
    )


def _internal() -> Rule:
    return rule("internal_error", "a bug in ticketfakes (the server log has the trace); never the client's fault")


def refusal_rule(entry: Entry, journal: Journal) -> Rule | None:
    if entry.replay is not None:
        return _replayed(entry, journal) if entry.status >= 400 else None
    fault = entry.fault
    if fault is not None:
        shown = ", ".join(f"{k}={v}" for k, v in fault.as_dict().items())
        return rule("fault.injected", f"an injected fault rule ({shown}) answered {entry.status} before the fake ran")
    verdict = entry.rate
    if verdict is not None and not verdict.allowed:
        limit = verdict.limit
        window_s = verdict.window_ms // 1000
        return rule(f"ratelimit.{entry.vendor}",
                    f"{entry.vendor} allows {limit} requests per {window_s} s per caller; "
                    f"this caller used them all (retry after {verdict.retry_after_s} s)")
    problem = entry.problem
    if problem is None:
        if entry.status == 404 and entry.source is None:
            return rule("route.unknown_path", f"no operation of any spec has the path {entry.path}")
        if entry.status == 405:
            return rule("route.method_not_allowed", f"the path exists, but not with {entry.method}")
        if entry.status >= 500:
            return _internal()
        return _partial(entry) if entry.status < 400 or entry.vendor == "planhat" else None
    if problem.code == "idempotent_request_in_progress":
        return rule("idempotency.in_progress",
                    f"a request with Idempotency-Key {header(entry, 'idempotency-key')!r} is still running; "
                    "a repeat is 409 until it completes")
    if problem.status >= 500:
        return _internal()
    found = _framing(problem) or (VENDOR_RULES[entry.vendor](entry, problem) if entry.vendor in VENDOR_RULES else None)
    if found is not None:
        return found
    if problem.status == 400 and problem.fields:
        return rule("validation", "the request does not match the spec: " + "; ".join(plain_fields(problem.fields)))
    return rule(f"{entry.vendor}.{problem.code}", problem.message)
