"""Serving `ticketfakes proxy` as a subprocess for the proxy tests (upstreams: `ServedProcess`, mutants)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections import deque
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
        command = [sys.executable, "-m", "ticketfakes", "proxy", "--port", "0", *args]
        self.output: deque[str] = deque(maxlen=2000)
        self.started_at = time.perf_counter()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True, env=env)
        self.url = self._wait_for_url(timeout)
        self.drain = threading.Thread(target=self._drain, daemon=True)
        self.drain.start()
        self.returncode: int | None = None

    def stop(self) -> None:
        super().stop()
        self.returncode = self.process.returncode
        if getattr(self, "drain", None) is not None:
            self.drain.join(timeout=10)

    @property
    def text(self) -> str:
        return "\n".join(self.output)

    def violations(self, **params: str) -> list[dict]:
        response = httpx.get(self.url + "/_admin/violations", params=params, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()["violations"]

    def rules(self) -> set[str]:
        return {item["rule"] for item in self.violations()}
