"""Shared test fixtures. HTTP tests run against `ticketfakes serve` in a subprocess (the way users run
it), through the project's own pytest plugin: `ticketfakes` resets the state before each test.
Each xdist worker gets its own server, so tests stay isolated when run in parallel."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from ticketfakes.pytest_plugin import Fakes

pytest_plugins = ["pytester"]

TALQUE_AUTH = {"X-TQ-CLIENT-ID": "demo-client", "X-TQ-SECRET": "demo-secret"}
OTHER_TALQUE_AUTH = {"X-TQ-CLIENT-ID": "other-client", "X-TQ-SECRET": "other-secret"}
GOMRY_WRITE = {"X-API-KEY": "gk_demo_write"}
GOMRY_READ = {"X-API-KEY": "gk_demo_read"}
GOMRY_OTHER = {"X-API-KEY": "gk_other"}
PLANHAT_AUTH = {"Authorization": "Bearer ph_demo_token"}


@pytest.fixture
def http(ticketfakes: Fakes) -> Iterator[httpx.Client]:
    """An HTTP client on the served fakes' root URL, state freshly reset."""
    with httpx.Client(base_url=ticketfakes.url, timeout=30.0) as client:
        yield client


def assert_no_drift(response: httpx.Response) -> None:
    assert response.headers.get("x-ticketfakes-drift") is None, response.text
