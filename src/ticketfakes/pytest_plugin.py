"""pytest fixtures for testing against ticketfakes (registered through the `pytest11` entry point).

    def test_checkout(ticketfakes):
        response = httpx.post(ticketfakes.base_url("gomry") + "/events/evt_demo/attendees", ...)

`ticketfakes_server` (session) starts the real server on a free port, or uses `--ticketfakes-url`;
`ticketfakes` gives each test a fresh world; `ticketfakes_isolated` gives a test a namespace of its own.

Parallel-safe by default (docs/namespaces.md): on a shared server (`--ticketfakes-url`) every pytest
process (each xdist worker) works in its own namespace, which each test renews and the session deletes at
its end; without `--ticketfakes-url` each process starts its own server and uses its `default` namespace.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from .admin.client import Admin
from .fakes import by_name
from .state import DEFAULT_NAMESPACE

SEED = pytest.StashKey[dict[str, Any]]()


@dataclass
class Fakes:
    """One namespace of a running ticketfakes: its root `url` (`/ns/{name}` included unless it is
    `default`), an `admin` client for it, and each vendor's base URL."""

    url: str
    admin: Admin
    namespace: str = DEFAULT_NAMESPACE
    server_url: str = ""  # the server's root, without a namespace
    # what a fresh world starts from: {} (the server's fixture file) or {"state": dump} (seeded)
    seed: dict[str, Any] = field(default_factory=dict)

    def base_url(self, vendor: str) -> str:
        return self.url + by_name(vendor).prefix

    def renew(self) -> None:
        """Back to a fresh world: the seed's state, clock, journal, outbox; no faults, replays or limits.
        Undoes a test's own `admin.reset(fixtures=...)` too, so that it never leaks into the next test."""
        self.admin.put_namespace(self.namespace, **self.seed)

    def namespaced(self, name: str) -> Fakes:
        """The same server's namespace `name` (created by `renew`, removed by `admin.delete_namespace`)."""
        admin = Admin(self.server_url, self.admin.http, namespace=name)
        return Fakes(admin.root, admin, name, self.server_url, self.seed)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ticketfakes")
    group.addoption("--ticketfakes-fixtures", default=None, help="fixture file for the served fakes")
    group.addoption("--ticketfakes-url", default=None, help="use an already running ticketfakes server")
    group.addoption(
        "--ticketfakes-namespace",
        default=None,
        help="with --ticketfakes-url: the namespace to use (default: a new one per pytest process)",
    )


def _session_namespace(pytestconfig: pytest.Config) -> str:
    chosen = pytestconfig.getoption("ticketfakes_namespace")
    if chosen:
        return str(chosen)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"pytest-{worker}-{secrets.token_hex(4)}"  # unique: other CI jobs may share the server


def _seed(fixtures: str | None) -> dict[str, Any]:
    """`--ticketfakes-fixtures` for a server this session did not start: the file's state as a dump,
    built here (the server may not see this machine's files); a bad file stops the run."""
    if not fixtures:
        return {}
    from .fixtures import FixtureError
    from .state import State

    try:
        return {"state": State(Path(fixtures).resolve()).dump()}
    except FixtureError as exc:
        raise pytest.UsageError(f"--ticketfakes-fixtures: {exc}") from None


def pytest_configure(config: pytest.Config) -> None:
    # Before any test (and on the xdist controller too): a bad file stops the whole run with one message.
    if config.getoption("ticketfakes_url", None):
        config.stash[SEED] = _seed(config.getoption("ticketfakes_fixtures", None))


def _open(fakes: Fakes) -> None:
    try:
        fakes.renew()
    except httpx.HTTPStatusError as exc:
        raise pytest.UsageError(
            f"--ticketfakes-url: cannot create namespace {fakes.namespace!r} on {fakes.server_url}: "
            f"{exc.response.status_code} {exc.response.text[:300]}"
        ) from None
    except httpx.TransportError as exc:
        raise pytest.UsageError(f"--ticketfakes-url: no ticketfakes at {fakes.server_url}: {exc}") from None


def _require_server(root: str) -> None:
    """Stop the run in one line when nothing (or no ticketfakes) answers at --ticketfakes-url."""
    probe = Admin(root)
    try:
        probe.clock()
    except httpx.HTTPError as exc:
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        pytest.exit(f"ticketfakes: no ticketfakes server answers at --ticketfakes-url {root} ({reason})",
                    returncode=pytest.ExitCode.USAGE_ERROR)
    finally:
        probe.close()


@pytest.fixture(scope="session")
def ticketfakes_server(pytestconfig: pytest.Config) -> Iterator[Fakes]:
    url = pytestconfig.getoption("ticketfakes_url")
    fixtures = pytestconfig.getoption("ticketfakes_fixtures")
    if url:
        root = url.rstrip("/")
        _require_server(root)
        namespace = _session_namespace(pytestconfig)
        admin = Admin(root, namespace=namespace)
        fakes = Fakes(admin.root, admin, namespace, root, pytestconfig.stash[SEED])
        _open(fakes)
        yield fakes
        if namespace != DEFAULT_NAMESPACE and not pytestconfig.getoption("ticketfakes_namespace"):
            admin.delete_namespace(namespace)  # frees its slot under the server's --max-namespaces
        admin.close()
        return
    from .server import ServedProcess

    with ServedProcess(Path(fixtures).resolve() if fixtures else None) as served:
        admin = Admin(served.url)
        yield Fakes(served.url, admin, DEFAULT_NAMESPACE, served.url)
        admin.close()


@pytest.fixture
def ticketfakes(ticketfakes_server: Fakes) -> Fakes:
    ticketfakes_server.renew()
    return ticketfakes_server


@pytest.fixture
def ticketfakes_isolated(ticketfakes_server: Fakes) -> Iterator[Fakes]:
    """A fresh namespace for this test alone, on the same server; deleted when the test ends."""
    name = f"{ticketfakes_server.namespace[:40]}-iso-{secrets.token_hex(4)}"
    fakes = ticketfakes_server.namespaced(name)
    fakes.renew()
    yield fakes
    fakes.admin.delete_namespace(name)
