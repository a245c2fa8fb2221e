"""A Planhat workspace and its indexes: tokens, companies, end users, and the tickets by `_id`, by
`sourceId` and one per list filter; and its dump.

Unfiltered, unsorted pages read straight from the creation-ordered dict (O(offset + limit)); filtered
or sorted pages come from a view built once and kept until the next write, so paging through one
listing costs O(page) after its first page.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from itertools import islice
from typing import Any

from .records import Company, EndUser, Ticket, sort_tickets

# What `Workspace.parts()` returns and `Workspace(*parts)` takes: tokens, companies, end users, tickets.
Parts = tuple[list[str], list[Company], list[EndUser], list[Ticket]]

ViewKey = tuple[str | None, str | None, str | None, str | None]  # sort, companyId, email (lower), status

_VIEW_CACHE_SIZE = 16


class TicketStore:
    def __init__(self) -> None:
        self.tickets: dict[str, Ticket] = {}  # _id -> ticket, in creation order
        self.by_source: dict[str, str] = {}  # sourceId -> _id
        # value -> ordered set of ticket ids
        self._by_company: dict[str, dict[str, None]] = {}
        self._by_email: dict[str, dict[str, None]] = {}
        self._by_status: dict[str, dict[str, None]] = {}
        self._seq: dict[str, int] = {}  # _id -> creation number
        self._next_seq = 0
        self._views: OrderedDict[ViewKey, list[Ticket]] = OrderedDict()

    def __len__(self) -> int:
        return len(self.tickets)

    def get(self, ticket_id: str) -> Ticket | None:
        return self.tickets.get(ticket_id)

    def by_source_id(self, source_id: str) -> Ticket | None:
        ticket_id = self.by_source.get(source_id)
        return self.tickets[ticket_id] if ticket_id is not None else None

    # -- writes ----------------------------------------------------------------------------------
    def insert(self, ticket: Ticket) -> None:
        self.tickets[ticket.id] = ticket
        self.by_source[ticket.source_id] = ticket.id
        self._seq[ticket.id] = self._next_seq
        self._next_seq += 1
        self._index(ticket)
        self._views.clear()

    def replace(self, old: Ticket, new: Ticket) -> None:
        self._unindex(old)
        if old.source_id != new.source_id:
            del self.by_source[old.source_id]
            self.by_source[new.source_id] = new.id
        self.tickets[new.id] = new  # an existing key keeps its place: creation order is kept
        self._index(new)
        self._views.clear()

    def delete(self, ticket_id: str) -> Ticket | None:
        ticket = self.tickets.pop(ticket_id, None)
        if ticket is not None:
            del self.by_source[ticket.source_id]
            del self._seq[ticket.id]
            self._unindex(ticket)
            self._views.clear()
        return ticket

    def _index(self, ticket: Ticket) -> None:
        self._by_company.setdefault(ticket.company_id, {})[ticket.id] = None
        self._by_email.setdefault(ticket.email_key(), {})[ticket.id] = None
        if ticket.status is not None:
            self._by_status.setdefault(ticket.status, {})[ticket.id] = None

    def _unindex(self, ticket: Ticket) -> None:
        for index, value in (
            (self._by_company, ticket.company_id),
            (self._by_email, ticket.email_key()),
            (self._by_status, ticket.status),
        ):
            bucket = index.get(value) if value is not None else None
            if bucket is not None:
                bucket.pop(ticket.id, None)
                if not bucket:
                    del index[value]

    # -- reads -----------------------------------------------------------------------------------
    def page(self, key: ViewKey, offset: int, limit: int) -> Iterator[Ticket] | list[Ticket]:
        if key == (None, None, None, None):
            return islice(self.tickets.values(), offset, offset + limit)
        return self._view(key)[offset : offset + limit]

    def _view(self, key: ViewKey) -> list[Ticket]:
        view = self._views.get(key)
        if view is not None:
            self._views.move_to_end(key)
            return view
        sort, company_id, email, status = key
        buckets = [
            index.get(value, {})
            for index, value in (
                (self._by_company, company_id),
                (self._by_email, email),
                (self._by_status, status),
            )
            if value is not None
        ]
        if buckets:
            smallest = min(buckets, key=len)
            ids = [i for i in smallest if all(i in bucket for bucket in buckets)]
            # An update re-files a ticket at the end of an index: restore creation order.
            ids.sort(key=self._seq.__getitem__)
            view = [self.tickets[i] for i in ids]
        else:
            view = list(self.tickets.values())
        if sort is not None:
            view = sort_tickets(view, sort.lstrip("-+"), sort.startswith("-"))
        self._views[key] = view
        if len(self._views) > _VIEW_CACHE_SIZE:
            self._views.popitem(last=False)
        return view


class Workspace:
    """Everything one workspace holds (every token sees the same data: a Planhat token belongs to one).

    Built whole from its parts (load.py checks a fixture or a dump first) and swapped in at once, so a bad
    input never leaves half a workspace behind.
    """

    def __init__(
        self, tokens: list[str], companies: list[Company], users: list[EndUser], tickets: list[Ticket]
    ) -> None:
        self.tokens = tokens
        self.companies = {c.id: c for c in companies}
        self.companies_by_ext = {c.external_id: c for c in companies if c.external_id is not None}
        self.users = {u.email.lower(): u for u in users}  # lower-cased e-mail -> end user
        self.user_ids = {u.id for u in users}
        self.tickets = TicketStore()
        for ticket in tickets:
            self.tickets.insert(ticket)

    def add_user(self, user: EndUser) -> None:
        self.users[user.email.lower()] = user
        self.user_ids.add(user.id)

    def parts(self) -> Parts:
        """What a template copies for every new backend (state.Template; docs/namespaces.md, "Cost")."""
        tickets = list(self.tickets.tickets.values())
        return self.tokens, list(self.companies.values()), list(self.users.values()), tickets

    def dump(self) -> dict[str, Any]:
        return {
            "tokens": list(self.tokens),
            "companies": [
                {"id": c.id, "name": c.name, "externalId": c.external_id}
                for c in self.companies.values()
            ],
            "endUsers": [
                {"id": u.id, "email": u.email, "companyId": u.company_id, "name": u.name}
                for u in self.users.values()
            ],
            "tickets": [t.to_json() for t in self.tickets.tickets.values()],
        }
