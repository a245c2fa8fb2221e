"""talque's records: what the fake stores for clients, orgs, purchase orders, tickets and profiles.

The tuples of person fields and id lists keep the order the field tuples below give; `mapping.py` turns
posted webhook tickets into these records and records into the JSON API's ticket model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

# Person fields of a webhook ticket, in the order `Posted.person` stores them.
PERSON_FIELDS = (
    "email",
    "firstName",
    "lastName",
    "phoneNumber",
    "phoneNumberType",
    "companyName",
    "jobTitle",
    "extUserId",
)
# The id lists of a webhook ticket, in the order `Posted` stores them.
ID_FIELDS = ("tickets", "eventIds", "extEventIds", "vendorIds", "extVendorIds")
# Person fields of a purchase order, in the order `PurchaseOrder.person` stores them.
ORDER_PERSON_FIELDS = ("email", "firstName", "lastName", "companyName", "jobTitle")

Person = tuple[str | None, ...]
IdLists = tuple[tuple[str, ...], ...]


@dataclass(slots=True, frozen=True)
class TicketType:
    id: str
    category: str
    course: str
    vip: bool


@dataclass(slots=True)
class Org:
    id: str
    name: str | None
    default_course: str
    ticket_types: dict[str, TicketType]
    sessions: dict[str, str | None]  # session id -> ext id
    vendors: dict[str, str | None]  # vendor id -> ext id
    session_by_ext: dict[str, str]
    vendor_by_ext: dict[str, str]
    # Posted id lists -> what `resolve` made of them. Orgs never change (a reset or restore builds new
    # ones), so an entry stays true for the org's life; equal lists share one frozen `Derived`.
    resolved: dict[IdLists, Derived | str] = field(default_factory=dict, compare=False, repr=False)


@dataclass(slots=True, frozen=True)
class Client:
    id: str
    secret: str
    provider: str
    orgs: frozenset[str]
    is_test: bool


class Posted(NamedTuple):
    """What a webhook posted for one ticket, normalised so that equal content compares equal.

    A named tuple, built for every posted ticket: a frozen dataclass's `__init__` (one `object.__setattr__`
    per field) cost three times as much.
    """

    person: Person
    tickets: tuple[str, ...]
    event_ids: tuple[str, ...]
    ext_event_ids: tuple[str, ...]
    vendor_ids: tuple[str, ...]
    ext_vendor_ids: tuple[str, ...]

    @property
    def email(self) -> str | None:
        return self.person[0]

    def as_body(self) -> dict[str, Any]:
        """The ticket as a webhook body would post it (absent fields left out); used by dump()."""
        body: dict[str, Any] = {k: v for k, v in zip(PERSON_FIELDS, self.person, strict=True) if v is not None}
        for key, values in zip(ID_FIELDS, self.id_lists(), strict=True):
            if values:
                body[key] = list(values)
        return body

    def id_lists(self) -> tuple[tuple[str, ...], ...]:
        return (self.tickets, self.event_ids, self.ext_event_ids, self.vendor_ids, self.ext_vendor_ids)


@dataclass(slots=True, frozen=True)
class Derived:
    categories: tuple[str, ...]
    course: str
    is_vip: bool
    event_ids: tuple[str, ...]
    vendor_ids: tuple[str, ...]


@dataclass(slots=True)
class PurchaseOrder:
    id: str
    org_id: str
    provider: str
    ext_id: str
    person: Person
    ctime: int
    mtime: int


@dataclass(slots=True)
class TicketRecord:
    seq: int  # creation order within the backend; list pages and cursors are keyed by it
    org_id: str
    org_ticket_id: str
    provider: str
    ticket_id: str
    ctime: int
    mtime: int
    is_test: bool
    posted: Posted
    derived: Derived
    purchase_order_id: str | None
    ext_purchase_order_id: str | None
    purchaser: Person | None  # ORDER_PERSON_FIELDS, a snapshot of the order when the ticket was posted
    check_ins: tuple[int, ...]  # a tuple: no list per ticket for the GC to walk, most stay empty
    is_check_in_reset: bool
    main_id: str | None
    profile_id: str | None
    # The JSON API model as last built (see `TalqueBackend._model`); None until a read, list or re-post
    # needs it. Every write drops it (`changed`), and a model whose mtime is not the record's is never served.
    model: dict[str, Any] | None = field(default=None, compare=False, repr=False)
    # That model as JSON (an orjson.Fragment), for list pages: built from a current model, dropped with it.
    encoded: Any = field(default=None, compare=False, repr=False)

    def changed(self, mtime: int) -> None:
        """Every write to a stored record ends here: its new mtime, and the answers cached for it dropped."""
        self.mtime = mtime
        self.model = None
        self.encoded = None

    def content(self) -> tuple[Any, ...]:
        """Everything a webhook post decides; equal content means a re-post changes nothing."""
        return (
            self.is_test,
            self.posted,
            self.purchase_order_id,
            self.ext_purchase_order_id,
            self.purchaser,
        )


@dataclass(slots=True)
class Profile:
    id: str
    org_id: str
    email: str  # the spelling first seen; matching is case-insensitive


def email_key(email: str | None) -> str | None:
    """E-mails compare case-insensitively (holder vs purchaser, profiles)."""
    return email.lower() if email is not None else None
