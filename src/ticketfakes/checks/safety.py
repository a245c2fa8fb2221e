"""Making generated requests safe to send to a real service, and useful to send to any.

schemathesis invents ids, e-mail addresses and tenants. Before a case is sent, `prepare`:

* sets the contract's credential;
* moves every id the request *writes* into this run's namespace (`ticketfakes-check-<run>-...`):
  talque `extTicketId`/`extPurchaseId`, Planhat `sourceId`, Gomry `Idempotency-Key` (unique per
  request); an id the request would *change or delete*
  (Gomry attendee, Planhat `_id`) stays only if this run created it; else most become one this run
  created and has not deleted (so success paths are reached), the rest a namespaced id that exists
  nowhere (so the request still runs, and gets its 404);
* replaces e-mail addresses with `...@example.com` ones (reserved: nothing is ever delivered), so no
  real person's profile or contact is touched;
* writes only to the configured tenant (talque org, Gomry events);
* pins most requests to the configured tenant (org, provider, event), so success paths get fuzzed and
  not only the 404 of an invented org; a deterministic quarter keeps the generated value;
* brings numbers beyond 64-bit range back into it: every implementation may refuse those
  (ticketfakes does, with 400), and they prove nothing about the contract.

`observe` records in the ledger what a response says was created or deleted.
"""

from __future__ import annotations

import re
import zlib
from typing import TYPE_CHECKING, Any

from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import CoveragePhaseData

from .ledger import ID_PREFIX

if TYPE_CHECKING:
    from schemathesis import Case

    from .contract import Contract

NUMBER_LIMIT = 2**63
_CLAMPED = 2**53
# The specs' e-mail patterns, loosely: a value that looks like an address is replaced by a safe one.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _pinned(value: Any) -> bool:
    """Deterministic 3-in-4 choice per generated value (reproducible, unlike random())."""
    return zlib.crc32(repr(value).encode("utf-8", "surrogatepass")) % 4 != 0


