"""talque's store: the records of one state and the indexes over them, and its dump.

A whole `TalqueState` is built (`load.py`) before it replaces the backend's, so a bad fixture or dump never
leaves half a state behind. The indexes keep list and read at O(page): tickets by (org, provider,
extTicketId), by orgTicketId, and in creation order per (org, provider) and per (org, provider, profile).
"""

from __future__ import annotations

import secrets
from bisect import bisect_left, bisect_right
from operator import attrgetter
from typing import Any

from ...core.ids import new_id
from .records import ORDER_PERSON_FIELDS, Client, Org, Profile, PurchaseOrder, TicketRecord, email_key

# A C callable: bisect calls it ~17 times per search in 100k tickets, a Python function cost 2 µs a page.
seq_of = attrgetter("seq")


class SeqIndex(list[TicketRecord]):
    """Tickets sorted by creation sequence number: O(log n + limit) pages between two sequence numbers.

    The index is the list of its records itself, searched by their `seq`. An import makes an index per
    new e-mail (its profile's), and every full garbage collection walks every such object: an index object
    holding a list of records and a list of seqs was three where this is one.
    """

    __slots__ = ()

    def add(self, record: TicketRecord) -> None:
        if not self or record.seq > self[-1].seq:
            self.append(record)
            return
        # Only a ticket moving into a profile lands in the middle.
        self.insert(bisect_left(self, record.seq, key=seq_of), record)

    def remove(self, record: TicketRecord) -> None:
        """Drops the record if indexed (list.remove would compare every record, and raise if absent)."""
        at = bisect_left(self, record.seq, key=seq_of)
        if at < len(self) and self[at] is record:
            del self[at]

    def page(self, after: int, high: int, limit: int) -> tuple[list[TicketRecord], bool]:
        """Up to `limit` tickets with after < seq <= high, and whether more such tickets follow."""
        start = bisect_right(self, after, key=seq_of)
        # A first page's `high` is the newest ticket of the backend: usually past this index's end.
        stop = len(self) if not self or self[-1].seq <= high else bisect_right(self, high, key=seq_of)
        end = min(start + limit, stop)
        return self[start:end], end < stop


def _index(indexes: dict[Any, SeqIndex], key: Any) -> SeqIndex:
    """The index under `key`, created on first use (setdefault would build a throw-away one per call)."""
    index = indexes.get(key)
    if index is None:
        index = indexes[key] = SeqIndex()
    return index


