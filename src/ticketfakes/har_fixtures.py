"""`ticketfakes fixtures from-har FILE.har`: a recorded session becomes a local starting state.

What the answers in the recording showed (talque tickets, Gomry events, ticket classes and attendees,
Planhat companies, end users and tickets) is written as a fixture file: the base fixture's vendors
(credentials, orgs, ticket types) plus what was seen, the records under each vendor's `records:` in the
form of the vendor's state dump. The newest sighting of each record wins. docs/proxy.md says what is
exact and what is inferred.
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Callable, Hashable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import yaml

from .fakes import for_path
from .fixtures import DEFAULT_FIXTURES

RECORDED_GOMRY_ORG = "gorg_recorded"
RECORDED_GOMRY_KEY = "gk_recorded"  # the recording masks API keys: local clients use this one
RECORDED_TALQUE_SECRET = "recorded-secret"


Record = TypeVar("Record")


class HarError(ValueError):
    """The file is not a HAR document this command can read; the message says why."""


class Seen:
    """One observed answer: the vendor, the path after its prefix, the request and the response."""

    def __init__(self, vendor: str, method: str, rest: str, query: dict[str, list[str]], request: Any,
                 status: int, response: Any) -> None:
        self.vendor, self.method, self.rest, self.query = vendor, method, rest, query
        self.request, self.status, self.response = request, status, response


def _text_json(content: dict[str, Any]) -> Any:
    text = content.get("text")
    if not isinstance(text, str) or not text:
        return None
    try:
        raw = base64.b64decode(text) if content.get("encoding") == "base64" else text.encode()
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None


def read_har(path: str | Path) -> Iterator[Seen]:
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
        entries = document["log"]["entries"]
    except OSError as exc:
        raise HarError(f"cannot read {path}: {exc.strerror}") from None
    except (ValueError, KeyError, TypeError):
        raise HarError(f"{path} is not a HAR file (JSON with log.entries)") from None
    for entry in entries:
        try:
            request, response = entry["request"], entry["response"]
            parts = urlsplit(request["url"])
            status = int(response["status"])
        except (KeyError, TypeError, ValueError):
            continue
        fake = for_path(parts.path)
        if fake is not None:
            yield Seen(fake.name, request.get("method", "GET"), parts.path[len(fake.prefix):], parse_qs(parts.query),
                       _text_json(request.get("postData") or {}), status, _text_json(response.get("content") or {}))


def _ms(iso: Any) -> int:
    return int(datetime.fromisoformat(str(iso).replace("Z", "+00:00")).timestamp() * 1000)


def newest_by_key(records: Iterable[Record], key: Callable[[Record], Hashable],
                  age: Callable[[Record], Any]) -> dict[Hashable, Record]:
    """One record per natural key (the key the local state keeps unique): the newest sighting, the later
    one on a tie. A recording can show one key under two ids, e.g. across a reset of the upstream."""
    kept: dict[Hashable, Record] = {}
    for record in records:
        known = kept.get(key(record))
        if known is None or age(known) <= age(record):
            kept[key(record)] = record
    return kept


def _objects(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


class Collector:
    """What the answers showed, newest sighting last."""

    def __init__(self) -> None:
        self.talque: dict[str, tuple[str, dict[str, Any]]] = {}  # orgTicketId -> (orgId, model)
        self.talque_sessions: dict[str, dict[str, str | None]] = {}  # orgId -> session id -> ext id
        self.gomry_events: dict[str, dict[str, Any]] = {}
        self.gomry_classes: dict[str, dict[str, Any]] = {}
        self.gomry_attendees: dict[str, dict[str, Any]] = {}
        self.planhat: dict[str, dict[str, Any]] = {}

    def add(self, seen: Seen) -> None:
        if 200 <= seen.status < 300 and seen.response is not None:
            getattr(self, f"_{seen.vendor}")(seen)

    def _talque(self, seen: Seen) -> None:
        body, request = seen.response, seen.request if isinstance(seen.request, dict) else {}
        if not isinstance(body, dict):
            return
        if seen.rest.startswith("/webhook/org/"):
            org = seen.rest.split("/")[3]
            models = [e.get("model") for e in _objects(list((body.get("ticketById") or {}).values()))]
            posted = {t.get("extTicketId"): t for t in _objects(request.get("tickets"))}
            for model in _objects(models):
                self._sessions(org, posted.get(model.get("ticketId")), model)
        else:
            org = str(body.get("orgId") or request.get("orgId"))
            models = [e.get("model") for e in _objects(list((body.get("ticketById") or {}).values()))]
            models += body.get("tickets") or []
        for model in _objects(models):
            known = self.talque.get(str(model.get("orgTicketId")))
            if known is None or known[1].get("mtime", 0) <= model.get("mtime", 0):
                self.talque[str(model["orgTicketId"])] = (org, model)

    def _sessions(self, org: str, posted: dict[str, Any] | None, model: dict[str, Any]) -> None:
        """Sessions the org knows: every event id shown, with the ext id a posted extEventId resolved to."""
        sessions = self.talque_sessions.setdefault(org, {})
        ids, ext = model.get("eventIds") or [], (posted or {}).get("extEventIds") or model.get("extEventIds") or []
        direct = (posted or {}).get("eventIds") or []
        mapped = [i for i in ids if i not in direct]
        for session, ext_id in zip(mapped[-len(ext):] if ext else [], ext, strict=False):
            sessions[session] = ext_id
        for session in ids:
            sessions.setdefault(session, None)

    def _gomry(self, seen: Seen) -> None:
        body = seen.response
        data = body.get("data") if isinstance(body, dict) and "data" in body else body
        rest = seen.rest
        if rest in ("/events",) or (rest.count("/") == 2 and rest.startswith("/events/")):
            for event in _objects(data if isinstance(data, list) else [data]):
                self.gomry_events[event["id"]] = event
        elif rest.endswith("/ticket-classes"):
            for item in _objects(data):
                self.gomry_classes[item["id"]] = item
        elif "/attendees" in rest and seen.method != "DELETE":
            for attendee in _objects(data if isinstance(data, list) else [data]):
                if "id" in attendee and "event_id" in attendee:
                    self.gomry_attendees[attendee["id"]] = attendee

    def _planhat(self, seen: Seen) -> None:
        if seen.method == "GET" and seen.rest == "/tickets" and "select" not in seen.query:
            for ticket in _objects(seen.response):
                known = self.planhat.get(ticket.get("_id", ""))
                if known is None or str(known.get("updatedAt")) <= str(ticket.get("updatedAt")):
                    self.planhat[ticket["_id"]] = ticket
        elif seen.method == "DELETE" and seen.rest.startswith("/tickets/"):
            self.planhat.pop(seen.rest.split("/")[2], None)


def talque_fixture(base: dict[str, Any], seen: Collector) -> None:
    section = base.setdefault("talque", {}) or {}
    orgs = {o["id"]: o for o in section.setdefault("orgs", [])}
    clients = section.setdefault("clients", [])
    tickets, orders = [], {}
    merged = newest_by_key(seen.talque.values(), lambda item: (item[0], item[1].get("provider"),
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
        for session, ext in seen.talque_sessions.get(org_id, {}).items():
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
            clients.append({"id": f"recorded-{provider}", "secret": RECORDED_TALQUE_SECRET, "provider": provider,
                            "orgs": [], "is_test": bool(model.get("isTest"))})
        for client in clients:
            if client.get("provider") == provider and org_id not in client.setdefault("orgs", []):
                client["orgs"].append(org_id)
        holder = model.get("holder") or {}
        posted = {k: holder.get(k) for k in ("email", "firstName", "lastName", "companyName", "jobTitle", "extUserId")
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
            "purchase_order_id": model.get("purchaseOrderId"), "ext_purchase_order_id": model.get("extPurchaseOrderId"),
            "purchaser": {k: purchaser.get(k) for k in ("email", "firstName", "lastName", "companyName", "jobTitle")}
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


def gomry_fixture(base: dict[str, Any], seen: Collector) -> None:
    section = base.setdefault("gomry", {}) or {}
    orgs = section.setdefault("orgs", [])
    owner = {e["id"]: o["id"] for o in orgs for e in o.get("events") or []}
    scopes = {"attendees": "write", "events": "read", "ticket_classes": "read"}
    recorded: dict[str, Any] = {"id": RECORDED_GOMRY_ORG, "name": "Recorded",
                                "api_keys": [{"key": RECORDED_GOMRY_KEY, "scopes": scopes}], "events": []}
    classes_of: dict[str, list[dict[str, Any]]] = {}
    for item in seen.gomry_classes.values():
        classes_of.setdefault(item["event_id"], []).append(item)
    for attendee in seen.gomry_attendees.values():
        if attendee["ticket_class_id"] not in seen.gomry_classes:
            item = {"id": attendee["ticket_class_id"], "event_id": attendee["event_id"],
                    "name": attendee.get("ticket_class_name") or attendee["ticket_class_id"], "quantity_total": None}
            seen.gomry_classes[item["id"]] = item
            classes_of.setdefault(item["event_id"], []).append(item)
    events = set(seen.gomry_events) | set(classes_of) | {a["event_id"] for a in seen.gomry_attendees.values()}
    for event_id in sorted(events - set(owner)):
        event = seen.gomry_events.get(event_id, {"id": event_id})
        entry: dict[str, Any] = {"id": event_id, "name": event.get("name") or event_id,
                                 "starts_at": event.get("starts_at") or "2026-01-01T00:00:00.000Z"}
        if event.get("capacity") is not None:
            entry["capacity"] = event["capacity"]
        entry["ticket_classes"] = [
            {"id": c["id"], "name": c.get("name") or c["id"], "requires_approval": bool(c.get("requires_approval")),
             **({"quantity_total": c["quantity_total"]} if c.get("quantity_total") is not None else {})}
            for c in classes_of.get(event_id, [])]
        recorded["events"].append(entry)
        owner[event_id] = RECORDED_GOMRY_ORG
    if recorded["events"]:
        orgs.append(recorded)
    attendees = []
    # stable: attendees created together keep the order the answers showed them in
    ordered = sorted(seen.gomry_attendees.values(), key=lambda a: _ms(a["created_at"]))
    contacts, contact_of = _gomry_contacts(ordered, owner)
    for seq, item in enumerate(ordered, start=1):
        created, updated = _ms(item["created_at"]), _ms(item["updated_at"])
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


def _gomry_contacts(ordered: list[dict[str, Any]], owner: dict[str, str]
                    ) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The contacts the attendees showed, one per (org, e-mail case-insensitively) as the local state keeps
    them: the newest sighting's id and name, created when the first was; and each attendee's contact id."""
    def key(item: dict[str, Any]) -> tuple[str, str]:
        return owner[item["event_id"]], item["email"].lower()

    newest = newest_by_key(ordered, key, lambda a: _ms(a["created_at"]))
    contacts: dict[tuple[str, str], dict[str, Any]] = {}
    for item in ordered:  # oldest first: the first sighting of a key is when its contact was created
        kept = newest[key(item)]
        contacts.setdefault(key(item), {
            "id": kept["contact_id"], "org_id": key(item)[0], "email": kept["email"],
            "first_name": kept.get("first_name"), "last_name": kept.get("last_name"), "phone": None,
            "created_ms": _ms(item["created_at"]), "updated_ms": _ms(kept["created_at"])})
    return list(contacts.values()), {item["id"]: newest[key(item)]["contact_id"] for item in ordered}


