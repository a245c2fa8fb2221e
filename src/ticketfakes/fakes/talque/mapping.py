"""talque's field mapping: a posted webhook ticket -> the stored records, and a record -> the JSON API model.

The webhook posts a flat ticket (person fields plus id lists); the JSON API returns the stored ticket
with derived fields (categories, course, VIP, resolved session/vendor ids, holder, purchaser). The
derivation lives here, apart from the records (`records.py`) and the store's indexes (`store.py`), so the
rules read in one place.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .records import ORDER_PERSON_FIELDS, Derived, Org, Person, Posted, PurchaseOrder, TicketRecord, email_key

HYBRID = "hybrid"
# Distinct id-list combinations an org remembers the resolution of (see `resolve`); past this the memo
# starts afresh, so a client posting ever-new combinations cannot grow it without bound.
RESOLVED_MEMO_SIZE = 4096


def unique(values: Iterable[str]) -> tuple[str, ...]:
    """Order-preserving de-duplication: the id lists are sets, a repeated id means nothing more."""
    found = tuple(values)
    # Most lists hold one id or none: nothing to de-duplicate, and fromkeys costs more than the rest.
    return found if len(found) < 2 else tuple(dict.fromkeys(found))


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