class TalqueState:
    def __init__(self, clients: list[Client], orgs: list[Org], cursor_secret: bytes | None = None) -> None:
        self.clients = {client.id: client for client in clients}
        self.orgs = {org.id: org for org in orgs}
        # Part of the state (dumped), so cursors handed out before a dump still work after its restore.
        self.cursor_secret = cursor_secret if cursor_secret is not None else secrets.token_bytes(16)
        self.seq = 0
        self.tickets: dict[tuple[str, str, str], TicketRecord] = {}
        self.by_org_ticket_id: dict[str, TicketRecord] = {}
        self.order: dict[tuple[str, str], SeqIndex] = {}
        self.profile_order: dict[tuple[str, str, str], SeqIndex] = {}
        self.profiles: dict[str, dict[str, Profile]] = {org.id: {} for org in orgs}
        self.profile_by_id: dict[str, Profile] = {}
        # New tickets not yet given their holder's profile: an import is seldom read by profile, and a
        # profile for each new e-mail (the profile, its id, its index, four dict entries) was 6% of a
        # created ticket served. Everything that reads or moves profiles calls `profiled` first, which
        # files them in creation order: the profiles and their order are what filing each at once made.
        self.unprofiled: list[TicketRecord] = []
        self.orders: dict[tuple[str, str, str], PurchaseOrder] = {}

    # -- mutation helpers (the backend holds the lock) ---------------------------------------------
    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def add_ticket(self, record: TicketRecord) -> None:
        self.tickets[(record.org_id, record.provider, record.ticket_id)] = record
        self.by_org_ticket_id[record.org_ticket_id] = record
        _index(self.order, (record.org_id, record.provider)).add(record)
        self.unprofiled.append(record)

    def profiled(self) -> TalqueState:
        """This state, every ticket filed under its holder's profile (see `unprofiled`)."""
        pending = self.unprofiled
        if pending:
            self.unprofiled = []
            for record in pending:
                self.set_profile(record, self.profile_for(record.org_id, record.posted.email, None))
        return self

    def profile_for(self, org_id: str, email: str | None, profile_id: str | None) -> str | None:
        """The id of the holder's profile in the org, creating it for an e-mail seen the first time."""
        key = email_key(email)
        if email is None or key is None:
            return None
        by_email = self.profiles.get(org_id)
        if by_email is None:  # not setdefault: that builds a throw-away dict on every call
            by_email = self.profiles[org_id] = {}
        profile = by_email.get(key)
        if profile is None:
            profile = Profile(profile_id or new_id("prf_"), org_id, email)
            by_email[key] = profile
            self.profile_by_id[profile.id] = profile
        return profile.id

    def set_profile(self, record: TicketRecord, profile_id: str | None) -> None:
        """Moves the ticket between profile indexes; a new record arrives with profile_id None."""
        if record.profile_id == profile_id:
            return
        if record.profile_id is not None:
            old = self.profile_order.get((record.org_id, record.provider, record.profile_id))
            if old is not None:
                old.remove(record)
        record.profile_id = profile_id
        if profile_id is not None:
            _index(self.profile_order, (record.org_id, record.provider, profile_id)).add(record)

    # -- dump --------------------------------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        self.profiled()
        return {
            "cursor_secret": self.cursor_secret.hex(),
            "seq": self.seq,
            "clients": [
                {
                    "id": c.id,
                    "secret": c.secret,
                    "provider": c.provider,
                    "orgs": sorted(c.orgs),
                    "is_test": c.is_test,
                }
                for c in self.clients.values()
            ],
            "orgs": [_dump_org(org) for org in self.orgs.values()],
            "profiles": [
                {"id": p.id, "org_id": p.org_id, "email": p.email}
                for by_email in self.profiles.values()
                for p in by_email.values()
            ],
            "purchase_orders": [
                {
                    "id": o.id,
                    "org_id": o.org_id,
                    "provider": o.provider,
                    "ext_purchase_id": o.ext_id,
                    "person": dict(zip(ORDER_PERSON_FIELDS, o.person, strict=True)),
                    "ctime": o.ctime,
                    "mtime": o.mtime,
                }
                for o in self.orders.values()
            ],
            "tickets": [_dump_ticket(r) for r in sorted(self.tickets.values(), key=lambda r: r.seq)],
        }


def _dump_org(org: Org) -> dict[str, Any]:
    return {
        "id": org.id,
        "name": org.name,
        "default_course": org.default_course,
        "ticket_types": [
            {"id": t.id, "category": t.category, "course": t.course, "vip": t.vip} for t in org.ticket_types.values()
        ],
        "sessions": [{"id": k, "ext_id": v} for k, v in org.sessions.items()],
        "vendors": [{"id": k, "ext_id": v} for k, v in org.vendors.items()],
    }


def _dump_ticket(r: TicketRecord) -> dict[str, Any]:
    return {
        "seq": r.seq,
        "org_id": r.org_id,
        "org_ticket_id": r.org_ticket_id,
        "provider": r.provider,
        "ticket_id": r.ticket_id,
        "ctime": r.ctime,
        "mtime": r.mtime,
        "is_test": r.is_test,
        "posted": r.posted.as_body(),
        "purchase_order_id": r.purchase_order_id,
        "ext_purchase_order_id": r.ext_purchase_order_id,
        "purchaser": dict(zip(ORDER_PERSON_FIELDS, r.purchaser, strict=True)) if r.purchaser else None,
        "check_ins": list(r.check_ins),
        "is_check_in_reset": r.is_check_in_reset,
        "main_id": r.main_id,
    }
