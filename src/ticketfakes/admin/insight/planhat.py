"""Planhat, for the dashboard: its refusals (token, unknown ticket, batch size), the items of a bulk upsert
that failed one by one, the tickets a request touched, and items matched or dropped against the client's
likely intent (docs/dashboard.md)."""

from __future__ import annotations

from typing import Any

from ...core.journal import Entry
from ...core.problems import Problem
from .base import MAX_LISTED, Entity, Rule, VendorInsight, Warning, body_json, entity, rule, warning


class PlanhatInsight(VendorInsight):
    def refusal(self, entry: Entry, problem: Problem) -> Rule | None:
        if problem.status == 401:
            return rule("planhat.token", "planhat: no known token in Authorization (Bearer TOKEN, or Basic with the "
                        "token as user name)")
        if problem.status == 404:
            return rule("planhat.unknown_ticket", f"planhat: {problem.message}")
        if problem.message.startswith("Too many items"):
            return rule("planhat.batch_size", f"planhat: {problem.message}; nothing was stored")
        return None

    def partial_refusal(self, entry: Entry) -> Rule | None:
        """A bulk upsert answered 206 (some items failed) or 400 (all of them)."""
        body = body_json(entry.response_body)
        if entry.status in (206, 400) and isinstance(body, dict):
            errors = [*(body.get("createdErrors") or []), *(body.get("updatedErrors") or [])]
            if errors:
                failed = "; ".join(f"item {e.get('item')}: {e.get('message')}" for e in errors[:10])
                return rule("planhat.item_failed", f"planhat: items failed one by one: {failed}")
        return None

    def entities(self, entry: Entry, answer: Any) -> list[Entity]:
        if entry.method == "PUT" and isinstance(answer, dict):
            return ([entity("planhat", "ticket", k.get("_id"), "created") for k in answer.get("insertsKeys") or []]
                    + [entity("planhat", "ticket", k.get("_id"), "changed") for k in answer.get("updatesKeys") or []])
        if entry.method == "DELETE" and entry.status == 200:
            return [entity("planhat", "ticket", entry.path.rsplit("/", 1)[-1], "deleted")]
        return []

    def warnings(self, entry: Entry, body: Any) -> list[Warning]:
        """Items keyed by `_id` despite a `sourceId`, and items without e-mail (dropped silently)."""
        if entry.method != "PUT" or entry.status not in (200, 206, 400):
            return []
        items = [body] if isinstance(body, dict) else body if isinstance(body, list) else []
        found: list[Warning] = []
        for index, item in enumerate(items[:5000]):
            if not isinstance(item, dict):
                continue
            if item.get("_id") is not None and item.get("sourceId") not in (None, ""):
                found.append(warning(
                    "planhat_matched_by_id",
                    f"item {index}: matched by _id {item['_id']!r}, not by sourceId {item['sourceId']!r}: Planhat keys "
                    "an item by _id when it has one and then writes this sourceId onto that ticket; if you meant the "
                    "ticket with this sourceId, leave _id out"))
            email = item.get("email")
            if not isinstance(email, str) or not email.strip():
                found.append(warning(
                    "planhat_item_dropped",
                    f"item {index} has no email: Planhat drops it silently (counted nowhere in the answer)"))
            if len(found) >= MAX_LISTED:
                break
        return found
