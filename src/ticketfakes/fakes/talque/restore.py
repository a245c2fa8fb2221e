"""Restoring a talque state from a dump: strict, naming the bad key, building a whole new state."""

from __future__ import annotations

from typing import Any

from ...core.problems import BadRequest
from .mapping import (
    ID_FIELDS,
    ORDER_PERSON_FIELDS,
    PERSON_FIELDS,
    Client,
    PurchaseOrder,
    TicketRecord,
    TicketType,
    posted_from_body,
    resolve,
)
from .state import TalqueState, make_org


class _Reader:
    """Strict typed access to one object of a dump; errors name the path (e.g. tickets[3].mtime)."""

    def __init__(self, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise BadRequest("Invalid talque state", fields={path or "state": ["expected an object"]})
        self.value = value
        self.path = path

    def _get(self, key: str, kinds: tuple[type, ...], nullable: bool) -> Any:
        where = f"{self.path}.{key}" if self.path else key
        if key not in self.value:
            raise BadRequest("Invalid talque state", fields={where: ["required"]})
        value = self.value[key]
        if value is None and nullable:
            return None
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise BadRequest("Invalid talque state", fields={where: [f"expected {kinds[0].__name__}"]})
        return value

    def str(self, key: str, nullable: bool = False) -> Any:
        return self._get(key, (str,), nullable)

    def int(self, key: str) -> int:
        return self._get(key, (int,), False)

    def bool(self, key: str) -> bool:
        return self._get(key, (bool,), False)

    def list(self, key: str) -> list[Any]:
        return self._get(key, (list,), False)

    def obj(self, key: str, nullable: bool = False) -> _Reader | None:
        value = self._get(key, (dict,), nullable)
        return None if value is None else _Reader(value, f"{self.path}.{key}" if self.path else key)

    def items(self, key: str) -> list[_Reader]:
        base = f"{self.path}.{key}" if self.path else key
        return [_Reader(v, f"{base}[{i}]") for i, v in enumerate(self.list(key))]

    def str_list(self, key: str) -> list[str]:
        values = self.list(key)
        if not all(isinstance(v, str) for v in values):
            raise BadRequest("Invalid talque state", fields={f"{self.path}.{key}": ["expected strings"]})
        return values

    def fail(self, message: str) -> BadRequest:
        return BadRequest("Invalid talque state", fields={self.path or "state": [message]})


def _person(reader: _Reader | None, fields: tuple[str, ...]) -> tuple[str | None, ...] | None:
    if reader is None:
        return None
    return tuple(reader.str(name, nullable=True) if name in reader.value else None for name in fields)


def restore_state(state: Any) -> TalqueState:
    """A new state from a dump; raises BadRequest naming the bad key."""
    root = _Reader(state, "")
    try:
        secret = bytes.fromhex(root.str("cursor_secret"))
    except ValueError:
        raise root.fail("cursor_secret must be hex") from None
    orgs = []
    for o in root.items("orgs"):
        types = [
            TicketType(t.str("id"), t.str("category"), t.str("course"), t.bool("vip")) for t in o.items("ticket_types")
        ]
        try:
            org = make_org(
                o.str("id"),
                o.str("name", nullable=True),
                o.str("default_course"),
                types,
                [(s.str("id"), s.str("ext_id", nullable=True)) for s in o.items("sessions")],
                [(v.str("id"), v.str("ext_id", nullable=True)) for v in o.items("vendors")],
            )
        except ValueError as exc:
            raise o.fail(str(exc)) from None
        orgs.append(org)
    clients = [
        Client(c.str("id"), c.str("secret"), c.str("provider"), frozenset(c.str_list("orgs")), c.bool("is_test"))
        for c in root.items("clients")
    ]
    new = TalqueState(clients, orgs, secret)
    if len(new.orgs) != len(orgs) or len(new.clients) != len(clients):
        raise root.fail("duplicate org or client id")
    for p in root.items("profiles"):
        org_id, email, profile_id = p.str("org_id"), p.str("email"), p.str("id")
        if org_id not in new.orgs:
            raise p.fail(f"unknown org {org_id!r}")
        if profile_id in new.profile_by_id or new.profile_for(org_id, email, profile_id) != profile_id:
            raise p.fail("duplicate profile e-mail")
    for o in root.items("purchase_orders"):
        person = _person(o.obj("person"), ORDER_PERSON_FIELDS) or ()
        order = PurchaseOrder(
            o.str("id"),
            o.str("org_id"),
            o.str("provider"),
            o.str("ext_purchase_id"),
            person,
            o.int("ctime"),
            o.int("mtime"),
        )
        new.orders[(order.org_id, order.provider, order.ext_id)] = order
    for t in sorted(root.items("tickets"), key=lambda t: t.int("seq")):
        new.add_ticket(_restore_ticket(t, new))
    if len(new.by_org_ticket_id) != len(new.tickets):
        raise root.fail("duplicate org_ticket_id")
    seqs = [r.seq for r in new.tickets.values()]
    if len(set(seqs)) != len(seqs):
        raise root.fail("duplicate ticket seq")
    new.seq = max([root.int("seq"), *seqs])
    return new


def _restore_ticket(t: _Reader, state: TalqueState) -> TicketRecord:
    org_id = t.str("org_id")
    org = state.orgs.get(org_id)
    if org is None:
        raise t.fail(f"unknown org {org_id!r}")
    body = t.obj("posted")
    assert body is not None
    person = _person(body, PERSON_FIELDS)
    for key in ID_FIELDS:
        if key in body.value:
            body.str_list(key)
    posted = posted_from_body({**body.value, **dict(zip(PERSON_FIELDS, person or (), strict=True))})
    derived = resolve(org, posted)
    if isinstance(derived, str):
        raise t.fail(f"posted ticket cannot be stored: {derived}")
    check_ins = t.list("check_ins")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in check_ins):
        raise t.fail("check_ins must be integers")
    key = (org_id, t.str("provider"), t.str("ticket_id"))
    if key in state.tickets:
        raise t.fail("duplicate ticket")
    return TicketRecord(
        seq=t.int("seq"),
        org_id=org_id,
        org_ticket_id=t.str("org_ticket_id"),
        provider=key[1],
        ticket_id=key[2],
        ctime=t.int("ctime"),
        mtime=t.int("mtime"),
        is_test=t.bool("is_test"),
        posted=posted,
        derived=derived,
        purchase_order_id=t.str("purchase_order_id", nullable=True),
        ext_purchase_order_id=t.str("ext_purchase_order_id", nullable=True),
        purchaser=_person(t.obj("purchaser", nullable=True), ORDER_PERSON_FIELDS),
        check_ins=tuple(check_ins),
        is_check_in_reset=t.bool("is_check_in_reset"),
        main_id=t.str("main_id", nullable=True),
        profile_id=None,
    )
