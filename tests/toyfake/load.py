"""Fixture section and state dump -> keys and things, read strictly with ticketfakes' one `Reader`.

Both build new records without touching the live backend, so a bad file or dump changes nothing.
"""

from __future__ import annotations

from typing import Any

from ticketfakes.core.reader import Reader

from .records import Thing

Loaded = tuple[dict[str, str], list[Thing]]  # API key -> tenant, things


def load_fixture(section: Reader | None) -> Loaded:
    """`toy: {api_keys: [{key, tenant}], things: [{id, tenant, name}]}`; None or empty: nothing."""
    if section is None or not section.value:
        return {}, []
    return _load(section, "api_keys")


def load_dump(state: Any) -> Loaded:
    """A `dump()` document (`{apiKeys, things}`); ReadError names the first bad value."""
    return _load(Reader(state), "apiKeys")


def _load(reader: Reader, keys_name: str) -> Loaded:
    reader.only(keys_name, "things")
    keys: dict[str, str] = {}
    for item in reader.list(keys_name, []):
        item.only("key", "tenant")
        key = item.str("key")
        if key in keys:
            raise item.fail("duplicate API key", "key")
        keys[key] = item.str("tenant")
    things: list[Thing] = []
    seen: set[tuple[str, str]] = set()
    ids: set[str] = set()
    for item in reader.list("things", []):
        item.only("id", "tenant", "name")
        thing = Thing(item.str("id"), item.str("tenant"), item.str("name"))
        if thing.id in ids:
            raise item.fail("duplicate thing id", "id")
        if (thing.tenant, thing.name) in seen:  # the model's one rule holds for loaded things too
            raise item.fail(f"name {thing.name!r} is taken in tenant {thing.tenant!r}", "name")
        ids.add(thing.id)
        seen.add((thing.tenant, thing.name))
        things.append(thing)
    return keys, things
