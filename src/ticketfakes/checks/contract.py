"""`Contract`: everything the checks of one vendor share during a run.

The target (base URL or in-process app) with the main credential, the parameters, the run's id
prefix, a seeded random source, and the `Ledger` of what the run created. Against a real service the
checks only ever write ids that start with `ticketfakes-check-<run>-`, and only ever change or delete
what the ledger says this run created.
"""

from __future__ import annotations

import random
import secrets
import threading
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from .reproduce import Files, default_files
from .target import IN_PROCESS_ROOT, Recorder, Target, http_client, in_process_client
from .vendors import CREDENTIAL_HEADERS, FIXTURE_SECRETS, SECRET_PARAMS, VENDORS, CheckVendor, resolve_headers

if TYPE_CHECKING:
    from schemathesis.specs.openapi.schemas import OpenApiSchema

    from .coverage import Coverage
    from .target import Recorded

ID_PREFIX = "ticketfakes-check-"


class Ids:
    """Ids and e-mail addresses this run writes: all start with `ticketfakes-check-<run>-`."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.prefix = f"{ID_PREFIX}{run_id}-"
        self._counter = 0
        self._lock = threading.Lock()

    def new(self, kind: str) -> str:
        with self._lock:
            self._counter += 1
            return f"{self.prefix}{kind}-{self._counter}"

    def email(self, seed: str | None = None) -> str:
        """An address at example.com (reserved: nothing is ever delivered), unique per `seed`."""
        if seed is None:
            return f"{self.new('m')}@example.com"
        return f"{self.prefix}{zlib.crc32(seed.encode('utf-8', 'surrogatepass')):08x}@example.com"

    def prefixed(self, value: str) -> str:
        """`value` moved into this run's namespace (unchanged if it already is in a check namespace)."""
        return value if value.startswith(ID_PREFIX) else self.prefix + value


@dataclass
class Created:
    vendor: str
    kind: str
    id: str
    where: str
    removed: bool = False

    @property
    def chosen(self) -> bool:
        """The checker chose this id (prefixed); otherwise the target assigned it (e.g. Gomry's tkt_...)."""
        return self.id.startswith(ID_PREFIX)


class Ledger:
    """What a run created, so that it changes and deletes nothing else, and tells the user (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[tuple[str, str, str], Created] = {}

    def add(self, vendor: str, kind: str, item_id: str, where: str = "") -> None:
        with self._lock:
            self._items.setdefault((vendor, kind, item_id), Created(vendor, kind, item_id, where))

    def removed(self, vendor: str, kind: str, item_id: str) -> None:
        with self._lock:
            item = self._items.get((vendor, kind, item_id))
            if item is not None:
                item.removed = True

    def reset(self, vendor: str) -> None:
        """The vendor's fake was reset to its fixture: nothing this run created there is left."""
        with self._lock:
            for item in self._items.values():
                if item.vendor == vendor:
                    item.removed = True

    def has(self, vendor: str, kind: str, item_id: str) -> bool:
        with self._lock:
            return (vendor, kind, item_id) in self._items

    def live(self, vendor: str, kind: str) -> list[Created]:
        with self._lock:
            return [item for item in self._items.values() if (item.vendor, item.kind) == (vendor, kind)
                    and not item.removed]

    def items(self) -> list[Created]:
        with self._lock:
            return list(self._items.values())


def new_run_id() -> str:
    return secrets.token_hex(4)


# Contracts by the identity of their schema document: schemathesis clones schemas, never the document.
_BY_DOCUMENT: dict[int, Contract] = {}


def contract_for_schema(schema: Any) -> Contract | None:
    """The contract whose schema `schema` is (or a clone of); None for anyone else's schema."""
    return _BY_DOCUMENT.get(id(getattr(schema, "raw_schema", None)))


