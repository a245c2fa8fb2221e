"""`Fake`: everything the shared code needs to know about one vendor's fake, in one description.

Each `fakes/<vendor>/__init__.py` exposes one `FAKE`; `ticketfakes.fakes.registered()` lists them (the
built-in ones and those of other packages, found through the `ticketfakes.fakes` entry point group).
The server, the state, the fixture loader, the CLI, the pytest plugin, the rate limiter, the control
plane, the contract checker, the dashboard, the proxy and `fixtures from-har` derive what they need
from these descriptions, so shared code names no vendor (docs/adding-a-vendor.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from .core.clock import Clock
from .core.paths import under
from .core.ratelimit import Limit, Verdict
from .errors import ErrorShape
from .routing import Endpoint
from .specs import SpecFile

if TYPE_CHECKING:
    from starlette.responses import Response

    from .admin.insight.base import VendorInsight
    from .core.reader import Reader
    from .har.base import VendorRecording
    from .proxy.rules.base import Observer

NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")


class Backend(Protocol):
    """The model of a fake: its rules and state, no HTTP (`fakes/<vendor>/model.py`)."""

    @classmethod
    def from_fixture(cls, section: Reader | None, clock: Clock) -> Backend: ...

    def dump(self) -> dict[str, Any]: ...

    def restore(self, state: dict[str, Any]) -> None: ...  # raises BadRequest, keeping the old state

    def template_data(self) -> Any: ...  # what `fixture_cache.Template` copies for every new backend

    @classmethod
    def from_template_data(cls, data: Any, clock: Clock) -> Backend: ...


class Backends(Protocol):
    """What endpoints are built against: the backend of the request's namespace, looked up per call."""

    def backend(self, vendor: str) -> Any: ...


Endpoints = Callable[[Backends], list[Endpoint]]


@dataclass
class Fake:
    """One vendor's fake: where it is served, its documents, its model, its endpoints and its extras."""

    name: str  # fixture section, state dump key, `vendor` of the journal, fault rules and rate limits
    prefix: str  # where it is served, e.g. /gomry/api/v1
    specs: tuple[SpecFile, ...]  # the OpenAPI documents served under `prefix`
    error_shape: ErrorShape  # every error of the prefix, starlette's 404/405 included
    backend: type[Any]  # a `Backend`
    endpoints: Endpoints
    summary: str = ""  # one line for `ticketfakes serve --help` and the docs
    rate_limit: Limit | None = None  # the published limit, switched on by PUT /_admin/rate-limits
    rate_headers: Callable[[Verdict, Response], None] | None = None  # headers that tell a caller its limit
    # Control-plane extras under /_admin (e.g. /gomry/outbox) and the document that specifies them.
    admin_endpoints: Endpoints | None = None
    admin_spec: SpecFile | None = None
    # The contract-check vendors of this fake (`ticketfakes check NAME`): a function, because the checker
    # imports schemathesis and a server must not pay for that at start-up.
    contract: Callable[[], Sequence[Any]] | None = None
    check_names: tuple[str, ...] = field(default_factory=tuple)  # what `contract()` returns, by name
    # Request headers that carry a secret, lower case: masked in the journal's header lists and in HAR
    # recordings (Authorization, Proxy-Authorization and cookies always are).
    secret_headers: tuple[str, ...] = ()
    # What the dashboard, the proxy and `fixtures from-har` know of this vendor beyond its spec: functions
    # that import it when a feature first asks. Without one, the feature treats the fake generically.
    dashboard: Callable[[], VendorInsight] | None = None  # refusals explained, entities touched, client bugs
    observer: Callable[[], Observer] | None = None  # a fresh passive-rule observer for the proxy
    har: Callable[[], VendorRecording] | None = None  # collects what a recording showed, writes its section

    def __post_init__(self) -> None:
        if not NAME.fullmatch(self.name) or self.name in RESERVED:
            raise ValueError(f"fake name {self.name!r}: expected [a-z][a-z0-9_]{{0,31}}, not one of {RESERVED}")
        reserved = any(under(self.prefix, taken) for taken in RESERVED_PREFIXES)
        if not PREFIX.fullmatch(self.prefix) or reserved:
            raise ValueError(f"fake {self.name}: prefix {self.prefix!r} must be /segment[/segment...] and not be "
                             f"under {' or '.join(RESERVED_PREFIXES)}")


RESERVED = ("admin", "none", "all", "default")  # what the control plane and the checker use as names
RESERVED_PREFIXES = ("/_admin", "/ns")  # the control plane's and the namespaces'
PREFIX = re.compile(r"(/[A-Za-z0-9._~-]+)+")
