"""Planhat, passively: bulk counts add up to the items sent, and no sourceId is ever stored twice."""

from __future__ import annotations

from typing import Any

from ...checks.rules.base import counted
from ..exchange import Exchange
from .base import Bounded, Found, Observer, PassiveChecker, json_list, json_object

RULES = ("planhat.counts", "planhat.read_after_write", "planhat.tenant_isolation")


def _has_email(item: Any) -> bool:
    return isinstance(item, dict) and isinstance(item.get("email"), str) and bool(item["email"].strip())


class PlanhatObserver(Observer):
    vendor = "planhat"
    rules = RULES
    credentials = ("authorization",)

    def __init__(self) -> None:
        self.source_ids: Bounded[str, str] = Bounded()  # sourceId -> the _id it was stored under
        self.deleted: Bounded[str, bool] = Bounded()  # ticket ids a DELETE answered as deleted

    def judge(self, exchange: Exchange, body: Any, found: Found) -> None:
        label = exchange.label
        if label == "PUT /tickets" and isinstance(body, dict) and "createdErrors" in body:
            self._counts(exchange, body, found)
        elif label == "DELETE /tickets/{id}" and exchange.status == 200:
            ticket = exchange.path_params.get("id")
            if json_object(body).get("deletedCount") == 1 and ticket:
                self.deleted[ticket] = True
            for source, stored in list(self.source_ids.items()):
                if stored == ticket:
                    del self.source_ids[source]
        elif label == "GET /tickets" and exchange.status == 200:
            self._listed(body, found)

    def _counts(self, exchange: Exchange, body: dict[str, Any], found: Found) -> None:
        """`planhat.counts`: created + updated + nonupdates + errors = items sent - items without e-mail,
        the keys lists match the counts, the status follows them (200, 206 mixed, 400 all failed), and an
        insert never stores a sourceId already stored."""
        sent = exchange.request_json
        items = sent if isinstance(sent, list) else [sent] if isinstance(sent, dict) else None
        if items is None:
            return
        dropped = sum(1 for item in items if not _has_email(item))
        check = PassiveChecker("planhat.counts", found, "response")
        with check.judging():
            errors = counted(check, body, len(items), dropped)
            done = sum(body.get(name, 0) for name in ("created", "updated", "nonupdates"))
            expected = 200 if not errors else 206 if done else 400
            check.expect(exchange.status == expected,
                         f"{done} stored and {errors} failed item(s) answered {exchange.status}, not {expected}")
        for insert in map(json_object, json_list(body.get("insertsKeys"))):
            source, ticket = insert.get("sourceId"), insert.get("_id")
            if not isinstance(source, str) or not isinstance(ticket, str):
                continue
            before = self.source_ids.get(source)
            if before is not None and before != ticket:
                found.append(("planhat.counts", "response.insertsKeys",
                              f"sourceId {source!r} stored twice: as {before} and now as {ticket} (a re-send must "
                              "update or count as nonupdates)"))
            self.source_ids[source] = ticket

    def _listed(self, body: Any, found: Found) -> None:
        """`planhat.counts`: no sourceId listed twice; `planhat.read_after_write`: a deleted ticket is gone."""
        seen: dict[str, str] = {}
        for ticket in map(json_object, json_list(body)):
            source, ticket_id = ticket.get("sourceId"), ticket.get("_id")
            if isinstance(ticket_id, str) and ticket_id in self.deleted:
                found.append(("planhat.read_after_write", "response._id",
                              f"ticket {ticket_id} is still listed after DELETE answered deletedCount 1"))
            if isinstance(source, str) and source in seen and seen[source] != ticket_id:
                found.append(("planhat.counts", "response", f"sourceId {source!r} is listed twice "
                              f"({seen[source]} and {ticket_id}): stored twice"))
            if isinstance(source, str):
                seen[source] = ticket_id
