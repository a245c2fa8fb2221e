"""talque in `fixtures from-har`: the ticket models of webhook, read and list answers, and the sessions
they name, become talque's section (docs/proxy.md)."""

from __future__ import annotations

from typing import Any

from .base import Seen, VendorRecording, newest_by_key, objects

RECORDED_SECRET = "recorded-secret"  # of the client `recorded-PROVIDER` made for a provider no client has


class TalqueRecording(VendorRecording):
    def __init__(self) -> None:
        self.tickets: dict[str, tuple[str, dict[str, Any]]] = {}  # orgTicketId -> (orgId, model)
        self.sessions: dict[str, dict[str, str | None]] = {}  # orgId -> session id -> ext id

    def add(self, seen: Seen) -> None:
        body, request = seen.response, seen.request if isinstance(seen.request, dict) else {}
        if not isinstance(body, dict):
            return
        if seen.rest.startswith("/webhook/org/"):
            org = seen.rest.split("/")[3]
            models = [e.get("model") for e in objects(list((body.get("ticketById") or {}).values()))]
            posted = {t.get("extTicketId"): t for t in objects(request.get("tickets"))}
            for model in objects(models):
                self._sessions(org, posted.get(model.get("ticketId")), model)
        else:
            org = str(body.get("orgId") or request.get("orgId"))
            models = [e.get("model") for e in objects(list((body.get("ticketById") or {}).values()))]
            models += body.get("tickets") or []
        for model in objects(models):
            known = self.tickets.get(str(model.get("orgTicketId")))
            if known is None or known[1].get("mtime", 0) <= model.get("mtime", 0):
                self.tickets[str(model["orgTicketId"])] = (org, model)

    def _sessions(self, org: str, posted: dict[str, Any] | None, model: dict[str, Any]) -> None:
        """Sessions the org knows: every event id shown, with the ext id a posted extEventId resolved to."""
        sessions = self.sessions.setdefault(org, {})
        ids, ext = model.get("eventIds") or [], (posted or {}).get("extEventIds") or model.get("extEventIds") or []
        direct = (posted or {}).get("eventIds") or []
        mapped = [i for i in ids if i not in direct]
        for session, ext_id in zip(mapped[-len(ext):] if ext else [], ext, strict=False):
            sessions[session] = ext_id
        for session in ids:
            sessions.setdefault(session, None)

    def write(self, base: dict[str, Any]) -> None:
        section = base.setdefault("talque", {}) or {}
        orgs = {o["id"]: o for o in section.setdefault("orgs", [])}
        clients = section.setdefault("clients", [])
        tickets, orders = [], {}
        merged = newest_by_key(self.tickets.values(), lambda item: (item[0], item[1].get("provider"),
                                                                   item[1].get("ticketId")),
                               lambda item: item[1].get("mtime", 0))
        ordered = sorted(merged.values(), key=lambda item: (item[1].get("ctime", 0)))
        for seq, (org_id, model) in enumerate(ordered, start=1):
            org = orgs.get(org_id)
            if org is None:
                org = orgs[org_id] = {"id": org_id, "default_course": "on-site", "ticket_types": [], "sessions": [],
                                      "vendors": []}
                section["orgs"].append(org)
            types = {t["id"]: t for t in org.setdefault("ticket_types", [])}
            kinds = model.get("tickets") or []
            for index, type_id in enumerate(kinds):
                if type_id not in types:
                    categories = model.get("categories") or []
                    types[type_id] = {"id": type_id, "category": categories[min(index, len(categories) - 1)]
                                      if categories else type_id, "course": model.get("course") or "on-site",
                                      "vip": bool(model.get("isVip")) and len(kinds) == 1}
                    org["ticket_types"].append(types[type_id])
            sessions = {s["id"] for s in org.setdefault("sessions", [])}
            for session, ext in self.sessions.get(org_id, {}).items():
                if session not in sessions:
                    org["sessions"].append({"id": session, **({"ext_id": ext} if ext else {})})
                    sessions.add(session)
            vendors = {v["id"] for v in org.setdefault("vendors", [])}
            for vendor in model.get("vendorIds") or []:
                if vendor not in vendors:
                    org["vendors"].append({"id": vendor})
                    vendors.add(vendor)
            provider = model.get("provider")
            if not any(c.get("provider") == provider for c in clients):
                clients.append({"id": f"recorded-{provider}", "secret": RECORDED_SECRET, "provider": provider,
                                "orgs": [], "is_test": bool(model.get("isTest"))})
            for client in clients:
                if client.get("provider") == provider and org_id not in client.setdefault("orgs", []):
                    client["orgs"].append(org_id)
            holder = model.get("holder") or {}
            posted = {k: holder.get(k)
                      for k in ("email", "firstName", "lastName", "companyName", "jobTitle", "extUserId")
                      if holder.get(k) is not None}
            posted.update({k: model.get(k) or [] for k in ("tickets", "eventIds", "extEventIds", "vendorIds",
                                                            "extVendorIds")})
            purchaser = model.get("purchaser")
            if model.get("purchaseOrderId"):
                person = purchaser or holder
                orders[model["purchaseOrderId"]] = {
                    "id": model["purchaseOrderId"], "org_id": org_id, "provider": provider,
                    "ext_purchase_id": model.get("extPurchaseOrderId") or model["purchaseOrderId"],
                    "person": {k: person.get(k) for k in ("email", "firstName", "lastName", "companyName", "jobTitle")},
                    "ctime": model.get("ctime", 0), "mtime": model.get("ctime", 0)}
            tickets.append({
                "seq": seq, "org_id": org_id, "org_ticket_id": model["orgTicketId"], "provider": provider,
                "ticket_id": model.get("ticketId"), "ctime": model.get("ctime"), "mtime": model.get("mtime"),
                "is_test": bool(model.get("isTest")), "posted": posted,
                "purchase_order_id": model.get("purchaseOrderId"),
                "ext_purchase_order_id": model.get("extPurchaseOrderId"),
                "purchaser": {k: purchaser.get(k) for k in ("email", "firstName", "lastName", "companyName",
                                                            "jobTitle")}
                if purchaser else None,
                "check_ins": model.get("checkIns") or [], "is_check_in_reset": bool(model.get("isCheckInReset")),
                "main_id": model.get("mainId"),
            })
        kept_orders = newest_by_key(orders.values(), lambda o: (o["org_id"], o["provider"], o["ext_purchase_id"]),
                                    lambda o: o["mtime"])
        order_alias = {o["id"]: kept_orders[(o["org_id"], o["provider"], o["ext_purchase_id"])]["id"]
                       for o in orders.values()}
        for ticket in tickets:
            if ticket["purchase_order_id"]:
                ticket["purchase_order_id"] = order_alias[ticket["purchase_order_id"]]
        if tickets:
            section["records"] = {"seq": len(tickets), "tickets": tickets,
                                  "purchase_orders": list(kept_orders.values())}
        base["talque"] = section
