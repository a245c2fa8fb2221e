"""The toy's model: API keys, things, and its one rule (a thing's name is unique per tenant). No HTTP."""

from __future__ import annotations

import threading
from itertools import count
from typing import Any

from ticketfakes.core.clock import Clock
from ticketfakes.core.problems import BadRequest, Conflict, NotFound, Unauthorized
from ticketfakes.core.reader import Reader, ReadError

from .load import Loaded, load_dump, load_fixture
from .records import Thing
from .store import ThingStore


class ToyBackend:
    def __init__(self, clock: Clock, keys: dict[str, str], things: list[Thing]) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._install((keys, things))

    # -- the `Backend` protocol of ticketfakes.fake ----------------------------------------------
    @classmethod
    def from_fixture(cls, section: Reader | None, clock: Clock) -> ToyBackend:
        return cls(clock, *load_fixture(section))

    def dump(self) -> dict[str, Any]:
        with self._lock:
            keys = [{"key": key, "tenant": tenant} for key, tenant in self._keys.items()]
            return {"apiKeys": keys, "things": self._store.dump()}

    def restore(self, state: dict[str, Any]) -> None:
        try:
            loaded = load_dump(state)  # fully checked before anything changes
        except ReadError as exc:
            raise BadRequest(f"Invalid toy state: {exc}", fields={exc.path: [exc.message]}) from None
        with self._lock:
            self._install(loaded)

    def template_data(self) -> Loaded:
        return self._keys, list(self._store.things.values())

    @classmethod
    def from_template_data(cls, data: Loaded, clock: Clock) -> ToyBackend:
        return cls(clock, *data)

    def _install(self, loaded: Loaded) -> None:
        self._keys, things = loaded
        self._store = ThingStore(things)
        self._ids = count(len(things) + 1)

    # -- the API ---------------------------------------------------------------------------------
    def tenant(self, key: str | None) -> str:
        tenant = self._keys.get(key or "")
        if tenant is None:
            raise Unauthorized("Missing or unknown X-Toy-Key")
        return tenant

    def create(self, tenant: str, name: str) -> dict[str, Any]:
        with self._lock:
            if (tenant, name) in self._store.by_name:  # the rule
                raise Conflict(f"A thing named {name!r} exists already", fields={"name": ["taken"]})
            thing_id = next(f"th_{n}" for n in self._ids if f"th_{n}" not in self._store.things)
            thing = Thing(thing_id, tenant, name)
            self._store.insert(thing)
            return thing.to_json()

    def read(self, tenant: str, thing_id: str) -> dict[str, Any]:
        thing = self._store.things.get(thing_id)
        if thing is None or thing.tenant != tenant:  # another tenant's thing does not exist for you
            raise NotFound(f"No thing {thing_id}")
        return thing.to_json()
