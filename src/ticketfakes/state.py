"""The server's whole state: the vendors' backends plus the shared mechanisms around them.

One `State` per namespace (docs/namespaces.md); `reset` rebuilds backends from a fixture file, `dump`/`restore`
move everything (backends, clock, idempotency records) to JSON and back. A fixture file is parsed once
and its built backends copied (`fixture_cache`), so a reset or a new namespace costs a copy, not a parse.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson

from .core.clock import Clock
from .core.collector import thaw
from .core.faults import Faults
from .core.idempotency import IdempotencyStore
from .core.journal import Journal
from .core.problems import BadRequest
from .core.ratelimit import RateLimiter
from .core.violations import Violations
from .fakes import by_name, names, published_limits
from .fixture_cache import CopiedOnFirstUse, Template, bound, template_for

DEFAULT_NAMESPACE = "default"


def restored_backend(vendor: str, dump: Any, clock: Clock) -> Any:
    backend = by_name(vendor).backend.from_fixture(None, clock)
    backend.restore(dump)  # raises BadRequest on a malformed part
    return backend


class State:
    def __init__(
        self,
        fixtures: str | Path | None = None,
        validate_responses: bool = False,
        namespace: str = DEFAULT_NAMESPACE,
        dump: dict[str, Any] | None = None,
        template: Template | None = None,
    ) -> None:
        """The fixture file's state (copied from `template` when given: the file's, built already), or
        (`dump`) a copy of a state dump (BadRequest if malformed)."""
        self.fixtures = Path(fixtures) if fixtures else None
        self.validate_responses = validate_responses
        self.namespace = namespace
        self.clock = Clock()
        self.journal = Journal(int(os.environ.get("TICKETFAKES_JOURNAL_SIZE", "1000")))
        self.violations = Violations()  # filled by `ticketfakes proxy` (docs/proxy.md)
        self.faults = Faults()
        self.rate_limits = RateLimiter(self.clock, published_limits())
        self.idempotency = IdempotencyStore(self.clock)
        self.backends: dict[str, Any] = {}
        if dump is None:
            self.backends = self._fresh(template or template_for(self.fixtures))
        else:
            self.restore(dump)

    def _fresh(self, template: Template) -> dict[str, Any]:
        """Copies of the template's backends: a namespace's on first use of each vendor; the default
        namespace's at once, so that the bare path's backend lookups stay those of a plain dict."""
        if self.namespace == DEFAULT_NAMESPACE:
            return template.backends(self.clock)
        return CopiedOnFirstUse(template, self.clock, self.namespace)

    def _bind(self, backend: Any) -> Any:
        return bound(backend, None if self.namespace == DEFAULT_NAMESPACE else self.namespace)

    def _bound(self, backends: dict[str, Any]) -> dict[str, Any]:
        for backend in backends.values():
            self._bind(backend)
        return backends

    def backend(self, vendor: str) -> Any:
        return self.backends[vendor]

    def reset(self, vendor: str | None = None, fixtures: str | Path | None = None) -> list[str]:
        """Back to the fixture state (one vendor or all); faults, rate limits and replay records cleared."""
        vendors = (vendor,) if vendor else names()
        source = Path(fixtures) if fixtures else self.fixtures
        template = template_for(source)  # raises before anything changes
        thaw()
        if fixtures and vendor is None:
            self.fixtures = source
        if vendor is None:
            self.backends = self._fresh(template)
            self.clock.reset()
            self.faults.clear()
            self.rate_limits.reset()
            self.idempotency.clear()
            self.journal.clear()
            self.violations.clear()
        else:
            self.backends[vendor] = self._bind(template.backend(vendor, self.clock))
            self.idempotency.clear(f"{vendor}:")
        return list(vendors)

    def dump(self, vendor: str | None = None) -> dict[str, Any]:
        if vendor is not None:
            return self.backends[vendor].dump()
        return {
            "version": 1,
            "clock": self.clock.snapshot(),
            "vendors": {name: self.backends[name].dump() for name in names()},
            "idempotency": self.idempotency.dump(),
        }

    def dump_size(self) -> int:
        """About the bytes of `dump()` as JSON, without copying a vendor not used yet (its template's size)."""
        backends = self.backends
        unused = backends.template.dump_sizes if isinstance(backends, CopiedOnFirstUse) else {}
        around = {"version": 1, "clock": self.clock.snapshot(), "vendors": {}, "idempotency": self.idempotency.dump()}
        size = len(orjson.dumps(around))
        for vendor in names():
            used = vendor in backends or vendor not in unused
            size += len(vendor) + 4 + (len(orjson.dumps(backends[vendor].dump())) if used else unused[vendor])
        return size

    def restore(self, dump: Any) -> None:
        """Replace everything with `dump`; a malformed dump -> BadRequest and the old state is kept."""
        if not isinstance(dump, dict) or not isinstance(dump.get("vendors"), dict):
            raise BadRequest("state dump must be an object with a 'vendors' object")
        try:
            idempotency = IdempotencyStore.parse(dump.get("idempotency", []))
        except ValueError as exc:
            raise BadRequest(f"invalid state dump: {exc}") from None
        fresh: dict[str, Any] = {}
        for vendor in names():
            if vendor not in dump["vendors"]:
                raise BadRequest(f"state dump lacks vendor {vendor!r}")
            fresh[vendor] = restored_backend(vendor, dump["vendors"][vendor], self.clock)
        thaw()
        self.backends = self._bound(fresh)
        self.idempotency.restore(idempotency)
        clock = dump.get("clock")
        if isinstance(clock, dict) and isinstance(clock.get("now_ms"), int):
            self.clock.freeze(bool(clock.get("frozen")))
            self.clock.set(clock["now_ms"])

    def renew(self, source: Template | Any, fixtures: str | Path | None) -> None:
        """A fresh world, in place, from a fixture's `Template` or a state `dump`: backends, replay records,
        and the clock (a dump's, else real time); journal, fault rules and rate limits cleared. `fixtures`
        is what later resets load."""
        if isinstance(source, Template):
            thaw()
            self.backends = self._fresh(source)
            self.idempotency.clear()
            self.clock.reset()
        else:
            self.restore(source)  # validates before anything changes
            if not isinstance(source.get("clock"), dict):
                self.clock.reset()
        self.fixtures = Path(fixtures) if fixtures else None
        self.faults.clear()
        self.rate_limits.reset()
        self.journal.clear()
