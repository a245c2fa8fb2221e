"""Building a whole talque store: from a fixture section, or from a state dump. Strict, never half-applied.

Both read through the one strict reader (core/reader.py) and build a complete new `TalqueState`, which the
backend swaps in only once it is built: a bad fixture or dump names its key and leaves the old state as
it was. A fixture's errors are `ReadError`s (the FixtureError naming the file's line); a dump's become
the `BadRequest` "Invalid talque state" with the bad key's dotted path as its field.
"""

from __future__ import annotations

from typing import Any

from ...core.problems import BadRequest
from ...core.reader import Reader, ReadError
from .mapping import posted_from_body, resolve
from .records import (
    ID_FIELDS,
    ORDER_PERSON_FIELDS,
    PERSON_FIELDS,
    Client,
    Org,
    Person,
    PurchaseOrder,
    TicketRecord,
    TicketType,
)
from .store import TalqueState

DEFAULT_COURSE = "on-site"


# -- building: shared by fixtures and dumps --------------------------------------------------------
def make_org(
    org_id: str,
    name: str | None,
    default_course: str,
    ticket_types: list[TicketType],
    sessions: list[tuple[str, str | None]],
    vendors: list[tuple[str, str | None]],
) -> Org:
    """Raises ValueError naming the first duplicate id."""
    types: dict[str, TicketType] = {}
    for t in ticket_types:
        if t.id in types:
            raise ValueError(f"duplicate ticket type {t.id!r}")
        types[t.id] = t
    maps: list[tuple[dict[str, str | None], dict[str, str]]] = []
    for kind, pairs in (("session", sessions), ("vendor", vendors)):
        by_id: dict[str, str | None] = {}
        by_ext: dict[str, str] = {}
        for item_id, ext_id in pairs:
            if item_id in by_id:
                raise ValueError(f"duplicate {kind} id {item_id!r}")
            if ext_id is not None and ext_id in by_ext:
                raise ValueError(f"duplicate {kind} ext_id {ext_id!r}")
            by_id[item_id] = ext_id
            if ext_id is not None:
                by_ext[ext_id] = item_id
        maps.append((by_id, by_ext))
    (session_ids, session_ext), (vendor_ids, vendor_ext) = maps
    return Org(org_id, name, default_course, types, session_ids, vendor_ids, session_ext, vendor_ext)


# -- fixtures --------------------------------------------------------------------------------------
def state_from_fixture(section: Reader | None) -> TalqueState:
    """Raises FixtureError naming the bad key."""
    if section is None or not section.keys():
        return TalqueState([], [])
    section.only("clients", "orgs", "records")
    orgs: list[Org] = []
    for sec in section.list("orgs", []):
        sec.only("id", "name", "default_course", "ticket_types", "sessions", "vendors")
        default_course = sec.str("default_course", DEFAULT_COURSE)
        types = []
        for t in sec.list("ticket_types", []):
            t.only("id", "category", "course", "vip")
            types.append(
                TicketType(t.str("id"), t.str("category"), t.str("course", default_course), t.bool("vip", False))
            )
        pairs: dict[str, list[tuple[str, str | None]]] = {}
        for key in ("sessions", "vendors"):
            pairs[key] = []
            for item in sec.list(key, []):
                item.only("id", "ext_id")
                pairs[key].append((item.str("id"), item.str("ext_id", None)))
        org_id, name = sec.str("id"), sec.str("name", None)
        try:
            org = make_org(org_id, name, default_course, types, pairs["sessions"], pairs["vendors"])
        except ValueError as exc:
            raise sec.fail(str(exc)) from None
        if any(o.id == org.id for o in orgs):
            raise sec.fail(f"duplicate org id {org.id!r}", "id")
        orgs.append(org)
    known = {o.id for o in orgs}
    clients: list[Client] = []
    for sec in section.list("clients", []):
        sec.only("id", "secret", "provider", "orgs", "is_test")
        client_orgs = sec.str_list("orgs", [])
        for org_id in client_orgs:
            if org_id not in known:
                raise sec.fail(f"unknown org {org_id!r}", "orgs")
        client = Client(
            sec.str("id"),
            sec.str("secret"),
            sec.str("provider"),
            frozenset(client_orgs),
            sec.bool("is_test", False),
        )
        if any(c.id == client.id for c in clients):
            raise sec.fail(f"duplicate client id {client.id!r}", "id")
        clients.append(client)
    return TalqueState(clients, orgs)


# -- dumps -----------------------------------------------------------------------------------------
def restore_state(state: Any) -> TalqueState:
    """A new state from a dump; raises BadRequest naming the bad key."""
    if not isinstance(state, dict):
        raise _invalid("expected an object")
    try:
        return _restore(Reader(state))
    except ReadError as error:
        raise _invalid(error.message, error.path) from None


def _invalid(message: str, path: str = "state") -> BadRequest:
    """The answer to a bad dump: its field is the bad key's dotted path, `state` for the dump as a whole."""
    return BadRequest("Invalid talque state", fields={path: [message]})


