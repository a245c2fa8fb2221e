"""talque, for the dashboard: its refusals (org, credentials, provider, cursor, extTicketId), the tickets a
webhook post refused one by one, the tickets and purchase orders a request touched, and unchanged re-posts
(docs/dashboard.md)."""

from __future__ import annotations

from typing import Any

from ...core.journal import Entry
from ...core.problems import Problem
from ..plain import plain_fields
from .base import Entity, Rule, VendorInsight, Warning, body_json, entity, header, listed, rule, warning


class TalqueInsight(VendorInsight):
    def refusal(self, entry: Entry, problem: Problem) -> Rule | None:
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
            fields = "; ".join(plain_fields(problem.fields)) or message
            return rule("talque.ext_ticket_id", f"talque: {fields}; each ticket needs its own non-empty extTicketId")
        return None

    def partial_refusal(self, entry: Entry) -> Rule | None:
        """A webhook post answered `success: false`: each ticket is judged on its own."""
        if entry.status >= 400:
            return None
        body = body_json(entry.response_body)
        if isinstance(body, dict) and body.get("success") is False:
            failed = {ext: result.get("reason") for ext, result in (body.get("ticketById") or {}).items()
                      if isinstance(result, dict) and not result.get("success")}
            refused = ", ".join(f"{ext}: {reason}" for ext, reason in list(failed.items())[:10])
            return rule("talque.ticket_refused",
                        f"talque: each ticket is judged on its own; refused: {refused} (the others were stored)")
        return None

    def entities(self, entry: Entry, answer: Any) -> list[Entity]:
        if "/webhook/" not in entry.path or entry.status != 200 or not isinstance(answer, dict):
            return []
        found = []
        for result in (answer.get("ticketById") or {}).values():
            if isinstance(result, dict) and result.get("reason") in ("CREATED", "UPDATED"):
                model = result.get("model") or {}
                found.append(entity("talque", "ticket", model.get("orgTicketId"),
                                    "created" if result["reason"] == "CREATED" else "changed"))
        if answer.get("purchaseOrderId"):
            found.append(entity("talque", "purchase order", answer["purchaseOrderId"], "upserted"))
        return found

    def admin_entities(self, entry: Entry, answer: Any) -> list[Entity]:
        """A check-in or its reset answers the ticket's model."""
        if entry.status == 200 and isinstance(answer, dict) and "orgTicketId" in answer:
            return [entity("talque", "ticket", answer["orgTicketId"], "changed")]
        return []

    def warnings(self, entry: Entry, body: Any) -> list[Warning]:
        if "/webhook/" not in entry.path:
            return []
        answer = body_json(entry.response_body)
        if not isinstance(answer, dict):
            return []
        results = answer.get("ticketById")
        if not isinstance(results, dict):
            return []
        same = [ext for ext, result in results.items()
                if isinstance(result, dict) and result.get("reason") == "UNCHANGED"]
        if not same:
            return []
        return [warning("webhook_repost_unchanged",
                        f"re-post changed nothing for {listed(same)} (reason UNCHANGED, mtime kept): safe for a retry, "
                        "but if you meant to update these tickets, the posted fields are identical to the stored ones")]
