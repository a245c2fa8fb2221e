"""Namespaces: `/ns/{name}/...` addresses one of many isolated worlds on one server (docs/namespaces.md).

Every `State` is one namespace; paths without `/ns/` are the namespace `default`. The compiled operations
are shared: `CurrentState` tells them, per request, which namespace's `State` they serve. A namespace is
created on first use as a copy of the server fixture's state (built once at start-up, each vendor copied
when the namespace first uses it), or explicitly through `PUT /_admin/namespaces/{name}`;
`--max-namespaces` caps how many exist, never by evicting one.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from pathlib import Path
from time import time_ns
from typing import Any

from starlette.responses import Response
from starlette.types import Scope

from .core.clock import wall_ms
from .core.problems import BadRequest, Problem, problem_for_status
from .errors import render
from .fixture_cache import template_for
from .state import DEFAULT_NAMESPACE, State

NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
PREFIX = "/ns/"
SKIP = len(PREFIX)
RAW_PREFIX = PREFIX.encode()
_END_OF_NAME = (b"/", b"")
DEFAULT_MAX_NAMESPACES = 1000
ROUTE_CACHE_SIZE = 4096  # raw paths whose namespace `route` remembers; cleared when full
JOURNAL_ENTRY_OVERHEAD = 200  # bytes of an entry besides its bodies, roughly


class CurrentState:
    """The `State` of the namespace the request being served addresses.

    The vendors' routes are built once and close over this object; `App` points it at the request's
    namespace for the request's task alone. Unset (every path without `/ns/`), it is the default State,
    so the default path pays one context-variable read and nothing else.
    """

    def __init__(self, default: State) -> None:
        self._current: ContextVar[State] = ContextVar("ticketfakes_namespace", default=default)
        # The context variable's own methods (C calls): `get` once per request, `enter`/`leave` around a
        # request under /ns/ (`enter` returns the token that `leave` takes).
        self.get: Callable[[], State] = self._current.get
        self.enter: Callable[[State], Token[State]] = self._current.set
        self.leave: Callable[[Token[State]], None] = self._current.reset

    def backend(self, vendor: str) -> Any:  # what the vendors' routes call on every request
        return self._current.get().backends[vendor]

    def __getattr__(self, name: str) -> Any:  # everything else a route reads: clock, journal, faults, ...
        return getattr(self._current.get(), name)


def namespace_limit(limit: int) -> Problem:
    problem = problem_for_status(
        507,
        f"namespace limit reached: {limit} namespaces exist (--max-namespaces); "
        "DELETE /_admin/namespaces/{name} frees one",
    )
    problem.code = "namespace_limit"
    return problem


def invalid_name(name: str) -> BadRequest:
    return BadRequest(
        f"invalid namespace name {name[:80]!r}: use 1 to 64 of A-Z a-z 0-9 _ -",
        code="invalid_namespace",
        fields={"namespace": ["must match [A-Za-z0-9_-]{1,64}"]},
    )


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise invalid_name(name)
    return name


@dataclass(slots=True)
class Namespace:
    name: str
    state: State
    created_ms: int
    last_used_ns: int | None = None  # requests through /ns/{name}/ only: the bare path is not counted
    requests: int = 0
    raw_prefix: bytes = field(init=False)  # `/ns/{name}/` as a request sends it without escapes

    def __post_init__(self) -> None:
        self.raw_prefix = f"{PREFIX}{self.name}/".encode()

    def used(self) -> State:
        """Counts a request through `/ns/{name}/` (wall time kept in ns: the division waits for a listing)."""
        self.requests += 1
        self.last_used_ns = time_ns()
        return self.state

    def approx_bytes(self) -> int:
        """The state's size as a JSON dump plus the journal's kept bodies: an estimate, computed on demand."""
        journal = self.state.journal.query(limit=1 << 30)
        kept = sum(len(e.request_body) + len(e.response_body) + JOURNAL_ENTRY_OVERHEAD for e in journal)
        return self.state.dump_size() + kept

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "created_ms": self.created_ms,
            "last_used_ms": None if self.last_used_ns is None else self.last_used_ns // 1_000_000,
            "requests": self.requests,
            "approx_bytes": self.approx_bytes(),
        }


class Namespaces:
    """Every namespace of one server, by name; `default` always exists and is not counted by the cap."""

    def __init__(self, default: State, max_namespaces: int = DEFAULT_MAX_NAMESPACES) -> None:
        self.default = default
        self.max_namespaces = max_namespaces
        self.current = CurrentState(default)
        self._by_name = {DEFAULT_NAMESPACE: Namespace(DEFAULT_NAMESPACE, default, wall_ms())}
        # The same namespaces by `/ns/{name}/` as bytes: how `route` finds one in a single dict lookup.
        self._by_raw_prefix = {namespace.raw_prefix: namespace for namespace in self._by_name.values()}
        # raw path -> (namespace, path and raw path without `/ns/{name}`), bounded: see `route`.
        self._routes: dict[bytes, tuple[Namespace, str, bytes]] = {}
        self._lock = threading.Lock()
        self._template = template_for(default.fixtures)  # the server's fixture, built once at start-up
        self._template_fixtures = default.fixtures

    def __len__(self) -> int:
        return len(self._by_name) - 1

    def get(self, name: str) -> Namespace | None:
        return self._by_name.get(name)

    def listing(self) -> list[Namespace]:
        return sorted(self._by_name.values(), key=lambda namespace: namespace.name)

    def _new_state(self, name: str, fixtures: str | Path | None, dump: Any) -> State:
        template = None
        if dump is None:
            template = template_for(fixtures) if fixtures else self._template  # FixtureError names the key
        return State(fixtures or self._template_fixtures, self.default.validate_responses, name, dump, template)

    def _add(self, name: str, state: State) -> Namespace:
        with self._lock:
            if name in self._by_name:  # created meanwhile by a concurrent request: that one wins
                return self._by_name[name]
            if len(self) >= self.max_namespaces:
                raise namespace_limit(self.max_namespaces)
            namespace = self._by_name[name] = Namespace(name, state, wall_ms())
            self._by_raw_prefix[namespace.raw_prefix] = namespace
            return namespace

    def open(self, name: str) -> Namespace:
        """The namespace, created from the server's fixture on first use (a 507 Problem at the cap)."""
        namespace = self._by_name.get(name)
        if namespace is None:
            if len(self) >= self.max_namespaces:
                raise namespace_limit(self.max_namespaces)
            namespace = self._add(name, self._new_state(name, None, None))
        return namespace

    def put(self, name: str, fixtures: str | None = None, dump: Any = None) -> tuple[Namespace, bool]:
        """Create the namespace, or renew an existing one in place, from a fixture file or a state dump
        (the server's fixture when neither is given). True when it was created."""
        check_name(name)
        namespace = self._by_name.get(name)
        if namespace is not None:
            source = dump if dump is not None else template_for(fixtures) if fixtures else self._template
            namespace.state.renew(source, fixtures or self._template_fixtures)
            return namespace, False
        if len(self) >= self.max_namespaces:
            raise namespace_limit(self.max_namespaces)
        return self._add(name, self._new_state(name, fixtures, dump)), True

    def delete(self, name: str) -> bool:
        """Forget a namespace (its memory is freed with the last request still using it); False if unknown."""
        if name == DEFAULT_NAMESPACE:
            raise problem_for_status(409, "the default namespace cannot be deleted; POST /_admin/reset resets it")
        with self._lock:
            namespace = self._by_name.pop(name, None)
            if namespace is None:
                return False
            del self._by_raw_prefix[namespace.raw_prefix]
            self._routes.clear()  # none may lead to the deleted namespace (nor to one created under its name)
            return True

    def route(self, scope: Scope) -> State | None:
        """For a path under `/ns/` of an existing namespace, sent without escapes in `/ns/{name}/`: strip
        that from the scope and answer the namespace's State; else None (then `route_slowly`).

        A dict lookup on the raw path's first segments: an existing name was checked when it was created,
        and with no `%` in them the decoded path starts with the same characters (docs/namespaces.md,
        "Cost"). What it finds for a raw path is remembered (clients repeat their paths): then one lookup.
        """
        raw: bytes | None = scope.get("raw_path")
        if raw is None:
            return None
        known = self._routes.get(raw)
        if known is None:
            end = raw.find(b"/", SKIP)
            namespace = self._by_raw_prefix.get(raw[: end + 1])  # no `/` after the name: b"", never a key
            if namespace is None:
                return None
            # The decoded path is a function of the raw one (percent-decoding), so it is remembered too.
            known = (namespace, scope["path"][end:], raw[end:])
            if len(self._routes) >= ROUTE_CACHE_SIZE:
                self._routes.clear()
            self._routes[raw] = known
        namespace, scope["path"], scope["raw_path"] = known
        namespace.requests += 1  # `used()` inline: a call more was a tenth of this lookup
        namespace.last_used_ns = time_ns()
        return namespace.state

    def route_slowly(self, scope: Scope, shape_for: Any) -> State | Response:
        """`route` for the rest: first use, a bad name, escapes in the name, no raw path in the scope;
        the error response (bad name, the cap) speaks the JSON shape of the prefix that follows."""
        path: str = scope["path"]
        end = path.find("/", SKIP)
        name, rest = (path[SKIP:], "/") if end < 0 else (path[SKIP:end], path[end:])
        raw: bytes | None = scope.get("raw_path")
        sent = RAW_PREFIX + name.encode("latin-1", "replace")  # how the name looks when not escaped
        try:
            # The name as sent, not decoded: `a%2Fb` must not become namespace `a` with the path `/b/...`.
            if raw is not None and not (raw.startswith(sent) and raw[len(sent) : len(sent) + 1] in _END_OF_NAME):
                raise invalid_name(raw[SKIP:].split(b"/")[0].decode("latin-1"))
            namespace = self.open(check_name(name))
        except Problem as problem:
            return render(shape_for(rest)[1], problem)
        scope["path"] = rest
        if raw is not None:
            scope["raw_path"] = raw[len(sent) :] or b"/"
        return namespace.used()
