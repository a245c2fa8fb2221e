"""`Contract`: everything the checks of one vendor share during a run.

The target (base URL or in-process app) with the main credential, the parameters, the run's id
prefix, a seeded random source, and the `Ledger` of what the run created. Against a real service the
checks only ever write ids that start with `ticketfakes-check-<run>-`, and only ever change or delete
what the ledger says this run created.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx

from . import phases
from . import schema as schemas
from .coverage import Coverage
from .ledger import Ids, Ledger, new_run_id
from .report import trim
from .reproduce import Files, default_files
from .target import IN_PROCESS_ROOT, Recorder, Target, http_client, in_process_client
from .vendors import VENDORS, CheckVendor, resolve_headers

if TYPE_CHECKING:
    from schemathesis.specs.openapi.schemas import OpenApiSchema

    from .target import Recorded


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
        # Any vendor's credential header or secret parameter: `--header` applies to every vendor of a run.
        vendors = VENDORS.values()
        credential_headers = {name for vendor in vendors for name in vendor.credential_headers}
        secret_params = {name for vendor in vendors for name in vendor.secret_params}
        fixture_secrets = {value for vendor in vendors for value in vendor.fixture_secrets}
        values = [value for name, value in self.headers.items() if name.lower() in credential_headers]
        values += [self.params.get(name, "") for name in sorted(secret_params)]
        hidden = []
        for value in values:
            token = value.split(" ", 1)[1] if value.lower().startswith(("bearer ", "basic ")) else value
            if value and value not in fixture_secrets and token not in fixture_secrets:
                hidden.extend([value, token])
        return hidden

    def reproduce(self, entries: list[Recorded]) -> list[str]:
        """The curl commands that repeat `entries`, the last `MAX_REPRO_LINES` (files beside the report)."""
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
            self._coverage = Coverage([operation.label for operation in phases.operations(self)])
        return self._coverage

    def _observe_rule(self, method: str, path: str, status: int | None) -> None:
        sent = self.recorder.snapshot()[-1:]
        self.coverage.rule(method, path, status, sent[0] if sent else None)

    # -- schemathesis ------------------------------------------------------------------------------
    @property
    def schema(self) -> OpenApiSchema:
        """The vendor's spec as a schemathesis schema aimed at this contract's target."""
        if self._schema is None:
            self._schema = schemas.load_schema(self)  # which finds this contract again by the schema
        return self._schema

    def call_and_validate(self, case: Any) -> Any:
        """Prepare `case` (credentials, safe ids), send it, run every built-in and ticketfakes check."""
        return schemas.call_and_validate(self, case)

    def state_machine(self) -> type:
        """schemathesis' stateful tests over the spec's links, sent and checked like `call_and_validate`:
        `TestAPI = contract.state_machine().TestCase` in a pytest module runs them."""
        return phases.state_machine(self)

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
            schemas.forget_schema(self._schema)
        if self._owns_client:
            self.client.close()

    def __enter__(self) -> Contract:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