def planhat_fixture(base: dict[str, Any], seen: Collector) -> None:
    section = base.setdefault("planhat", {}) or {}
    companies = {c["id"] for c in section.setdefault("companies", [])}
    by_external = {c["external_id"]: c["id"] for c in section["companies"] if c.get("external_id")}
    users = {u["email"].lower(): u.get("id") for u in section.setdefault("endusers", [])}
    newest = newest_by_key(seen.planhat.values(), lambda t: t.get("sourceId"), lambda t: str(t.get("updatedAt")))
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


def fixture_from_har(path: str | Path, base: str | Path | None = None) -> dict[str, Any]:
    collector = Collector()
    for seen in read_har(path):
        collector.add(seen)
    source = Path(base) if base else DEFAULT_FIXTURES  # a Path, or a packaged resource
    fixture = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    talque_fixture(fixture, collector)
    gomry_fixture(fixture, collector)
    planhat_fixture(fixture, collector)
    return fixture


def command(har: str, output: str | None) -> int:
    try:
        fixture = fixture_from_har(har)
    except HarError as exc:
        print(f"ticketfakes fixtures from-har: {exc}", file=sys.stderr)
        return 2
    text = "# Written by `ticketfakes fixtures from-har` (docs/proxy.md)\n" + yaml.safe_dump(
        fixture, sort_keys=False, allow_unicode=True, width=120)
    if output is None:
        sys.stdout.write(text)
    else:
        Path(output).write_text(text, encoding="utf-8")
        print(f"ticketfakes fixtures from-har: wrote {output}", file=sys.stderr)
    return 0
