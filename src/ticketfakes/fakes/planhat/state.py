"""Whole-state input for the Planhat fake: the fixture section and `dump()` documents, checked fully.

Both build new records without touching the live backend, so a bad file or dump changes nothing.
"""

from __future__ import annotations

from typing import Any

from ...fixtures import Section
from .records import EMAIL, OBJECT_ID, Company, EndUser, Ticket, fixture_object_id

State = tuple[list[str], list[Company], list[EndUser], list[Ticket]]


def parse_fixture(section: Section | None) -> tuple[list[str], list[Company], list[EndUser]]:
    """`planhat: {tokens, companies: [{id, name, external_id}], endusers: [{email, company, name, id?}]}`."""
    if section is None or section.value is None or section.value == "":
        return [], [], []  # `planhat:` left empty
    if not section.keys():
        return [], [], []
    section.only("tokens", "companies", "endusers", "records")
    tokens = section.str_list("tokens", [])
    companies: dict[str, Company] = {}
    external: set[str] = set()
    for item in section.list("companies", []):
        item.only("id", "name", "external_id")
        company = Company(item.str("id"), item.str("name"), item.str("external_id", None))
        if company.id in companies:
            raise item.fail("duplicate company id", "id")
        if company.external_id is not None:
            if company.external_id in external:
                raise item.fail("duplicate company external_id", "external_id")
            external.add(company.external_id)
        companies[company.id] = company
    users: dict[str, EndUser] = {}
    for item in section.list("endusers", []):
        item.only("id", "email", "company", "name")
        email = item.str("email")
        if not EMAIL.match(email):
            raise item.fail("not an e-mail address", "email")
        if email.lower() in users:
            raise item.fail("duplicate end user e-mail", "email")
        company_id = item.str("company")
        if company_id not in companies:
            raise item.fail(f"unknown company {company_id!r}", "company")
        # Fixture end users get ids derived from their e-mail, the same after every reset.
        user_id = item.str("id", None) or fixture_object_id("enduser", email.lower())
        if not OBJECT_ID.match(user_id):
            raise item.fail("expected 24 lower-case hex digits", "id")
        users[email.lower()] = EndUser(user_id, email, company_id, item.str("name", None))
    return tokens, list(companies.values()), list(users.values())


def _strings(raw: dict[str, Any], *keys: str) -> bool:
    return all(isinstance(raw.get(key), str) and raw[key] for key in keys)


def parse_state(state: Any) -> State:
    """A `dump()` document -> records; ValueError names the first bad key."""
    if not isinstance(state, dict):
        raise ValueError("expected an object")
    unknown = set(state) - {"tokens", "companies", "endUsers", "tickets"}
    if unknown:
        raise ValueError(f"{sorted(unknown)[0]}: unknown key")
    tokens = state.get("tokens", [])
    if not isinstance(tokens, list) or not all(isinstance(t, str) and t for t in tokens):
        raise ValueError("tokens: expected a list of non-empty strings")
    companies: dict[str, Company] = {}
    external: set[str] = set()
    for i, raw in enumerate(_list(state, "companies")):
        where = f"companies[{i}]"
        if not isinstance(raw, dict) or not _strings(raw, "id", "name"):
            raise ValueError(f"{where}: expected {{id, name, externalId}}")
        ext = raw.get("externalId")
        if ext is not None and (not isinstance(ext, str) or ext in external):
            raise ValueError(f"{where}.externalId: not a string, or used twice")
        if raw["id"] in companies:
            raise ValueError(f"{where}.id: used twice")
        if ext is not None:
            external.add(ext)
        companies[raw["id"]] = Company(raw["id"], raw["name"], ext)
    users: dict[str, EndUser] = {}
    for i, raw in enumerate(_list(state, "endUsers")):
        where = f"endUsers[{i}]"
        if not isinstance(raw, dict) or not _strings(raw, "id", "email", "companyId"):
            raise ValueError(f"{where}: expected {{id, email, companyId, name}}")
        if raw["companyId"] not in companies or raw["email"].lower() in users:
            raise ValueError(f"{where}: unknown companyId or e-mail used twice")
        name = raw.get("name")
        if name is not None and not isinstance(name, str):
            raise ValueError(f"{where}.name: expected a string")
        users[raw["email"].lower()] = EndUser(raw["id"], raw["email"], raw["companyId"], name)
    user_ids = {u.id for u in users.values()}
    if len(user_ids) != len(users):
        raise ValueError("endUsers: an id is used twice")
    tickets: list[Ticket] = []
    ids: set[str] = set()
    sources: set[str] = set()
    for i, raw in enumerate(_list(state, "tickets")):
        ticket = Ticket.from_json(raw, f"tickets[{i}]")
        if ticket.id in ids or ticket.source_id in sources:
            raise ValueError(f"tickets[{i}]: _id or sourceId used twice")
        if ticket.company_id not in companies or ticket.end_user_id not in user_ids:
            raise ValueError(f"tickets[{i}]: unknown companyId or endUserId")
        ids.add(ticket.id)
        sources.add(ticket.source_id)
        tickets.append(ticket)
    return tokens, list(companies.values()), list(users.values()), tickets


def _list(state: dict[str, Any], key: str) -> list[Any]:
    value = state.get(key, [])
    if not isinstance(value, list):
        raise ValueError(f"{key}: expected a list")
    return value
