"""The talque fake's rules and state: the ticket webhook (upsert) and the Ticket JSON API (read, list).

No HTTP here. The routes call, in the order docs/talque.md gives: `require_org` (404), then `authenticate`
(None -> 401 for the JSON API, 403 for the webhook), then `require_access` (403), then the operation.
The operations repeat the org and access checks themselves, so calling them directly is safe too.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from ...core.clock import Clock, Ticker
from ...core.ids import new_id
from ...core.jsonbytes import dumps
from ...core.pagination import CursorCodec
from ...core.problems import BadRequest, Forbidden, NotFound
from ...fixtures import Section, apply_records
from .load import restore_state, state_from_fixture
from .mapping import order_person, posted_from_body, purchaser_for, resolve, to_model
from .records import Client, Derived, Org, Posted, PurchaseOrder, TicketRecord
from .store import TalqueState

MAX_TICKETS = 1000
MAX_READ_IDS = 1000
MIN_LIMIT, MAX_LIMIT, DEFAULT_LIMIT = 1, 1000, 100
CURSOR_VERSION = 1

# Compared against when the client id is unknown, so a wrong id costs as long as a wrong secret.
_DUMMY_SECRET = b"\x00" * 32


def _secret_bytes(value: str) -> bytes:
    return value.encode("utf-8", "surrogatepass")


class TalqueBackend:
    def __init__(self, clock: Clock | None = None, state: TalqueState | None = None) -> None:
        self.clock = clock if clock is not None else Clock()
        self._ticker = Ticker(self.clock)
        self._lock = threading.RLock()
        self._state = state if state is not None else TalqueState([], [])
        self._cursor_scope = b""  # the namespace's name: its cursors are refused in any other
        self._codec = CursorCodec(self._state.cursor_secret)

    @classmethod
    def from_fixture(cls, section: Section | None, clock: Clock) -> TalqueBackend:
        """Raises FixtureError naming the bad key."""
        return apply_records(cls(clock, state_from_fixture(section)), section)

    # -- copies of a fixture's state (state.Template; docs/namespaces.md, "Cost") ----------------------
    def template_data(self) -> TalqueState:
        return self._state

    @classmethod
    def from_template_data(cls, data: TalqueState, clock: Clock) -> TalqueBackend:
        """A backend around a private copy of a template's `template_data()`, trusted as it is, with a new
        cursor secret: cursors handed out before a reset are refused after it, as when the file is parsed."""
        data.cursor_secret = secrets.token_bytes(16)
        return cls(clock, data)

    def reset(self, section: Section | None) -> None:
        """Replaces the whole state by a fixture's (raises FixtureError and keeps the old state)."""
        new = state_from_fixture(section)
        with self._lock:
            self._swap(new)

    def _swap(self, new: TalqueState) -> None:
        self._state = new
        self._codec = CursorCodec(new.cursor_secret + self._cursor_scope)

    def bind_namespace(self, name: str) -> None:
        """Sign cursors for namespace `name` only, even where two namespaces share a state dump and so its
        cursor secret (docs/namespaces.md): a cursor from another namespace is then a 400."""
        with self._lock:
            self._cursor_scope = b"/ns/" + name.encode()
            self._codec = CursorCodec(self._state.cursor_secret + self._cursor_scope)

    # -- tenancy and auth ------------------------------------------------------------------------
    def has_org(self, org_id: str) -> bool:
        return org_id in self._state.orgs

    def require_org(self, org_id: str) -> Org:
        org = self._state.orgs.get(org_id)
        if org is None:
            raise NotFound(f"Organization {org_id!r} not found", fields={"orgId": ["unknown organization"]})
        return org

    def authenticate(self, client_id: str | None, secret: str | None) -> Client | None:
        """The client these headers name, or None; the secret is compared in constant time."""
        client = self._state.clients.get(client_id) if client_id else None
        expected = _secret_bytes(client.secret) if client is not None else _DUMMY_SECRET
        matches = hmac.compare_digest(expected, _secret_bytes(secret or ""))
        return client if client is not None and secret is not None and matches else None

    def require_access(self, org_id: str, client: Client) -> None:
        if org_id not in client.orgs:
            raise Forbidden(f"API client {client.id!r} is not permitted for organization {org_id!r}")

    def _tenant(self, org_id: str, client: Client) -> Org:
        org = self.require_org(org_id)
        self.require_access(org_id, client)
        return org

    # -- webhook -----------------------------------------------------------------------------------
    def upsert_tickets(
        self,
        org_id: str,
        client: Client,
        tickets: Sequence[Mapping[str, Any]],
        purchase_order: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The webhook's 200 body (models of existing tickets as in `read`). Raises NotFound, Forbidden, or
        BadRequest (then nothing is stored)."""
        with self._lock:
            org = self._tenant(org_id, client)
            _check_batch(tickets)
            now = self.clock.now_ms()
            order = self._upsert_order(org_id, client.provider, purchase_order, now) if purchase_order else None
            results: dict[str, dict[str, Any]] = {}
            succeeded = 0
            for body in tickets:
                ext_id = body["extTicketId"]
                posted = posted_from_body(body)
                derived = resolve(org, posted)
                if isinstance(derived, str):
                    results[ext_id] = {"success": False, "reason": derived, "model": None}
                    continue
                record, reason = self._store(org_id, client, ext_id, posted, derived, order, now)
                # A new ticket's model is built once for this answer and not kept: an import that is never
                # read back costs no memory for it. A re-post serves (and keeps) the cached one.
                model = to_model(record) if reason == "CREATED" else self._model(record)
                results[ext_id] = {"success": True, "reason": reason, "model": model}
                succeeded += 1
            return {
                "success": succeeded == len(results),
                "reason": _batch_reason(succeeded, len(results)),
                "orgId": org_id,
                "provider": client.provider,
                "purchaseOrderId": order.id if order is not None else None,
                "ticketById": results,
            }

    def _upsert_order(self, org_id: str, provider: str, body: Mapping[str, Any], now: int) -> PurchaseOrder:
        key = (org_id, provider, body["extPurchaseId"])
        person = order_person(body)
        order = self._state.orders.get(key)
        if order is None:
            order = PurchaseOrder(new_id("po_"), org_id, provider, key[2], person, now, now)
            self._state.orders[key] = order
        elif order.person != person:
            order.person = person
            order.mtime = self._ticker.next_ms(after=order.mtime)
        return order

    def _store(
        self,
        org_id: str,
        client: Client,
        ext_id: str,
        posted: Posted,
        derived: Derived,
        order: PurchaseOrder | None,
        now: int,
    ) -> tuple[TicketRecord, str]:
        state = self._state
        purchaser = purchaser_for(posted, order)
        order_id = order.id if order is not None else None
        ext_order_id = order.ext_id if order is not None else None
        record = state.tickets.get((org_id, client.provider, ext_id))
        if record is None:
            record = TicketRecord(  # by position (a third of the cost of naming 17 fields), in field order:
                state.next_seq(),  # seq
                org_id,
                new_id("tkt_"),  # org_ticket_id
                client.provider,
                ext_id,  # ticket_id
                now,  # ctime
                now,  # mtime
                client.is_test,
                posted,
                derived,
                order_id,  # purchase_order_id
                ext_order_id,  # ext_purchase_order_id
                purchaser,
                (),  # check_ins
                False,  # is_check_in_reset
                None,  # main_id
                None,  # profile_id
            )
            state.add_ticket(record)
            return record, "CREATED"
        if record.content() == (client.is_test, posted, order_id, ext_order_id, purchaser):
            return record, "UNCHANGED"
        # Full replace of everything the webhook posts; check-ins, ctime and mainId stay. Pending tickets
        # are filed first, this one under the holder it had (store.py `unprofiled`).
        state.profiled()
        record.is_test = client.is_test
        record.posted = posted
        record.derived = derived
        record.purchase_order_id = order_id
        record.ext_purchase_order_id = ext_order_id
        record.purchaser = purchaser
        record.changed(self._ticker.next_ms(after=record.mtime))
        state.set_profile(record, state.profile_for(org_id, posted.email, None))
        return record, "UPDATED"

    # -- JSON API ----------------------------------------------------------------------------------
    def _model(self, record: TicketRecord) -> dict[str, Any]:
        """The record's JSON API model from its cache, (re)built when missing or stale.

        Building it was most of a read and of a list page. The answer is a new top-level dict, but its
        lists and person dicts are the cache's own: callers may replace any key, never change a value in
        place (`to_model` gives a wholly fresh model). Copying those as well more than doubled a list
        page, mostly in garbage collections. mtime strictly increases on every change (Ticker), so a
        model built at another mtime is stale even if a write forgot to drop it.
        """
        return self._cached_model(record).copy()

    def _cached_model(self, record: TicketRecord) -> dict[str, Any]:
        cached = record.model
        if cached is None or cached["mtime"] != record.mtime:
            cached = record.model = to_model(record)
        return cached

    def _encoded(self, record: TicketRecord) -> orjson.Fragment:
        """The record's model as JSON, kept until the record changes (a page of 100 reads it 100 times)."""
        encoded = record.encoded
        if encoded is None:
            encoded = record.encoded = orjson.Fragment(dumps(self._cached_model(record)))
        return encoded

    def read(self, org_id: str, client: Client, provider: str, ticket_ids: Sequence[str]) -> dict[str, Any]:
        """The read body: one entry per distinct id (models as `_model` gives them: replace their values,
        never change them in place). Raises NotFound, Forbidden, BadRequest."""
        with self._lock:
            self._tenant(org_id, client)
            if provider != client.provider:
                raise Forbidden(
                    f"API client {client.id!r} may only read provider {client.provider!r}",
                    fields={"provider": ["not the API client's provider"]},
                )
            if len(ticket_ids) > MAX_READ_IDS:
                raise BadRequest(
                    f"At most {MAX_READ_IDS} ticket ids per read",
                    fields={"ticketIdList": [f"at most {MAX_READ_IDS} items"]},
                )
            results: dict[str, dict[str, Any]] = {}
            for ticket_id in ticket_ids:
                if ticket_id in results:
                    continue
                record = self._state.tickets.get((org_id, provider, ticket_id))
                if record is None:
                    results[ticket_id] = {"success": False, "reason": "NOT_FOUND", "model": None}
                else:
                    results[ticket_id] = {"success": True, "reason": "SUCCESS", "model": self._model(record)}
            return {"orgId": org_id, "provider": provider, "ticketById": results}

    def list_tickets(
        self,
        org_id: str,
        client: Client,
        limit: int | None = None,
        cursor: str | None = None,
        profile_id: str | None = None,
        encoded: bool = False,
    ) -> dict[str, Any]:
        """One page of the client's provider's tickets in the org, in creation order (models as in `read`).

        The first page fixes a high-water mark (the newest ticket then); every later page of that run
        stops there, so paging to `more: false` returns exactly the tickets that existed when it began.
        With `encoded`, each ticket is its model already serialised (`orjson.Fragment`, cached per
        ticket): what the HTTP answer needs, without building and serialising 100 dicts per page.
        """
        with self._lock:
            self._tenant(org_id, client)
            if limit is None:
                limit = DEFAULT_LIMIT
            if not MIN_LIMIT <= limit <= MAX_LIMIT:
                raise BadRequest(
                    f"limit must be between {MIN_LIMIT} and {MAX_LIMIT}",
                    fields={"limit": [f"must be between {MIN_LIMIT} and {MAX_LIMIT}"]},
                )
            provider = client.provider
            scope = {"o": org_id, "p": provider, "f": profile_id}
            if cursor is None:
                after, high = 0, self._state.seq
            else:
                after, high = self._decode_cursor(cursor, scope)
            if profile_id is None:
                index = self._state.order.get((org_id, provider))
            else:
                index = self._state.profiled().profile_order.get((org_id, provider, profile_id))
            records, more = index.page(after, high, limit) if index is not None else ([], False)
            next_cursor = None
            if more:
                next_cursor = self._codec.encode({"v": CURSOR_VERSION, **scope, "a": records[-1].seq, "h": high})
            return {
                "orgId": org_id,
                # `_encoded`'s own test inline (a Fragment is truthy): a call per ticket tripled this loop.
                "tickets": [r.encoded or self._encoded(r) for r in records] if encoded
                else [self._model(r) for r in records],
                "cursor": next_cursor,
                "more": more,
            }

    def _decode_cursor(self, cursor: str, scope: dict[str, Any]) -> tuple[int, int]:
        payload = self._codec.decode(cursor)
        after, high = payload.get("a"), payload.get("h")
        if (
            payload.get("v") != CURSOR_VERSION
            or not isinstance(after, int)
            or not isinstance(high, int)
            or isinstance(after, bool)
            or isinstance(high, bool)
        ):
            raise BadRequest("Invalid cursor", fields={"cursor": ["invalid cursor"]})
        if any(payload.get(key) != value for key, value in scope.items()):
            raise BadRequest(
                "Cursor belongs to another organization, provider or profile filter",
                fields={"cursor": ["cursor does not match this request"]},
            )
        return after, high

    list = list_tickets  # the name the routes and the brief use; `list_tickets` avoids shadowing

    # -- profiles and check-ins (control plane) ----------------------------------------------------
    def profiles(self, org_id: str) -> list[dict[str, str]]:
        """The org's profiles ({"id", "email"}) in the order they were first seen. Raises NotFound."""
        with self._lock:
            self.require_org(org_id)
            profiles = self._state.profiled().profiles
            return [{"id": p.id, "email": p.email} for p in profiles.get(org_id, {}).values()]

    def _record(self, org_id: str, org_ticket_id: str) -> TicketRecord:
        self.require_org(org_id)
        record = self._state.by_org_ticket_id.get(org_ticket_id)
        if record is None or record.org_id != org_id:
            raise NotFound(f"Ticket {org_ticket_id!r} not found in organization {org_id!r}")
        return record

    def get_ticket(self, org_id: str, org_ticket_id: str) -> dict[str, Any]:
        with self._lock:
            return to_model(self._record(org_id, org_ticket_id))

    def check_in(self, org_id: str, org_ticket_id: str, at_ms: int | None = None) -> dict[str, Any]:
        """Appends a check-in (default: now) and bumps mtime; the model. Raises NotFound."""
        with self._lock:
            record = self._record(org_id, org_ticket_id)
            record.check_ins = (*record.check_ins, at_ms if at_ms is not None else self.clock.now_ms())
            record.changed(self._ticker.next_ms(after=record.mtime))
            return to_model(record)

    def reset_check_ins(self, org_id: str, org_ticket_id: str) -> dict[str, Any]:
        """Clears the check-ins, sets isCheckInReset and bumps mtime; the model. Raises NotFound."""
        with self._lock:
            record = self._record(org_id, org_ticket_id)
            record.check_ins = ()
            record.is_check_in_reset = True
            record.changed(self._ticker.next_ms(after=record.mtime))
            return to_model(record)

    # -- state -------------------------------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        with self._lock:
            return self._state.dump()

    def restore(self, state: Any) -> None:
        """Replaces the whole state by a dump's; raises BadRequest and keeps the old state if malformed."""
        new = restore_state(state)
        with self._lock:
            self._swap(new)


def _batch_reason(succeeded: int, total: int) -> str:
    if succeeded == total:
        return "SUCCESS"
    return "PARTIAL_FAILURE" if succeeded else "FAILURE"


def _check_batch(tickets: Sequence[Mapping[str, Any]]) -> None:
    """The request-wide rules the spec cannot express; a violation rejects the whole request."""
    if not 1 <= len(tickets) <= MAX_TICKETS:
        raise BadRequest(
            f"tickets must hold 1 to {MAX_TICKETS} tickets", fields={"tickets": [f"1 to {MAX_TICKETS} items"]}
        )
    first: dict[str, int] = {}
    fields: dict[str, list[str]] = {}
    errors: list[dict[str, Any]] = []
    for index, ticket in enumerate(tickets):
        ext_id = ticket.get("extTicketId")
        if not isinstance(ext_id, str) or not ext_id:
            message = "extTicketId must be a non-empty string"
        elif ext_id in first:
            message = f"duplicate extTicketId {ext_id!r} (first at tickets[{first[ext_id]}])"
        else:
            first[ext_id] = index
            continue
        fields[f"tickets.{index}.extTicketId"] = [message]
        entry: dict[str, Any] = {
            "field": f"tickets[{index}].extTicketId",
            "message": message,
            "ticketIndex": index,
        }
        if isinstance(ext_id, str):
            entry["extTicketId"] = ext_id
        errors.append(entry)
    if errors:
        # `errors` in `extra` replaces the renderer's list, adding each ticket's extTicketId.
        raise BadRequest("Duplicate or missing extTicketId in tickets", fields=fields, extra={"errors": errors})
