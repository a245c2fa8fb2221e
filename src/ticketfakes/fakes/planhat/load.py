"""Whole-workspace input for the Planhat fake: the fixture section and `dump()` documents, checked fully.

Both build a new `Workspace` without touching the live backend, so a bad file or dump changes nothing.
Both read through the one strict reader (core/reader.py): a bad value is a `ReadError` naming its path.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ...core.reader import Reader, ReadError, join
from ...fixtures import Section
from .records import EMAIL, JSON_TO_ATTR, OBJECT_ID, Company, EndUser, Ticket, copy_json, normalize_date
from .store import Workspace

_DUMP_KEYS = {"tokens", "companies", "endUsers", "tickets"}
_REQUIRED = ("_id", "sourceId", "email", "companyId", "companyName", "endUserId", "createdAt", "updatedAt")


def fixture_object_id(kind: str, key: str) -> str:
    """Stable ids for fixture records, so docs and tests can name them across resets."""
    return hashlib.sha1(f"{kind}:{key}".encode()).hexdigest()[:24]


def load_fixture(section: Section | None) -> Workspace:
    """`planhat: {tokens, companies: [{id, name, external_id}], endusers: [{email, company, name, id?}]}`."""
    if section is None or section.value is None or section.value == "":
        return Workspace([], [], [], [])  # `planhat:` left empty
    if not section.keys():
        return Workspace([], [], [], [])
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
    return Workspace(tokens, list(companies.values()), list(users.values()), [])


def _strings(raw: dict[str, Any], *keys: str) -> bool:
    return all(isinstance(raw.get(key), str) and raw[key] for key in keys)


def _unknown(reader: Reader, keys: set[str], message: str) -> ReadError:
    """The first of `keys` in sorted order (the one a dump's error has always named), even an empty one."""
    return ReadError(join(reader.path, sorted(keys)[0]), message)


def load_dump(state: Any) -> Workspace:
    """A `dump()` document -> a new workspace; ReadError names the first bad key."""
    if not isinstance(state, dict):
        raise ReadError("", "expected an object")
    dump = Reader(state)
    unknown = set(state) - _DUMP_KEYS
    if unknown:
        raise _unknown(dump, unknown, "unknown key")
    tokens = state.get("tokens", [])
    if not isinstance(tokens, list) or not all(isinstance(t, str) and t for t in tokens):
        raise dump.fail("expected a list of non-empty strings", "tokens")
    companies: dict[str, Company] = {}
    external: set[str] = set()
    for item in dump.list("companies", []):
        raw = item.value
        if not isinstance(raw, dict) or not _strings(raw, "id", "name"):
            raise item.fail("expected {id, name, externalId}")
        ext = raw.get("externalId")
        if ext is not None and (not isinstance(ext, str) or ext in external):
            raise item.fail("not a string, or used twice", "externalId")
        if raw["id"] in companies:
            raise item.fail("used twice", "id")
        if ext is not None:
            external.add(ext)
        companies[raw["id"]] = Company(raw["id"], raw["name"], ext)
    users: dict[str, EndUser] = {}
    for item in dump.list("endUsers", []):
        raw = item.value
        if not isinstance(raw, dict) or not _strings(raw, "id", "email", "companyId"):
            raise item.fail("expected {id, email, companyId, name}")
        if raw["companyId"] not in companies or raw["email"].lower() in users:
            raise item.fail("unknown companyId or e-mail used twice")
        name = raw.get("name")
        if name is not None and not isinstance(name, str):
            raise item.fail("expected a string", "name")
        users[raw["email"].lower()] = EndUser(raw["id"], raw["email"], raw["companyId"], name)
    user_ids = {u.id for u in users.values()}
    if len(user_ids) != len(users):
        raise dump.fail("an id is used twice", "endUsers")
    tickets: list[Ticket] = []
    ids: set[str] = set()
    sources: set[str] = set()
    for item in dump.list("tickets", []):
        ticket = _ticket(item)
        if ticket.id in ids or ticket.source_id in sources:
            raise item.fail("_id or sourceId used twice")
        if ticket.company_id not in companies or ticket.end_user_id not in user_ids:
            raise item.fail("unknown companyId or endUserId")
        ids.add(ticket.id)
        sources.add(ticket.source_id)
        tickets.append(ticket)
    return Workspace(tokens, list(companies.values()), list(users.values()), tickets)


def _ticket(item: Reader) -> Ticket:
    """A dumped ticket back into a record."""
    data = item.value
    if not isinstance(data, dict):
        raise item.fail("expected an object")
    unknown = set(data) - set(JSON_TO_ATTR)
    if unknown:
        raise _unknown(item, unknown, "unknown field")
    values: dict[str, Any] = {}
    for name, attr in JSON_TO_ATTR.items():
        value = data.get(name)
        if value is None:
            continue
        if attr == "tags":
            if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
                raise item.fail("expected a list of strings", "tags")
            value = tuple(value)
        elif attr == "custom":
            if not isinstance(value, dict):
                raise item.fail("expected an object", "custom")
            value = copy_json(value)
        elif attr == "time_spent":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise item.fail("expected a number", "timeSpent")
        elif not isinstance(value, str):
            raise item.fail("expected a string", name)
        if attr in ("created_at", "updated_at"):
            value = normalize_date(value)
            if value is None:
                raise item.fail("expected an ISO-8601 date", name)
        values[attr] = value
    for name in _REQUIRED:
        if JSON_TO_ATTR[name] not in values:
            raise item.fail("required", name)
    if not OBJECT_ID.match(values["id"]):
        raise item.fail("expected 24 hex digits", "_id")
    return Ticket(**values)
