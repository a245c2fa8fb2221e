"""What the shared checker and one vendor's checks agree on: a leaf every check module may import.

A vendor describes each API contract it offers as a `CheckVendor` (its spec, default credential and
parameters, and the hooks and tables below); `checks.vendors.registered()` finds them. Its rules and
hooks receive a `Contract`: the protocol here is what they may use of `checks.contract.Contract`, so
that no module below the registry imports the class that imports the registry (tests/test_imports.py).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ..specs import SpecFile

if TYPE_CHECKING:
    import httpx
    from schemathesis import Case
    from schemathesis.core.transport import Response
    from schemathesis.specs.openapi.schemas import OpenApiSchema

    from .coverage import Coverage
    from .ledger import Ids, Ledger
    from .reproduce import Files, Recorded
    from .target import Recorder, Target


@dataclass(frozen=True)
class Param:
    default: str
    help: str
    example: str = ""  # what such an id looks like at the vendor, for setup messages ("": `<id>`)


@dataclass(frozen=True)
class Probe:
    """One request that must succeed; `param` names the --param it depends on (None: the base URL)."""

    method: str
    path: Callable[[Contract], str]
    body: Callable[[Contract], object] | None = None
    query: dict[str, str] | None = None
    param: str | None = None
    # Set: sent only when business rules run, and a failure is prefixed with why they need it.
    for_rules: str = ""
    # A 404 that says the route is missing, not that the --param names nothing (None: never).
    route_missing: Callable[[Contract, httpx.Response], bool] | None = None
    # Put what a 2xx answer says the target stored into the ledger (None: the probe creates nothing).
    created: Callable[[Contract, object, httpx.Response], None] | None = None


@dataclass(frozen=True)
class Refusal:
    """A schema-valid request the contract refuses on a rule no JSON Schema states (the vendor's docs page)."""

    status: int
    fields: frozenset[str] | None  # the only fields the error may blame (indexes as `[]`); None: any
    why: str
    # The rule's condition on the request body, where it can be stated: a refusal when it does not hold (a
    # `cursor: null`, a `limit` of 50) is a schema-valid request rejected, not this documented refusal.
    when: Callable[[Any], bool] | None = None


@dataclass(frozen=True)
class Misreading:
    failure: str  # the schemathesis Failure class it excuses, e.g. "UseAfterFree"
    status: int  # the only status it excuses
    when: Callable[[Case, Response], bool]
    why: str


# By operation label (`POST /events/{eventId}/attendees`).
Refusals = Mapping[str, Sequence[Refusal]]
Misreadings = Mapping[str, Sequence[Misreading]]


@dataclass(frozen=True)
class CheckVendor:
    """One API contract the checker can check, and everything it knows of it besides the business rules
    (which register themselves with `@rule(name, vendor)`)."""

    name: str  # what the CLI takes: `ticketfakes check NAME`
    fake: str  # the fake (and state section) that serves it
    spec: SpecFile
    headers: Mapping[str, str]  # the default credential
    params: Mapping[str, Param] = field(default_factory=dict)
    # Reports: credentials of the default fixture are not secret, so reproductions show them; the values
    # of these headers (lower case) and parameters are redacted otherwise.
    fixture_secrets: frozenset[str] = frozenset()
    credential_headers: frozenset[str] = frozenset()
    secret_params: frozenset[str] = frozenset()
    # Preflight: the known-good requests sent before anything is fuzzed (docs/contract-checks.md).
    probes: Sequence[Probe] = ()
    # Safety: rewrite a generated case's body (and ids) before it is sent, returning the body; record in
    # the ledger what a response (a JSON object) says was created or deleted; delete what the run created.
    prepare: Callable[[Contract, Case, Any], Any] | None = None
    observe: Callable[[Contract, Case, int, dict[str, Any]], None] | None = None
    cleanup: Callable[[Contract], None] | None = None
    # Documented refusals and behaviours a built-in schemathesis check misreads, by operation.
    refusals: Refusals = field(default_factory=dict)
    misreadings: Misreadings = field(default_factory=dict)
    # The ticketfakes response checks (`@schemathesis.check`) that act on this vendor's responses.
    response_checks: tuple[Callable[..., Any], ...] = ()

    @property
    def prefix(self) -> str:
        return self.spec.prefix


class Contract(Protocol):
    """What rules, hooks and the shared check modules use of `checks.contract.Contract`."""

    vendor: CheckVendor
    name: str
    params: dict[str, str]
    headers: dict[str, str]
    seed: int | None
    random: random.Random
    ids: Ids
    ledger: Ledger
    recorder: Recorder
    files: Files
    app: Any
    target: Target

    @property
    def secrets(self) -> list[str]: ...

    @property
    def coverage(self) -> Coverage: ...

    @property
    def schema(self) -> OpenApiSchema: ...

    def reproduce(self, entries: list[Recorded]) -> list[str]: ...

    def other_target(self, headers: Mapping[str, str]) -> Target: ...

    def param(self, name: str) -> str: ...

    def int_param(self, name: str) -> int: ...

    def reset_fake(self) -> bool: ...
