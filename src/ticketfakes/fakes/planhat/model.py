"""The Planhat fake: tokens, companies, end users and tickets, with the rules of `PUT/GET/DELETE /tickets`.

No HTTP here: routes hand in parsed JSON that passed the spec and get back `(status, body)` or a body.
One workspace per fake: every token sees the same data (a Planhat token belongs to one workspace).
docs/planhat.md explains every rule and every decision taken where Planhat's documents are silent.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import threading
from collections.abc import Iterable
from typing import Any

from ...core.clock import Clock
from ...core.problems import BadRequest, NotFound, Unauthorized
from ...core.timestamps import iso_ms
from ...fixtures import Section, apply_records
from .load import load_dump, load_fixture
from .records import (
    EMAIL,
    Company,
    EndUser,
    ObjectIds,
    Ticket,
    apply_fields,
    changes_nothing,
    normalize_date,
)
from .store import Parts, Workspace

MAX_BATCH = 5000
MAX_LIMIT = 10_000
DEFAULT_LIMIT = 500
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="planhat", Basic realm="planhat"'}


class _ItemFailed(Exception):
    """One bulk item that cannot be stored; it is listed, the rest of the batch goes on."""


def _empty_result() -> dict[str, Any]:
    return {
        "created": 0,
        "createdErrors": [],
        "insertsKeys": [],
        "updated": 0,
        "updatedErrors": [],
        "updatesKeys": [],
        "nonupdates": 0,
        "modified": [],
        "upsertedIds": [],
        "permissionErrors": [],
    }


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


class PlanhatBackend:
    def __init__(
        self,
        clock: Clock | None = None,
        tokens: Iterable[str] = (),
        companies: Iterable[Company] = (),
        end_users: Iterable[EndUser] = (),
    ) -> None:
        self.clock = clock or Clock()
        self._lock = threading.RLock()
        self._ids = ObjectIds(self.clock)
        self._workspace = Workspace(list(tokens), list(companies), list(end_users), [])

    # -- construction ----------------------------------------------------------------------------
    @classmethod
    def from_fixture(cls, section: Section | None, clock: Clock) -> PlanhatBackend:
        """The `planhat` part of a fixture file (None or empty: no tokens, companies or tickets)."""
        return apply_records(cls._around(load_fixture(section), clock), section)

    # -- copies of a fixture's state (state.Template; docs/namespaces.md, "Cost") ----------------------
    def template_data(self) -> Parts:
        return self._workspace.parts()

    @classmethod
    def from_template_data(cls, data: Parts, clock: Clock) -> PlanhatBackend:
        """A backend around a private copy of a template's `template_data()`, trusted as it is."""
        return cls._around(Workspace(*data), clock)

    @classmethod
    def _around(cls, workspace: Workspace, clock: Clock) -> PlanhatBackend:
        backend = cls(clock)
        backend._workspace = workspace
        return backend

    # -- auth ------------------------------------------------------------------------------------
    def authenticate(self, authorization_header: str | None) -> str:
        """`Bearer TOKEN`, or `Basic base64(TOKEN:password)` with any password -> TOKEN."""
        scheme, _, value = (authorization_header or "").strip().partition(" ")
        value = value.strip()
        token: str | None = None
        if scheme.lower() == "bearer":
            token = value
        elif scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(value, validate=True).decode("utf-8")
            except (binascii.Error, ValueError):
                decoded = ""
            user, colon, _ = decoded.partition(":")
            token = user if colon else None
        if token and self._known(token):
            return token
        raise Unauthorized("Invalid or missing token", headers=dict(_CHALLENGE))

    def _known(self, token: str) -> bool:
        # Every token is compared, in constant time, so timing tells nothing about near misses.
        found = False
        for known in self._workspace.tokens:
            found |= hmac.compare_digest(known.encode(), token.encode())
        return found

    def _check(self, token: str) -> None:
        if not isinstance(token, str) or not self._known(token):
            raise Unauthorized("Invalid or missing token", headers=dict(_CHALLENGE))

    # -- PUT /tickets ----------------------------------------------------------------------------
    def upsert_tickets(self, token: str, payload: dict[str, Any] | list[Any]) -> tuple[int, dict[str, Any]]:
        """Bulk upsert -> (200 | 206 | 400, bulk result). The batch applies atomically, item by item."""
        self._check(token)
        items = [payload] if isinstance(payload, dict) else payload
        if not isinstance(items, list):
            raise BadRequest("Body must be a ticket object or an array of tickets", fields={"body": ["type"]})
        if len(items) > MAX_BATCH:
            raise BadRequest(
                f"Too many items: {len(items)}; at most {MAX_BATCH} per request",
                fields={"body": [f"at most {MAX_BATCH} items"]},
            )
        result = _empty_result()
        modified: dict[str, None] = {}
        with self._lock:
            now = iso_ms(self.clock.now_ms())
            for index, item in enumerate(items):
                self._upsert_one(index, item, now, result, modified)
            result["modified"] = list(modified)
        failed = len(result["createdErrors"]) + len(result["updatedErrors"])
        succeeded = result["created"] + result["updated"] + result["nonupdates"]
        return (200 if not failed else 206 if succeeded else 400), result

    def _upsert_one(
        self, index: int, item: Any, now: str, result: dict[str, Any], modified: dict[str, None]
    ) -> None:
        if not isinstance(item, dict):
            failure = {"item": index, "sourceId": None, "message": "Not a ticket object"}
            result["createdErrors"].append(failure)
            return
        email = item.get("email")
        if not isinstance(email, str) or not email.strip():
            return  # Planhat: "Items without email will be silently dropped."
        email = email.strip()
        given_id = item.get("_id")
        source_id = _text(item.get("sourceId"))
        target: Ticket | None = None
        errors = "createdErrors"
        try:
            if given_id is not None:
                errors = "updatedErrors"
                target = self._workspace.tickets.get(given_id) if isinstance(given_id, str) else None
                if target is None:
                    raise _ItemFailed(f"No ticket with _id {given_id}")
                holder = self._workspace.tickets.by_source_id(source_id) if source_id else None
                if holder is not None and holder is not target:
                    raise _ItemFailed(f"sourceId {source_id} already belongs to ticket {holder.id}")
            elif source_id is None:
                raise _ItemFailed("sourceId is required (or _id to update an existing ticket)")
            else:
                target = self._workspace.tickets.by_source_id(source_id)
                errors = "updatedErrors" if target else "createdErrors"
            self._apply(item, email, source_id, target, now, result, modified)
        except _ItemFailed as failure:
            entry: dict[str, Any] = {"item": index, "sourceId": source_id, "message": str(failure)}
            if isinstance(given_id, str):
                entry["_id"] = given_id
            result[errors].append(entry)

    def _apply(
        self,
        item: dict[str, Any],
        email: str,
        source_id: str | None,
        target: Ticket | None,
        now: str,
        result: dict[str, Any],
        modified: dict[str, None],
    ) -> None:
        """Every check first, then the write: a failing item leaves no trace (not even an end user)."""
        if not EMAIL.match(email):
            raise _ItemFailed(f"Invalid email {email}")
        dates: dict[str, str] = {}
        if "createdAt" in item or "updatedAt" in item:  # most items carry neither
            for name in ("createdAt", "updatedAt"):
                if item.get(name) is not None:
                    value = normalize_date(item[name])
                    if value is None:
                        raise _ItemFailed(f"Invalid date in {name}: {item[name]}")
                    dates[name] = value
        workspace = self._workspace
        company = self._company_for(item)
        user = workspace.users.get(email.lower())
        if user is None and company is None:
            raise _ItemFailed(
                f"No end user with email {email}, and no known company (companyId or companyExternalId) "
                "to create one"
            )
        if company is None:
            assert user is not None
            company = workspace.companies[user.company_id]
        if user is None:
            user = EndUser(self._new_id(workspace.user_ids.__contains__), email, company.id, None)
            workspace.add_user(user)
        if target is None:
            ticket = Ticket(
                id=self._new_id(workspace.tickets.tickets.__contains__),
                source_id=source_id or "",
                email=email,
                company_id=company.id,
                company_name=company.name,
                end_user_id=user.id,
                created_at=dates.get("createdAt", now),
                updated_at=dates.get("updatedAt", now),
                company_external_id=company.external_id,
            )
            apply_fields(ticket, item)
            workspace.tickets.insert(ticket)
            result["created"] += 1
            result["insertsKeys"].append({"_id": ticket.id, "sourceId": ticket.source_id})
            result["upsertedIds"].append(ticket.id)
            return
        if (
            (not source_id or source_id == target.source_id)
            and email == target.email
            and user.id == target.end_user_id
            and company.id == target.company_id
            and company.name == target.company_name
            and company.external_id == target.company_external_id
            and dates.get("createdAt", target.created_at) == target.created_at
            and dates.get("updatedAt", target.updated_at) == target.updated_at
            and changes_nothing(target, item)
        ):
            # A re-sent item (the usual sync): nothing is built, nothing is copied.
            result["nonupdates"] += 1
            return
        ticket = target.clone()
        ticket.source_id = source_id or ticket.source_id
        ticket.email = email
        ticket.company_id, ticket.company_name = company.id, company.name
        ticket.company_external_id = company.external_id
        ticket.end_user_id = user.id
        ticket.created_at = dates.get("createdAt", ticket.created_at)
        apply_fields(ticket, item)
        if ticket.same_content(target) and dates.get("updatedAt", target.updated_at) == target.updated_at:
            result["nonupdates"] += 1
            return
        ticket.updated_at = dates.get("updatedAt", now)
        workspace.tickets.replace(target, ticket)
        result["updated"] += 1
        result["updatesKeys"].append({"_id": ticket.id, "sourceId": ticket.source_id})
        modified[ticket.id] = None

    def _company_for(self, item: dict[str, Any]) -> Company | None:
        """The company an item names, if any; a name that matches nothing fails the item."""
        by_id = by_ext = None
        company_id, external_id = item.get("companyId"), item.get("companyExternalId")
        if company_id is None and external_id is None:
            return None  # the usual item: the end user's company
        company_id, external_id = _text(company_id), _text(external_id)
        if company_id is not None:
            by_id = self._workspace.companies.get(company_id)
            if by_id is None:
                raise _ItemFailed(f"No company with companyId {company_id}")
        if external_id is not None:
            by_ext = self._workspace.companies_by_ext.get(external_id)
            if by_ext is None:
                raise _ItemFailed(f"No company with companyExternalId {external_id}")
        if by_id is not None and by_ext is not None and by_id is not by_ext:
            raise _ItemFailed("companyId and companyExternalId name different companies")
        return by_id or by_ext

    def _new_id(self, taken: Any) -> str:
        while True:
            candidate = self._ids.next()
            if not taken(candidate):
                return candidate

    # -- GET /tickets ----------------------------------------------------------------------------
    def list_tickets(
        self,
        token: str,
        limit: int = DEFAULT_LIMIT,
        offset: int = 0,
        sort: str | None = None,
        company_id: str | None = None,
        email: str | None = None,
        status: str | None = None,
        select: str | None = None,
    ) -> list[dict[str, Any]]:
        """The workspace's tickets, creation order unless `sort` says otherwise, as a bare list."""
        self._check(token)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
            message = f"limit must be between 1 and {MAX_LIMIT}"
            raise BadRequest(message, fields={"limit": [message]})
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise BadRequest("offset must be 0 or more", fields={"offset": ["must be >= 0"]})
        fields = _parse_select(select)
        sort = (sort or "").strip() or None
        key = (sort, company_id, email.lower() if email is not None else None, status)
        with self._lock:
            return [ticket.to_json(fields) for ticket in self._workspace.tickets.page(key, offset, limit)]

    def get_ticket(self, token: str, ticket_id: str) -> dict[str, Any]:
        """One ticket by `_id` (not a Planhat endpoint for tickets; for tests and the control plane)."""
        self._check(token)
        with self._lock:
            ticket = self._workspace.tickets.get(ticket_id)
            if ticket is None:
                raise NotFound(f"No ticket with _id {ticket_id}")
            return ticket.to_json()

    # -- DELETE /tickets/{id} --------------------------------------------------------------------
    def delete_ticket(self, token: str, ticket_id: str) -> dict[str, int]:
        self._check(token)
        with self._lock:
            if self._workspace.tickets.delete(ticket_id) is None:
                raise NotFound(f"No ticket with _id {ticket_id}")
        return {"n": 1, "ok": 1, "deletedCount": 1}

    # -- state -----------------------------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        with self._lock:
            return self._workspace.dump()

    def restore(self, state: dict[str, Any]) -> None:
        """Replace the whole state with a `dump()`; on any malformed input keep the old state."""
        try:
            workspace = load_dump(state)
        except (ValueError, TypeError, KeyError) as exc:
            raise BadRequest(f"Invalid planhat state: {exc}", fields={"state": [str(exc)]}) from None
        with self._lock:
            self._workspace = workspace


def _parse_select(select: str | None) -> frozenset[str] | None:
    if select is None:
        return None
    names = {name.strip() for name in select.split(",") if name.strip()}
    return frozenset(names | {"_id"}) if names else None
