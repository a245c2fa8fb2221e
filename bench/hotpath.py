"""The hot path in-process: each case driven straight through the ASGI app (no sockets, no uvicorn).

    python bench/hotpath.py [--seconds 2] [--cases a,b] [--out bench/results/profile.json]

For every case it reports the CPU microseconds per request of the app alone, and with pyinstrument where
that time goes: self time per function, and per part of the walk (starlette, routing, body parsing,
validation, the vendor's model, serialisation, the journal). bench/run calls `profile_cases`.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cases import Case, all_cases

ROOT = Path(__file__).resolve().parent.parent

# Where a frame's self time goes, by the file it runs in. Built-ins and the standard library (random,
# dataclasses, json's Python half) count for the nearest caller that is one of these parts.
PARTS = (
    ("ticketfakes/validation.py", "validation (jsonschema-rs)"),
    ("ticketfakes/bodies.py", "body read + JSON parse"),
    ("ticketfakes/call.py", "body read + JSON parse"),
    ("ticketfakes/core/journal.py", "journal"),
    ("ticketfakes/pipeline.py", "pipeline (pipeline.py, routing.py)"),
    ("ticketfakes/routing.py", "pipeline (pipeline.py, routing.py)"),
    ("ticketfakes/responses.py", "serialisation (orjson)"),
    ("ticketfakes/errors.py", "errors"),
    ("ticketfakes/fakes/", "vendor model + routes"),
    ("ticketfakes/core/", "core (clock, ids, pagination)"),
    ("starlette/", "starlette"),
    ("bench/hotpath.py", "bench driver"),
)


def part_of(file_path: str, inherited: str) -> str:
    for needle, name in PARTS:
        if needle in file_path:
            return name
    return inherited


class Driver:
    """Sends requests to an ASGI app in-process; returns (status, body)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def request(self, method: str, url: str, headers: dict[str, str], body: bytes | None) -> tuple[int, bytes]:
        path, _, query = url.partition("?")
        raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        if body is not None:
            raw.append((b"content-length", str(len(body)).encode()))
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
            "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query.encode(),
            "root_path": "", "headers": raw, "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
        }
        sent = False
        status = 0
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body or b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(chunks)


def prepare(app: Any, case: Case) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starlette's notice about httpx: irrelevant to a bench prepare step
        from starlette.testclient import TestClient

    if case.prepare is not None:
        with TestClient(app) as client:
            case.prepare(client)


async def _loop(
    driver: Driver, case: Case, url: str, seconds: float, counter: itertools.count[int]
) -> tuple[int, float, set[int]]:
    headers = case.all_headers()
    template = case.body
    statuses: set[int] = set()
    n = 0
    started = time.perf_counter()
    cpu_started = time.process_time()  # CPU time: the figure that other jobs on a busy machine distort least
    deadline = started + seconds
    while True:
        body = template.replace(b"@@N@@", f"p{next(counter)}".encode()) if template is not None else None
        status, _ = await driver.request(case.method, url, headers, body)
        statuses.add(status)
        n += 1
        if time.perf_counter() >= deadline:
            break
    return n, time.process_time() - cpu_started, statuses


def profile_case(case: Case, seconds: float, app: Any, with_profile: bool = True) -> dict[str, Any]:
    from pyinstrument import Profiler

    app.state.ticketfakes.reset()  # back to the bench fixture, as bench/run does before each case
    prepare(app, case)
    driver = Driver(app)
    url = {"talque": "/talque", "gomry": "/gomry/api/v1", "planhat": "/planhat"}[case.vendor] + case.path
    counter = itertools.count()

    async def measure() -> dict[str, Any]:
        await _loop(driver, case, url, min(0.3, seconds), counter)  # warm-up
        n, elapsed, statuses = await _loop(driver, case, url, seconds, counter)
        timing = {"us_per_request": elapsed / n * 1e6, "requests": n, "statuses": sorted(statuses)}
        if not with_profile:
            return timing
        profiler = Profiler(interval=0.0002, async_mode="disabled")
        profiler.start()
        await _loop(driver, case, url, seconds, counter)
        profiler.stop()
        return {**timing, "profile": summarise(profiler)}

    return asyncio.run(measure())


def _short(file_path: str) -> str:
    """A file as the report names it: relative to the repository or to site-packages, never this machine's."""
    path = Path(file_path)
    if path.is_relative_to(ROOT):
        return path.relative_to(ROOT).as_posix().removeprefix("src/")
    return file_path.split("site-packages/")[-1].split("lib/python3.11/")[-1]


def summarise(profiler: Any, top: int = 12) -> dict[str, Any]:
    root = profiler.last_session.root_frame()
    by_function: dict[str, float] = defaultdict(float)
    by_part: dict[str, float] = defaultdict(float)
    total = root.time if root is not None else 0.0
    stack = [(root, "other")] if root is not None else []
    while stack:
        frame, inherited = stack.pop()
        part = part_of(frame.file_path or "", inherited)
        stack.extend((child, part) for child in frame.children)
        if frame.is_synthetic or not frame.file_path:
            continue
        own = frame.total_self_time  # pyinstrument keeps self time in synthetic "[self]" children
        if own <= 0:
            continue
        short = _short(frame.file_path)
        by_function[f"{frame.function} ({short}:{frame.line_no})"] += own
        by_part[part] += own
    share = (lambda t: round(100 * t / total, 1)) if total else (lambda t: 0.0)
    functions = sorted(by_function.items(), key=lambda kv: -kv[1])[:top]
    return {
        "parts_pct": {k: share(v) for k, v in sorted(by_part.items(), key=lambda kv: -kv[1])},
        "top_self_pct": [[name, share(t)] for name, t in functions],
    }


def profile_cases(
    names: list[str] | None, seconds: float, fixtures: Path, with_profile: bool = True
) -> dict[str, Any]:
    from ticketfakes.app import create_app

    app = create_app(fixtures)
    results = {}
    for case in all_cases():
        if names and case.name not in names:
            continue
        results[case.name] = profile_case(case, seconds, app, with_profile)
        print(f"  profile {case.name}: {results[case.name]['us_per_request']:.0f} µs/request", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--cases", default="")
    parser.add_argument("--fixtures", default=str(ROOT / "bench" / "fixtures.yaml"))
    parser.add_argument("--out", default="")
    parser.add_argument("--no-profile", action="store_true", help="time only, no pyinstrument")
    args = parser.parse_args()
    names = [c for c in args.cases.split(",") if c]
    results = profile_cases(names, args.seconds, Path(args.fixtures), not args.no_profile)
    text = json.dumps(results, indent=2, ensure_ascii=False)
    if args.out:
        Path(args.out).write_text(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
