"""Planhat in `fixtures from-har`: the tickets of `GET /tickets` answers, minus those deleted later, with
their companies and end users, become Planhat's section (docs/proxy.md)."""

from __future__ import annotations

from typing import Any

from .base import Seen, VendorRecording, newest_by_key, objects


class PlanhatRecording(VendorRecording):
    def __init__(self) -> None:
        self.tickets: dict[str, dict[str, Any]] = {}  # _id -> the newest sighting

    def add(self, seen: Seen) -> None:
        if seen.method == "GET" and seen.rest == "/tickets" and "select" not in seen.query:
            for ticket in objects(seen.response):
                known = self.tickets.get(ticket.get("_id", ""))
                if known is None or str(known.get("updatedAt")) <= str(ticket.get("updatedAt")):
                    self.tickets[ticket["_id"]] = ticket
        elif seen.method == "DELETE" and seen.rest.startswith("/tickets/"):
            self.tickets.pop(seen.rest.split("/")[2], None)

    def write(self, base: dict[str, Any]) -> None:
        section = base.setdefault("planhat", {}) or {}
        companies = {c["id"] for c in section.setdefault("companies", [])}
        by_external = {c["external_id"]: c["id"] for c in section["companies"] if c.get("external_id")}
        users = {u["email"].lower(): u.get("id") for u in section.setdefault("endusers", [])}
        newest = newest_by_key(self.tickets.values(), lambda t: t.get("sourceId"), lambda t: str(t.get("updatedAt")))
        tickets = sorted((dict(t) for t in newest.values()), key=lambda t: str(t.get("createdAt")))
        # the newest sighting of a company's externalId, or of an end user's e-mail, names it (unless the base
        # fixture already does) and every ticket points at that one
        for ticket in sorted(tickets, key=lambda t: str(t.get("updatedAt")), reverse=True):
            external, email = ticket.get("companyExternalId"), ticket.get("email")
            if external and ticket.get("companyId"):
                ticket["companyId"] = by_external.setdefault(external, ticket["companyId"])
            if email and ticket.get("companyId") and ticket.get("endUserId") and email.lower() not in users:
                users[email.lower()] = ticket["endUserId"]
                section["endusers"].append({"email": email, "company": ticket["companyId"], "id": ticket["endUserId"]})
            if email and users.get(email.lower()) and ticket.get("endUserId"):
                ticket["endUserId"] = users[email.lower()]
        for ticket in tickets:
            company = ticket.get("companyId")
            if company and company not in companies:
                section["companies"].append({"id": company, "name": ticket.get("companyName") or company,
                                             **({"external_id": ticket["companyExternalId"]}
                                                if ticket.get("companyExternalId") else {})})
                companies.add(company)
        if tickets:
            section["records"] = {"tickets": tickets}
        base["planhat"] = section
