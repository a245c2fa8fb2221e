"""pytest fixtures for testing against ticketfakes (registered through the `pytest11` entry point).

    def test_checkout(ticketfakes):
        response = httpx.post(ticketfakes.url + "/gomry/api/v1/events/evt_demo/attendees", ...)

`ticketfakes_server` (session) starts the real server on a free port, or uses `--ticketfakes-url`;
`ticketfakes` resets its state before each test.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from .admin.client import Admin

VENDOR_PREFIXES = {"talque": "/talque", "gomry": "/gomry/api/v1", "planhat": "/planhat"}


@dataclass
class Fakes:
    """A running ticketfakes: its root `url`, an `admin` client, and each vendor's base URL."""

    url: str
    admin: Admin

    def base_url(self, vendor: str) -> str:
        return self.url + VENDOR_PREFIXES[vendor]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ticketfakes")
    group.addoption("--ticketfakes-fixtures", default=None, help="fixture file for the served fakes")
    group.addoption("--ticketfakes-url", default=None, help="use an already running ticketfakes server")


@pytest.fixture(scope="session")
def ticketfakes_server(pytestconfig: pytest.Config) -> Iterator[Fakes]:
    url = pytestconfig.getoption("ticketfakes_url")
    if url:
        admin = Admin(url)
        try:
            admin.clock()
        except httpx.HTTPError as exc:
            admin.close()
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            pytest.exit(f"ticketfakes: no ticketfakes server answers at --ticketfakes-url {url} ({reason})",
                        returncode=pytest.ExitCode.USAGE_ERROR)
        yield Fakes(url.rstrip("/"), admin)
        admin.close()
        return
    from .server import ServedProcess

    fixtures = pytestconfig.getoption("ticketfakes_fixtures")
    with ServedProcess(Path(fixtures).resolve() if fixtures else None) as served:
        admin = Admin(served.url)
        yield Fakes(served.url, admin)
        admin.close()


@pytest.fixture
def ticketfakes(ticketfakes_server: Fakes) -> Fakes:
    ticketfakes_server.admin.reset()
    return ticketfakes_server