def _strings(reader: Reader, key: str) -> list[str]:
    """A list of strings, the empty one included (`Reader.str_list` wants non-empty ones, and converts numbers)."""
    values = [item.value for item in reader.list(key)]
    if not all(isinstance(value, str) for value in values):
        raise reader.fail("expected strings", key)
    return values


def _person(reader: Reader, fields: tuple[str, ...]) -> Person:
    """A person object of the dump: each field a string or null, an absent one null."""
    return tuple(reader.text(name, None, nullable=True) for name in fields)


def _person_or_null(reader: Reader, key: str) -> Person | None:
    """The order person under `key`: the key is required, its value an object or null."""
    value = reader.section(key)
    return None if value.value is None else _person(value, ORDER_PERSON_FIELDS)


def _restore(root: Reader) -> TalqueState:
    secret_hex = root.text("cursor_secret")  # read first: a ReadError is a ValueError too
    try:
        secret = bytes.fromhex(secret_hex)
    except ValueError:
        raise _invalid("cursor_secret must be hex") from None
    orgs = []
    for o in root.list("orgs"):
        types = [
            TicketType(t.text("id"), t.text("category"), t.text("course"), t.bool("vip"))
            for t in o.list("ticket_types")
        ]
        org_id, name, default_course = o.text("id"), o.text("name", nullable=True), o.text("default_course")
        sessions = [(s.text("id"), s.text("ext_id", nullable=True)) for s in o.list("sessions")]
        vendors = [(v.text("id"), v.text("ext_id", nullable=True)) for v in o.list("vendors")]
        try:
            org = make_org(org_id, name, default_course, types, sessions, vendors)
        except ValueError as exc:
            raise o.fail(str(exc)) from None
        orgs.append(org)
    clients = [
        Client(c.text("id"), c.text("secret"), c.text("provider"), frozenset(_strings(c, "orgs")), c.bool("is_test"))
        for c in root.list("clients")
    ]
    new = TalqueState(clients, orgs, secret)
    if len(new.orgs) != len(orgs) or len(new.clients) != len(clients):
        raise _invalid("duplicate org or client id")
    for p in root.list("profiles"):
        org_id, email, profile_id = p.text("org_id"), p.text("email"), p.text("id")
        if org_id not in new.orgs:
            raise p.fail(f"unknown org {org_id!r}")
        if profile_id in new.profile_by_id or new.profile_for(org_id, email, profile_id) != profile_id:
            raise p.fail("duplicate profile e-mail")
    for o in root.list("purchase_orders"):
        person = _person(o.section("person"), ORDER_PERSON_FIELDS)
        order = PurchaseOrder(
            o.text("id"),
            o.text("org_id"),
            o.text("provider"),
            o.text("ext_purchase_id"),
            person,
            o.int("ctime"),
            o.int("mtime"),
        )
        new.orders[(order.org_id, order.provider, order.ext_id)] = order
    for t in sorted(root.list("tickets"), key=lambda t: t.int("seq")):
        new.add_ticket(_restore_ticket(t, new))
    if len(new.by_org_ticket_id) != len(new.tickets):
        raise _invalid("duplicate org_ticket_id")
    seqs = [r.seq for r in new.tickets.values()]
    if len(set(seqs)) != len(seqs):
        raise _invalid("duplicate ticket seq")
    new.seq = max([root.int("seq"), *seqs])
    return new


def _restore_ticket(t: Reader, state: TalqueState) -> TicketRecord:
    org_id = t.text("org_id")
    org = state.orgs.get(org_id)
    if org is None:
        raise t.fail(f"unknown org {org_id!r}")
    body = t.section("posted")
    person = _person(body, PERSON_FIELDS)
    for key in ID_FIELDS:
        if body.has(key):
            _strings(body, key)
    posted = posted_from_body({**body.mapping(), **dict(zip(PERSON_FIELDS, person, strict=True))})
    derived = resolve(org, posted)
    if isinstance(derived, str):
        raise t.fail(f"posted ticket cannot be stored: {derived}")
    check_ins = [c.value for c in t.list("check_ins")]
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in check_ins):
        raise t.fail("check_ins must be integers")
    key = (org_id, t.text("provider"), t.text("ticket_id"))
    if key in state.tickets:
        raise t.fail("duplicate ticket")
    return TicketRecord(
        seq=t.int("seq"),
        org_id=org_id,
        org_ticket_id=t.text("org_ticket_id"),
        provider=key[1],
        ticket_id=key[2],
        ctime=t.int("ctime"),
        mtime=t.int("mtime"),
        is_test=t.bool("is_test"),
        posted=posted,
        derived=derived,
        purchase_order_id=t.text("purchase_order_id", nullable=True),
        ext_purchase_order_id=t.text("ext_purchase_order_id", nullable=True),
        purchaser=_person_or_null(t, "purchaser"),
        check_ins=tuple(check_ins),
        is_check_in_reset=t.bool("is_check_in_reset"),
        main_id=t.text("main_id", nullable=True),
        profile_id=None,
    )
