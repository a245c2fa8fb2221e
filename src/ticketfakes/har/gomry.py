"""Gomry in `fixtures from-har`: the events, ticket classes and attendees its answers showed, with their
contacts, become Gomry's section (docs/proxy.md)."""

from __future__ import annotations

from typing import Any

from .base import Seen, VendorRecording, ms, newest_by_key, objects

RECORDED_ORG = "gorg_recorded"  # owns the events the base fixture lacks
RECORDED_KEY = "gk_recorded"  # the recording masks API keys: local clients use this one


class GomryRecording(VendorRecording):
    def __init__(self) -> None:
        self.events: dict[str, dict[str, Any]] = {}
        self.classes: dict[str, dict[str, Any]] = {}
        self.attendees: dict[str, dict[str, Any]] = {}

    def add(self, seen: Seen) -> None:
        body = seen.response
        data = body.get("data") if isinstance(body, dict) and "data" in body else body
        rest = seen.rest
        if rest in ("/events",) or (rest.count("/") == 2 and rest.startswith("/events/")):
            for event in objects(data if isinstance(data, list) else [data]):
                self.events[event["id"]] = event
        elif rest.endswith("/ticket-classes"):
            for item in objects(data):
                self.classes[item["id"]] = item
        elif "/attendees" in rest and seen.method != "DELETE":
            for attendee in objects(data if isinstance(data, list) else [data]):
                if "id" in attendee and "event_id" in attendee:
                    self.attendees[attendee["id"]] = attendee

    def write(self, base: dict[str, Any]) -> None:
        section = base.setdefault("gomry", {}) or {}
        orgs = section.setdefault("orgs", [])
        owner = {e["id"]: o["id"] for o in orgs for e in o.get("events") or []}
        scopes = {"attendees": "write", "events": "read", "ticket_classes": "read"}
        recorded: dict[str, Any] = {"id": RECORDED_ORG, "name": "Recorded",
                                    "api_keys": [{"key": RECORDED_KEY, "scopes": scopes}], "events": []}
        classes_of: dict[str, list[dict[str, Any]]] = {}
        for item in self.classes.values():
            classes_of.setdefault(item["event_id"], []).append(item)
        for attendee in self.attendees.values():
            if attendee["ticket_class_id"] not in self.classes:
                item = {"id": attendee["ticket_class_id"], "event_id": attendee["event_id"],
                        "name": attendee.get("ticket_class_name") or attendee["ticket_class_id"],
                        "quantity_total": None}
                self.classes[item["id"]] = item
                classes_of.setdefault(item["event_id"], []).append(item)
        events = set(self.events) | set(classes_of) | {a["event_id"] for a in self.attendees.values()}
        for event_id in sorted(events - set(owner)):
            event = self.events.get(event_id, {"id": event_id})
            entry: dict[str, Any] = {"id": event_id, "name": event.get("name") or event_id,
                                     "starts_at": event.get("starts_at") or "2026-01-01T00:00:00.000Z"}
            if event.get("capacity") is not None:
                entry["capacity"] = event["capacity"]
            entry["ticket_classes"] = [
                {"id": c["id"], "name": c.get("name") or c["id"], "requires_approval": bool(c.get("requires_approval")),
                 **({"quantity_total": c["quantity_total"]} if c.get("quantity_total") is not None else {})}
                for c in classes_of.get(event_id, [])]
            recorded["events"].append(entry)
            owner[event_id] = RECORDED_ORG
        if recorded["events"]:
            orgs.append(recorded)
        attendees = []
        # stable: attendees created together keep the order the answers showed them in
        ordered = sorted(self.attendees.values(), key=lambda a: ms(a["created_at"]))
        contacts, contact_of = _contacts(ordered, owner)
        for seq, item in enumerate(ordered, start=1):
            created, updated = ms(item["created_at"]), ms(item["updated_at"])
            attendees.append({"id": item["id"], "seq": seq, "event_id": item["event_id"],
                              "ticket_class_id": item["ticket_class_id"], "contact_id": contact_of[item["id"]],
                              "status": item["status"], "first_name": item.get("first_name"),
                              "last_name": item.get("last_name"), "payment_id": item.get("payment_id"),
                              "payment_method": item.get("payment_method") or "cash", "created_ms": created,
                              "updated_ms": updated})
        if attendees:
            section["records"] = {"contacts": contacts, "attendees": attendees,
                                  "next_seq": len(attendees) + 1}
        base["gomry"] = section


def _contacts(ordered: list[dict[str, Any]], owner: dict[str, str]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The contacts the attendees showed, one per (org, e-mail case-insensitively) as the local state keeps
    them: the newest sighting's id and name, created when the first was; and each attendee's contact id."""
    def key(item: dict[str, Any]) -> tuple[str, str]:
        return owner[item["event_id"]], item["email"].lower()

    newest = newest_by_key(ordered, key, lambda a: ms(a["created_at"]))
    contacts: dict[tuple[str, str], dict[str, Any]] = {}
    for item in ordered:  # oldest first: the first sighting of a key is when its contact was created
        kept = newest[key(item)]
        contacts.setdefault(key(item), {
            "id": kept["contact_id"], "org_id": key(item)[0], "email": kept["email"],
            "first_name": kept.get("first_name"), "last_name": kept.get("last_name"), "phone": None,
            "created_ms": ms(item["created_at"]), "updated_ms": ms(kept["created_at"])})
    return list(contacts.values()), {item["id"]: newest[key(item)]["contact_id"] for item in ordered}