class Contract:
    """One vendor's checks against one implementation: a base URL over HTTP, or an ASGI app in-process
    (with `base_url` as the path it serves the vendor under, default the ticketfakes prefix), or neither:
    then a fresh in-process ticketfakes app."""

    def __init__(
        self,
        vendor: str,
        *,
        base_url: str | None = None,
        app: Any = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        seed: int | None = None,
        run_id: str | None = None,
        ids: Ids | None = None,
        ledger: Ledger | None = None,
        client: httpx.Client | None = None,
        timeout: float = 30.0,
        files: Files | None = None,
    ) -> None:
        if vendor not in VENDORS:
            raise ValueError(f"unknown vendor {vendor!r}; choose one of {', '.join(VENDORS)}")
        self.vendor: CheckVendor = VENDORS[vendor]
        self.name = vendor
        self.params: dict[str, str] = {name: p.default for name, p in self.vendor.params.items()}
        self.params.update(params or {})
        self.headers = resolve_headers(vendor, headers)
        self.seed = seed
        self.random = random.Random(seed)
        self.ids = ids or Ids(run_id or new_run_id())
        self.ledger = ledger or Ledger()
        self.recorder = Recorder()
        self.files = files or default_files()  # where reproductions put long bodies
        self.in_process = app is not None or base_url is None
        self._owns_client = client is None
        if self.in_process:
            if app is None:
                from ..app import create_app

                app = create_app()
            self.app = app
            self.client = client or in_process_client(app)
            root = base_url.rstrip("/") if base_url else IN_PROCESS_ROOT + self.vendor.prefix
        else:
            self.app = None
            self.client = client or http_client(timeout)
            root = base_url.rstrip("/")
        self.target = Target(self.client, root, self.headers, self.recorder, self._observe_rule)
        self._schema: OpenApiSchema | None = None
        self._coverage: Coverage | None = None

    # -- what to hide in reports ------------------------------------------------------------------
    @property
    def secrets(self) -> list[str]:
        values = [value for name, value in self.headers.items() if name.lower() in CREDENTIAL_HEADERS]
        values += [self.params.get(name, "") for name in SECRET_PARAMS]
        hidden = []
        for value in values:
            token = value.split(" ", 1)[1] if value.lower().startswith(("bearer ", "basic ")) else value
            if value and value not in FIXTURE_SECRETS and token not in FIXTURE_SECRETS:
                hidden.extend([value, token])
        return hidden

    def reproduce(self, entries: list[Recorded]) -> list[str]:
        """The curl commands that repeat `entries`, the last `MAX_REPRO_LINES` (files beside the report)."""
        from .report import trim

        return trim([entry.as_curl(self.secrets, self.files) for entry in entries])

    # -- the other tenant -------------------------------------------------------------------------
    def other_target(self, headers: Mapping[str, str]) -> Target:
        return self.target.with_headers(headers)

    def param(self, name: str) -> str:
        return self.params[name]

    def int_param(self, name: str) -> int:
        try:
            return int(self.params[name])
        except ValueError:
            raise ValueError(f"--param {name} must be an integer, got {self.params[name]!r}") from None

    # -- coverage accounting ------------------------------------------------------------------------
    @property
    def coverage(self) -> Coverage:
        """What this contract sent per operation and what the target accepted (see coverage.py)."""
        if self._coverage is None:
            from .coverage import Coverage
            from .phases import operations

            self._coverage = Coverage([operation.label for operation in operations(self)])
        return self._coverage

    def _observe_rule(self, method: str, path: str, status: int | None) -> None:
        sent = self.recorder.snapshot()[-1:]
        self.coverage.rule(method, path, status, sent[0] if sent else None)

    # -- schemathesis ------------------------------------------------------------------------------
    @property
    def schema(self) -> OpenApiSchema:
        """The vendor's spec as a schemathesis schema aimed at this contract's target."""
        if self._schema is None:
            from .schema import load_schema

            self._schema = load_schema(self)
            _BY_DOCUMENT[id(self._schema.raw_schema)] = self
        return self._schema

    def call_and_validate(self, case: Any) -> Any:
        """Prepare `case` (credentials, safe ids), send it, run every built-in and ticketfakes check."""
        from .schema import call_and_validate

        return call_and_validate(self, case)

    def state_machine(self) -> type:
        """schemathesis' stateful tests over the spec's links, sent and checked like `call_and_validate`:
        `TestAPI = contract.state_machine().TestCase` in a pytest module runs them."""
        from .phases import state_machine

        return state_machine(self)

    def reset_fake(self) -> bool:
        """Back to the fixture state (this vendor's fake only) when the target is an in-process ticketfakes
        app; False otherwise (a real service is never reset)."""
        state = getattr(getattr(self.app, "state", None), "ticketfakes", None)
        if state is None:
            return False
        state.reset(self.vendor.fake)
        self.ledger.reset(self.vendor.fake)  # what the run created there is gone with the reset
        return True

    def close(self) -> None:
        if self._schema is not None:
            _BY_DOCUMENT.pop(id(self._schema.raw_schema), None)
        if self._owns_client:
            self.client.close()

    def __enter__(self) -> Contract:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
