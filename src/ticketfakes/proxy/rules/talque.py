"""talque, passively: the webhook upserts by extTicketId, reads show what was written, list pages are
disjoint and complete, and answers stay inside the client's provider."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...checks.rules.base import categorised
from ..exchange import Exchange
from .base import Bounded, Found, Observer, PassiveChecker, json_list, json_object

RULES = ("talque.webhook_upsert", "talque.read_after_write", "talque.list_paging", "talque.tenant_isolation")

WEBHOOK = "POST /webhook/org/{orgId}/ticket"
READ = "POST /api/v1/ticket/read"
LIST = "POST /api/v1/ticket/list"
DEFAULT_LIMIT = 100


@dataclass
class Stored:
    """What the proxy last saw of one ticket."""

    key: tuple[str, str, str]  # (orgId, provider, extTicketId): the upsert key
    model: dict[str, Any]
    posted: Any  # the webhook's ticket and purchase order that produced `model`, or None


@dataclass
class Paging:
    """One paging run: what its pages listed so far, and the tickets it must list by `more: false`."""

    listed: frozenset[str]
    expected: frozenset[str]


class TalqueObserver(Observer):
    vendor = "talque"
    rules = RULES
    credentials = ("x-tq-client-id", "x-tq-secret")

    def __init__(self) -> None:
        self.tickets: Bounded[tuple[str, str, str], Stored] = Bounded()
        self.by_org_ticket_id: Bounded[str, tuple[str, str, str]] = Bounded()
        self.providers: Bounded[str, str] = Bounded(10_000)  # API client id -> its provider
        self.paging: Bounded[tuple[str, str, str], Paging] = Bounded(10_000)  # (client, org, cursor)

    def judge(self, exchange: Exchange, body: Any, found: Found) -> None:
        if exchange.status != 200 or not isinstance(body, dict):
            return
        client = exchange.header("x-tq-client-id") or ""
        label = exchange.label
        if label == WEBHOOK:
            self._webhook(exchange, client, body, found)
            return
        if label == READ:
            entries = json_object(body.get("ticketById"))
            models = [json_object(e).get("model") for e in entries.values()]
            answered = body.get("provider")
        elif label == LIST:
            models, answered = json_list(body.get("tickets")), None
        else:
            return
        models = [m for m in models if isinstance(m, dict)]
        self._tenant(client, answered, models, found)
        for model in models:
            self._read_back(model, found)
        if label == LIST:
            self._paging(exchange, client, body, models, found)

    # -- the webhook ---------------------------------------------------------------------------------

    def _webhook(self, exchange: Exchange, client: str, body: dict[str, Any], found: Found) -> None:
        """`talque.webhook_upsert`: a re-post of an extTicketId keeps its orgTicketId and ctime, never
        creates a second ticket, bumps mtime only on UPDATED, and an identical re-post is UNCHANGED with
        the identical model; every model's `category` is its first category (or null)."""
        org, provider = exchange.path_params.get("orgId", ""), body.get("provider")
        if not isinstance(provider, str):
            return
        if client:
            self.providers[client] = provider
        sent = json_object(exchange.request_json)
        posted = {json_object(t).get("extTicketId"): t for t in json_list(sent.get("tickets"))}
        order = sent.get("purchaseOrder")
        check = PassiveChecker("talque.webhook_upsert", found)
        for ext, raw in json_object(body.get("ticketById")).items():
            entry = json_object(raw)
            model = entry.get("model")
            if entry.get("success") is not True or not isinstance(model, dict):
                continue
            field = f"response.ticketById.{ext}"
            key = (org, provider, ext)
            content = (posted.get(ext), order)
            before = self.tickets.get(key)
            reason = entry.get("reason")
            with check.judging(field):
                categorised(check, model)
            if before is not None:
                with check.judging(field):
                    self._upsert(check, ext, reason, model, before, content)
            self._store(Stored(key, model, content))

    @staticmethod
    def _upsert(check: PassiveChecker, ext: str, reason: Any, model: dict[str, Any], before: Stored,
                content: Any) -> None:
        old = before.model
        check.expect(model.get("orgTicketId") == old.get("orgTicketId"),
                     f"re-posting extTicketId {ext!r} answered orgTicketId {model.get('orgTicketId')!r}, it was "
                     f"{old.get('orgTicketId')!r} ({reason}): a second ticket")
        check.expect(reason != "CREATED", f"re-posting extTicketId {ext!r} answered CREATED: a second ticket")
        check.expect(model.get("ctime") == old.get("ctime"),
                     f"re-posting extTicketId {ext!r} changed ctime {old.get('ctime')} -> {model.get('ctime')}")
        if before.posted is not None and content == before.posted:
            check.expect(reason == "UNCHANGED", f"an identical re-post of {ext!r} answered {reason}, not UNCHANGED")
            check.expect(model == old, f"an identical re-post of {ext!r} changed the ticket (mtime "
                                       f"{old.get('mtime')} -> {model.get('mtime')})")
        elif reason == "UPDATED":
            mtime, previous = model.get("mtime"), old.get("mtime")
            check.expect(isinstance(mtime, int) and isinstance(previous, int) and mtime > previous,
                         f"updating {ext!r} did not increase mtime: {previous} -> {mtime}")

    def _store(self, stored: Stored) -> None:
        self.tickets[stored.key] = stored
        org_ticket_id = stored.model.get("orgTicketId")
        if isinstance(org_ticket_id, str):
            self.by_org_ticket_id[org_ticket_id] = stored.key

    # -- reads and lists -----------------------------------------------------------------------------

    def _read_back(self, model: dict[str, Any], found: Found) -> None:
        """`talque.read_after_write`: a ticket read or listed shows what was last written: the same model
        at the same mtime, never an older mtime (a newer one is a change made elsewhere, e.g. a check-in)."""
        key = self.by_org_ticket_id.get(str(model.get("orgTicketId")))
        stored = self.tickets.get(key) if key else None
        if stored is None:
            return
        old, mtime = stored.model, model.get("mtime")
        ext = stored.key[2]
        if isinstance(mtime, int) and isinstance(old.get("mtime"), int) and mtime < old["mtime"]:
            found.append(("talque.read_after_write", f"response.{ext}.mtime",
                          f"ticket {ext!r} reads stale: mtime {mtime}, the webhook answered {old['mtime']}"))
        elif mtime == old.get("mtime"):
            if model != old:
                changed = sorted(k for k in {*model, *old} if model.get(k) != old.get(k))
                found.append(("talque.read_after_write", f"response.{ext}",
                              f"ticket {ext!r} reads differently from what the webhook answered: {changed}"))
        else:
            self._store(Stored(stored.key, model, None))

    def _tenant(self, client: str, answered: Any, models: list[dict[str, Any]], found: Found) -> None:
        """`talque.tenant_isolation`: a client's reads and lists name only its own provider (learned from
        the webhook's answers to the same client)."""
        own = self.providers.get(client)
        if own is None:
            return
        providers = {m.get("provider") for m in models}
        if answered is not None:
            providers.add(answered)
        others = sorted(str(p) for p in providers - {own})
        if others:
            found.append(("talque.tenant_isolation", "response.provider",
                          f"API client {client!r} (provider {own!r}) was answered provider(s) {others}"))

    def _paging(self, exchange: Exchange, client: str, body: dict[str, Any], models: list[dict[str, Any]],
                found: Found) -> None:
        """`talque.list_paging`: pages are disjoint, `more` is true exactly when a cursor is given, each
        cursor advances, a page holds at most `limit` tickets, and paging to `more: false` lists every
        ticket the proxy saw stored before the first page."""
        sent = json_object(exchange.request_json)
        org, cursor, limit = str(sent.get("orgId")), sent.get("cursor"), sent.get("limit", DEFAULT_LIMIT)
        more, next_cursor = body.get("more"), body.get("cursor")
        check = PassiveChecker("talque.list_paging", found, "response")
        with check.judging("response.more"):
            check.expect(more is (next_cursor is not None), f"more={more!r} but cursor={next_cursor!r}")
        with check.judging("response.cursor"):
            check.expect(next_cursor is None or next_cursor != cursor, "the cursor did not advance")
        with check.judging("response.tickets"):
            if isinstance(limit, int):
                check.expect(len(models) <= limit, f"a page of {len(models)} tickets for limit {limit}")
        ids = [str(m.get("orgTicketId")) for m in models]
        keys = [(m.get("provider"), m.get("ticketId")) for m in models]
        with check.judging("response.tickets"):
            check.expect(len(set(ids)) == len(ids), "a ticket is listed twice on one page")
            check.expect(len(set(keys)) == len(keys), "a (provider, ticketId) is listed twice: a duplicate ticket")
        if cursor is None:
            provider = self.providers.get(client)
            known = [s.model.get("orgTicketId") for k, s in self.tickets.items() if k[0] == org and k[1] == provider]
            run = Paging(frozenset(), frozenset() if sent.get("profileId") else frozenset(map(str, known)))
        else:
            previous = self.paging.get((client, org, str(cursor)))
            if previous is None:
                return  # a cursor from before the proxy started
            run = previous
        again = sorted(run.listed.intersection(ids))
        with check.judging("response.tickets"):
            check.expect(not again, f"ticket(s) {again} listed again on a later page")
        listed = run.listed.union(ids)
        if isinstance(next_cursor, str):
            self.paging[(client, org, next_cursor)] = Paging(listed, run.expected)
        elif more is False:
            missing = sorted(run.expected - listed)
            with check.judging("response.tickets"):
                check.expect(not missing, f"paging ended without listing ticket(s) {missing} that existed when "
                                          "it began")
