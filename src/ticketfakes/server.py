"""Start `ticketfakes serve` as a subprocess on a free port: what tests and the pytest plugin use."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path

import httpx


def stop_process(process: subprocess.Popen, grace_s: float = 10.0) -> None:
    """SIGTERM (uvicorn then finishes in-flight requests), SIGKILL if it is not gone in `grace_s`."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class ServerError(RuntimeError):
    """The server did not start; the message carries its last output lines."""


class ServedProcess:
    """A running `ticketfakes serve`; `url` is its root (vendors live under their prefixes)."""

    def __init__(
        self,
        fixtures: str | Path | None = None,
        validate_responses: bool = True,
        extra_args: tuple[str, ...] = (),
        timeout: float = 20.0,
    ) -> None:
        args = [sys.executable, "-m", "ticketfakes", "serve", "--port", "0", *extra_args]
        if fixtures:
            args += ["--fixtures", str(fixtures)]
        if validate_responses:
            args.append("--validate-responses")
        self._spawn(args, None, timeout)

    def _spawn(self, args: list[str], cwd: str | Path | None, timeout: float) -> None:
        """Starts `args` (a command that prints "ticketfakes serving on URL") and waits until it answers."""
        self.output: deque[str] = deque(maxlen=200)
        self.started_at = time.perf_counter()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
        )
        self.url = self._wait_for_url(timeout)
        self.startup_s = time.perf_counter() - self.started_at
        self.drain = threading.Thread(target=self._drain, daemon=True)
        self.drain.start()

    def _wait_for_url(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        assert self.process.stdout is not None
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.output.append(line.rstrip())
            if line.startswith("ticketfakes serving on "):
                url = line.split()[3]
                self._wait_ready(url, deadline)
                return url
        self.stop()
        raise ServerError("ticketfakes serve did not start:\n" + "\n".join(self.output))

    def _wait_ready(self, url: str, deadline: float) -> None:
        while time.monotonic() < deadline:
            try:
                httpx.get(url + "/_admin/clock", timeout=1.0)
                return
            except httpx.TransportError:
                time.sleep(0.01)

    def _drain(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line.rstrip())

    def stop(self) -> None:
        stop_process(self.process)

    def __enter__(self) -> ServedProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
