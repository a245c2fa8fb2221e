"""Names the rule that refused a journaled request, with a plain-words explanation (docs/dashboard.md).

Nothing here runs while a request is served: the pipeline keeps the refusing `Problem` (and the fault,
rate verdict or replay) on the journal entry, and these functions read it when someone reads the
journal. A rule is `{"name", "explanation"}`; the names are listed in docs/dashboard.md. The rules of
one vendor (its auth, tenants, business rules) come from its `VendorInsight` (admin/insight/); the
framing, fault, rate-limit, replay, routing and validation rules are everyone's.
"""

from __future__ import annotations

from ..core.journal import Entry, Journal
from ..core.problems import Problem
from .insight import insight_for
from .insight.base import Rule, header, rule
from .plain import plain_fields


def _framing(problem: Problem) -> Rule | None:
    if problem.status == 415:
        return rule("body.media_type", f"bodies are JSON only: {problem.message}")
    if problem.status == 413:
        return rule("body.too_large", problem.message)
    if problem.status == 400 and problem.message.startswith(("Malformed JSON", "Request body is not valid UTF-8")):
        return rule("body.malformed_json", problem.message)
    return None


def _replayed(entry: Entry, journal: Journal) -> Rule:
    key = entry.replay
    original = first_with_key(entry, journal)
    if original is None:
        source = "an earlier request (no longer in the journal)"
    else:
        first = refusal_rule(original, journal)
        source = f"request #{original.id}" + (f" (refused by {first['name']})" if first else "")
    return rule("idempotency.replay", insight_for(entry.vendor).replayed(key, source))


def first_with_key(entry: Entry, journal: Journal) -> Entry | None:
    """The journaled request whose answer a replay repeats (same vendor, caller and Idempotency-Key)."""
    by = insight_for(entry.vendor).caller_header
    key, caller = entry.replay, header(entry, by) if by else None
    return journal.find(
        lambda other: other.vendor == entry.vendor and other.replay is None
        and header(other, "idempotency-key") == key and (by is None or header(other, by) == caller),
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
        return insight_for(entry.vendor).partial_refusal(entry)
    if problem.code == "idempotent_request_in_progress":
        return rule("idempotency.in_progress",
                    f"a request with Idempotency-Key {header(entry, 'idempotency-key')!r} is still running; "
                    "a repeat is 409 until it completes")
    if problem.status >= 500:
        return _internal()
    found = _framing(problem) or insight_for(entry.vendor).refusal(entry, problem)
    if found is not None:
        return found
    if problem.status == 400 and problem.fields:
        return rule("validation", "the request does not match the spec: " + "; ".join(plain_fields(problem.fields)))
    return rule(f"{entry.vendor}.{problem.code}", problem.message)
