"""talque's records and the mapping from a posted webhook ticket to the JSON API ticket model.

The webhook posts a flat ticket (person fields plus id lists); the JSON API returns the stored ticket
with derived fields (categories, course, VIP, resolved session/vendor ids, holder, purchaser). The
derivation lives here, apart from the backend's state and indexes, so the rules read in one place.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

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

HYBRID = "hybrid"
# Distinct id-list combinations an org remembers the resolution of (see `resolve`); past this the memo
# starts afresh, so a client posting ever-new combinations cannot grow it without bound.
RESOLVED_MEMO_SIZE = 4096

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


@dataclass(slots=True, frozen=True)
class Posted:
    """What a webhook posted for one ticket, normalised so that equal content compares equal."""

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
    # needs it. Every write drops it, and a model whose mtime is not the record's is never served.
    model: dict[str, Any] | None = field(default=None, compare=False, repr=False)
    # (model, mtime, its JSON as an orjson.Fragment): valid while `model` is still the cached one at that mtime
    encoded: tuple[dict[str, Any], int, Any] | None = field(default=None, compare=False, repr=False)

    def content(self) -> tuple[Any, ...]:
        """Everything a webhook post decides; equal content means a re-post changes nothing."""
        return (
            self.is_test,
            self.posted,
            self.purchase_order_id,
            self.ext_purchase_order_id,
            self.purchaser,
        )


def unique(values: Iterable[str]) -> tuple[str, ...]:
    """Order-preserving de-duplication: the id lists are sets, a repeated id means nothing more."""
    found = tuple(values)
    # Most lists hold one id or none: nothing to de-duplicate, and fromkeys costs more than the rest.
    return found if len(found) < 2 else tuple(dict.fromkeys(found))


def email_key(email: str | None) -> str | None:
    """E-mails compare case-insensitively (holder vs purchaser, profiles)."""
    return email.lower() if email is not None else None


def posted_from_body(ticket: Mapping[str, Any]) -> Posted:
    # Spelled out rather than looped over PERSON_FIELDS / ID_FIELDS: this runs for every posted ticket.
    get = ticket.get
    return Posted(
        (
            get("email"),
            get("firstName"),
            get("lastName"),
            get("phoneNumber"),
            get("phoneNumberType"),
            get("companyName"),
            get("jobTitle"),
            get("extUserId"),
        ),
        unique(get("tickets") or ()),
        unique(get("eventIds") or ()),
        unique(get("extEventIds") or ()),
        unique(get("vendorIds") or ()),
        unique(get("extVendorIds") or ()),
    )


def order_person(order: Mapping[str, Any]) -> Person:
    return tuple(order.get(name) for name in ORDER_PERSON_FIELDS)


def resolve(org: Org, posted: Posted) -> Derived | str:
    """The derived fields, or the machine-readable reason why the org cannot store this ticket."""
    # Imports and retried webhooks post the same few id-list combinations over and over.
    key = (posted.tickets, posted.event_ids, posted.ext_event_ids, posted.vendor_ids, posted.ext_vendor_ids)
    memo = org.resolved
    found = memo.get(key)
    if found is None:
        if len(memo) >= RESOLVED_MEMO_SIZE:
            memo.clear()
        found = memo[key] = _resolve(org, posted)
    return found


def _resolve(org: Org, posted: Posted) -> Derived | str:
    types = []
    for type_id in posted.tickets:
        ticket_type = org.ticket_types.get(type_id)
        if ticket_type is None:
            return "UNKNOWN_TICKET_TYPE"
        types.append(ticket_type)
    if any(session not in org.sessions for session in posted.event_ids):
        return "UNKNOWN_EVENT_ID"
    if any(ext not in org.session_by_ext for ext in posted.ext_event_ids):
        return "UNKNOWN_EXT_EVENT_ID"
    if any(vendor not in org.vendors for vendor in posted.vendor_ids):
        return "UNKNOWN_VENDOR_ID"
    if any(ext not in org.vendor_by_ext for ext in posted.ext_vendor_ids):
        return "UNKNOWN_EXT_VENDOR_ID"
    courses = {t.course for t in types}
    if not courses:
        course = org.default_course
    elif len(courses) == 1:
        course = courses.pop()
    else:
        # Ticket types with different courses together grant both kinds of access.
        course = HYBRID
    return Derived(
        categories=unique(t.category for t in types),
        course=course,
        is_vip=any(t.vip for t in types),
        event_ids=unique([*posted.event_ids, *(org.session_by_ext[e] for e in posted.ext_event_ids)]),
        vendor_ids=unique([*posted.vendor_ids, *(org.vendor_by_ext[e] for e in posted.ext_vendor_ids)]),
    )


def purchaser_for(posted: Posted, order: PurchaseOrder | None) -> Person | None:
    """The order's person when its e-mail differs (case-insensitively) from the holder's, else None."""
    if order is None or email_key(order.person[0]) == email_key(posted.email):
        return None
    return order.person


def to_model(record: TicketRecord) -> dict[str, Any]:
    """The ticket exactly as the JSON API returns it (a fresh dict: callers may keep or change it)."""
    posted, derived = record.posted, record.derived
    categories = derived.categories
    holder = posted.person  # PERSON_FIELDS order
    order = record.purchaser  # ORDER_PERSON_FIELDS order
    # One literal, persons indexed by field position: a zip-and-get helper per person cost as much again.
    return {
        "orgTicketId": record.org_ticket_id,
        "ticketId": record.ticket_id,
        "ctime": record.ctime,
        "mtime": record.mtime,
        "provider": record.provider,
        "isTest": record.is_test,
        "tickets": list(posted.tickets),
        "categories": list(categories),
        "category": categories[0] if categories else None,
        "course": derived.course,
        "isVip": derived.is_vip,
        "eventIds": list(derived.event_ids),
        "extEventIds": list(posted.ext_event_ids),
        "vendorIds": list(derived.vendor_ids),
        "extVendorIds": list(posted.ext_vendor_ids),
        "extImageUrl": None,
        "checkIns": list(record.check_ins),
        "isCheckInReset": record.is_check_in_reset,
        "mainId": record.main_id,
        "holder": {
            "email": holder[0],
            "firstName": holder[1],
            "lastName": holder[2],
            "companyName": holder[5],
            "jobTitle": holder[6],
            "extUserId": holder[7],
            "locale": None,  # the webhook has no locale field
        },
        "purchaser": None
        if order is None
        else {
            "email": order[0],
            "firstName": order[1],
            "lastName": order[2],
            "companyName": order[3],
            "jobTitle": order[4],
            "extUserId": None,  # a purchase order has no user id
            "locale": None,
        },
        "purchaseOrderId": record.purchase_order_id,
        "extPurchaseOrderId": record.ext_purchase_order_id,
        "extSurveyId": None,
        "extData": None,
    }