def clamp_numbers(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and not -NUMBER_LIMIT <= value < NUMBER_LIMIT:
        return _CLAMPED if value > 0 else -_CLAMPED
    if isinstance(value, dict):
        return {key: clamp_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [clamp_numbers(item) for item in value]
    return value


def _safe_email(contract: Contract, value: Any) -> Any:
    if isinstance(value, str) and _EMAIL.match(value) and not value.startswith(ID_PREFIX):
        return contract.ids.email(value)
    return value


def _namespaced(contract: Contract, value: Any) -> Any:
    return contract.ids.prefixed(value) if isinstance(value, str) and value else value


def _ours(contract: Contract, case: Case, kind: str, value: str, where: str | None = None) -> str | None:
    """For most generated ids (`_pinned`, and every one until a case of the operation was accepted), one
    this run created and has not deleted (in `where`), so that reads, updates and deletes reach a real
    record and not only the 404 of an invented id."""
    vendor = contract.vendor.fake
    if not _pinned(value) and contract.coverage.accepted(case.operation.label):
        return None
    live = [item.id for item in contract.ledger.live(vendor, kind) if where is None or item.where == where]
    return live[zlib.crc32(value.encode("utf-8", "surrogatepass")) % len(live)] if live else None


def _probed_header(case: Case) -> str | None:
    """The header a schemathesis coverage case deliberately leaves out or breaks (e.g. the API key in
    "missing required header"): its credential must not be put back."""
    meta = case.meta
    data = getattr(getattr(meta, "phase", None), "data", None)
    if isinstance(data, CoveragePhaseData) and data.parameter_location == ParameterLocation.HEADER and data.parameter:
        return data.parameter.lower()
    return None


def prepare(contract: Contract, case: Case) -> Case:
    """Rewrite `case` in place as described above; returns it."""
    probed = _probed_header(case)
    for name, value in contract.headers.items():
        if name.lower() != probed:
            case.headers[name] = value
    body = case.body
    if isinstance(body, dict | list):
        body = clamp_numbers(body)
    handler = _PREPARE.get(contract.name)
    if handler is not None:
        body = handler(contract, case, body)
    if isinstance(body, dict | list):
        case.body = body
    return case


def _talque_api(contract: Contract, case: Case, body: Any) -> Any:
    if isinstance(body, dict) and _pinned(body):
        if isinstance(body.get("orgId"), str):
            body["orgId"] = contract.param("orgId")
        if isinstance(body.get("provider"), str):
            body["provider"] = contract.param("provider")
        if isinstance(body.get("cursor"), str):
            body["cursor"] = None  # only the server issues cursors; an invented one is a documented 400
    return body


def _talque_webhook(contract: Contract, case: Case, body: Any) -> Any:
    org = case.path_parameters.get("orgId")
    if isinstance(org, str) and _pinned(org):
        case.path_parameters["orgId"] = contract.param("orgId")
    if not isinstance(body, dict):
        return body
    tickets = body.get("tickets")
    for ticket in tickets if isinstance(tickets, list) else []:
        if isinstance(ticket, dict):
            if "extTicketId" in ticket:
                ticket["extTicketId"] = _namespaced(contract, ticket["extTicketId"])
            if "email" in ticket:
                ticket["email"] = _safe_email(contract, ticket["email"])
    order = body.get("purchaseOrder")
    if isinstance(order, dict):
        if "extPurchaseId" in order:
            order["extPurchaseId"] = _namespaced(contract, order["extPurchaseId"])
        if "email" in order:
            order["email"] = _safe_email(contract, order["email"])
    return body


def _gomry(contract: Contract, case: Case, body: Any) -> Any:
    params = case.path_parameters
    event = params.get("eventId")
    allowed = {contract.param("eventId"), contract.param("smallEventId")}
    if isinstance(event, str) and event not in allowed and not event.startswith(ID_PREFIX) and _pinned(event):
        params["eventId"] = event = contract.param("eventId")
    if case.method.upper() != "GET" and isinstance(event, str) and event not in allowed:
        params["eventId"] = event = _namespaced(contract, event)  # writes go to the configured events only
    attendee = params.get("attendeeId")
    if isinstance(attendee, str) and not contract.ledger.has("gomry", "attendee", attendee):
        mine = _ours(contract, case, "attendee", attendee, f"event {event}")
        if mine is not None:
            params["attendeeId"] = mine
        elif case.method.upper() != "GET":
            params["attendeeId"] = _namespaced(contract, attendee)
    key = case.headers.get("Idempotency-Key")
    if isinstance(key, str) and 1 <= len(key) <= 255 and not key.startswith(ID_PREFIX):
        # Unique per request: two generated requests that drew the same key would otherwise replay each
        # other (correctly, but schemathesis' stateful checks would blame the replayed resource).
        unique = contract.ids.new("key") + "-"
        case.headers["Idempotency-Key"] = unique + key[: 255 - len(unique)]
    if isinstance(body, dict) and isinstance(body.get("contact"), dict) and "email" in body["contact"]:
        body["contact"]["email"] = _safe_email(contract, body["contact"]["email"])
    return body


def _planhat_item(contract: Contract, case: Case, item: Any) -> Any:
    if not isinstance(item, dict):
        return item
    if isinstance(item.get("sourceId"), str):
        item["sourceId"] = _namespaced(contract, item["sourceId"])
    known = item.get("_id")
    if isinstance(known, str) and not contract.ledger.has("planhat", "ticket", known):
        mine = _ours(contract, case, "ticket", known)
        item["_id"] = mine if mine is not None else _namespaced(contract, known)
    email = item.get("email")
    if isinstance(email, str) and email.strip() and not email.startswith(ID_PREFIX):
        item["email"] = contract.ids.email(email)
        if _pinned(email):  # a known company makes the new end user (else the item fails)
            item.pop("companyId", None)
            item["companyExternalId"] = contract.param("companyExternalId")
    return item


def _planhat(contract: Contract, case: Case, body: Any) -> Any:
    ticket_id = case.path_parameters.get("id")
    if isinstance(ticket_id, str) and not contract.ledger.has("planhat", "ticket", ticket_id):
        mine = _ours(contract, case, "ticket", ticket_id)
        case.path_parameters["id"] = mine if mine is not None else _namespaced(contract, ticket_id)
    if isinstance(body, list):
        return [_planhat_item(contract, case, item) for item in body]
    return _planhat_item(contract, case, body)


_PREPARE = {
    "talque": _talque_api,
    "talque-webhook": _talque_webhook,
    "gomry": _gomry,
    "planhat": _planhat,
}


def observe(contract: Contract, case: Case, status: int, body: Any) -> None:
    """Record in the ledger what the response says was created or deleted."""
    label = f"{case.method.upper()} {case.path}"
    ledger = contract.ledger
    if not isinstance(body, dict):
        return
    if contract.name == "talque-webhook" and status == 200 and isinstance(body.get("ticketById"), dict):
        where = f"org {body.get('orgId')}, provider {body.get('provider')}"
        for ticket_id, result in body["ticketById"].items():
            if isinstance(result, dict) and result.get("reason") == "CREATED":
                ledger.add("talque", "ticket", ticket_id, where)
    elif contract.name == "gomry":
        event = str(case.path_parameters.get("eventId"))
        if label == "POST /events/{eventId}/attendees" and status == 201 and isinstance(body.get("data"), list):
            for attendee in body["data"]:
                if isinstance(attendee, dict) and isinstance(attendee.get("id"), str):
                    ledger.add("gomry", "attendee", attendee["id"], f"event {event}")
        elif label == "DELETE /events/{eventId}/attendees/{attendeeId}" and status == 200:
            ledger.removed("gomry", "attendee", str(case.path_parameters.get("attendeeId")))
    elif contract.name == "planhat":
        if label == "PUT /tickets" and status in (200, 206) and isinstance(body.get("upsertedIds"), list):
            for ticket_id in body["upsertedIds"]:
                if isinstance(ticket_id, str):
                    ledger.add("planhat", "ticket", ticket_id)
        elif label == "DELETE /tickets/{id}" and status == 200:
            ledger.removed("planhat", "ticket", str(case.path_parameters.get("id")))
