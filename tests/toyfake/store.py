"""The things and their one index: (tenant, name) -> thing, which the uniqueness rule reads."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .records import Thing


class ThingStore:
    def __init__(self, things: Iterable[Thing] = ()) -> None:
        self.things: dict[str, Thing] = {}  # id -> thing, in creation order
        self.by_name: dict[tuple[str, str], Thing] = {}
        for thing in things:
            self.insert(thing)

    def insert(self, thing: Thing) -> None:
        self.things[thing.id] = thing
        self.by_name[(thing.tenant, thing.name)] = thing

    def dump(self) -> list[dict[str, Any]]:
        return [thing.dump() for thing in self.things.values()]
