"""Serving `ticketfakes proxy` as a subprocess for the proxy tests (upstreams: `ServedProcess`, mutants)."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import httpx

from ticketfakes.server import ServedProcess

ROOT = Path(__file__).resolve().parents[1]
PREFIXES = {"talque": "/talque", "gomry": "/gomry/api/v1", "planhat": "/planhat"}


def closed_port() -> int:
    """A port nothing listens on (just now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def upstream_args(url: str, vendors: tuple[str, ...] = tuple(PREFIXES)) -> list[str]:
    """`--upstream VENDOR=URL` for each vendor of a ticketfakes server at `url`."""
    args = []
    for vendor in vendors:
        args += ["--upstream", f"{vendor}={url}{PREFIXES[vendor]}"]
    return args


class ServedProxy(ServedProcess):
    """`ticketfakes proxy --port 0 ARGS`; `stop()` leaves its exit status in `returncode` and its whole
    output (the exit summary included) in `output`."""

    def __init__(self, *args: str, timeout: float = 30.0) -> None:
        self._spawn([sys.executable, "-m", "ticketfakes", "proxy", "--port", "0", *args], ROOT, timeout)
        self.returncode: int | None = None

    def stop(self) -> None:
        super().stop()
        self.returncode = self.process.returncode
        drain = getattr(self, "drain", None)  # None: it never started
        if drain is not None:
            drain.join(timeout=10)  # the rest of its output: the exit summary

    @property
    def text(self) -> str:
        return "\n".join(self.output)

    def violations(self, **params: str) -> list[dict]:
        response = httpx.get(self.url + "/_admin/violations", params=params, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()["violations"]
