"""Server processes for the benchmark: start, time to the first successful request, memory, stop."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from ticketfakes.server import stop_process


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Probe:
    """The request that proves a server is up: it must answer 2xx."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None

    def ok(self, port: int) -> bool:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            connection.request(self.method, self.path, body=self.body, headers=self.headers)
            response = connection.getresponse()
            response.read()
            return 200 <= response.status < 300
        except OSError:
            return False
        finally:
            connection.close()


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.append(int(entry.name))
    return found


def _status_kib(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Server:
    def __init__(
        self, name: str, command: list[str], port: int, probe: Probe, cwd: str | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.env = {**os.environ, **(env or {})}
        self.command = command
        self.port = port
        self.probe = probe
        self.cwd = cwd
        self.process: subprocess.Popen[bytes] | None = None
        self.log = Path(os.environ.get("BENCH_WORKDIR", "/tmp")) / f"{name}-{port}.log"

    def start(self, timeout: float = 60.0) -> float:
        """Spawns the server; seconds from spawn to its first 2xx answer to the probe."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        log = self.log.open("wb")
        started = time.perf_counter()
        self.process = subprocess.Popen(
            self.command, stdout=log, stderr=subprocess.STDOUT, cwd=self.cwd, env=self.env,
            start_new_session=True,
        )
        log.close()
        deadline = started + timeout
        while time.perf_counter() < deadline:
            if self.probe.ok(self.port):
                return time.perf_counter() - started
            if self.process.poll() is not None:
                break
            time.sleep(0.002)
        output = self.log.read_text(errors="replace")[-2000:]
        self.stop()
        raise RuntimeError(f"{self.name} did not start: {output}")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def pids(self) -> list[int]:
        if self.process is None:
            return []
        pids, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            todo.extend(_children(pid))
        return pids

    def memory_mb(self) -> dict[str, float]:
        """Current (VmRSS) and peak (VmHWM) resident memory of the process and its children, in MiB."""
        pids = self.pids()
        return {
            "rss_mb": round(sum(_status_kib(p, "VmRSS") for p in pids) / 1024, 1),
            "peak_rss_mb": round(sum(_status_kib(p, "VmHWM") for p in pids) / 1024, 1),
        }

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
