"""What namespaces cost (docs/namespaces.md), in-process, as ratios measured in one run.

    python bench/namespaces.py [--seconds 0.3] [--rounds 16] [--out bench/results/namespaces.json]
                               [--before OLD_CHECKOUT/src [--repeat 2]]

- creating a namespace (first use, and `PUT /_admin/namespaces/{name}`) and resetting one
  (`POST /ns/{name}/_admin/reset`), each against one light request (`GET /gomry/api/v1/events`); a new
  namespace's first requests to all three vendors, against the same three requests; each vendor's copy;
- the namespace lookup on the per-ticket endpoints: each bench case sent to `/ns/default/...` against the
  same case on the bare path (one State, so only the lookup differs), interleaved, median ratio;
- memory per idle namespace and per 1,000 (tracemalloc, and the process's resident size);
- with `--served-rounds N`, the lookup end to end: wrk on `ticketfakes serve`, the bare path against
  `/ns/default/...`, N alternating pairs per case, the median throughput ratio (what a client sees).

Times are CPU µs of the app alone (bench/hotpath.py's driver, no sockets). bench/run runs this as its
`namespaces` phase; `--skip namespaces` leaves it out. `--before` is a copy of an older `src/` (specs and
fixtures beside it, as in the repo): the whole measurement then runs in a process per tree, the trees
alternating `--repeat` times, and each figure is the median of its tree's runs (before/after in one run).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cases import Case, all_cases
from hotpath import Driver, prepare

ROOT = Path(__file__).resolve().parent.parent
PER_TICKET = ("talque_read_10", "talque_list_page", "webhook_1_created", "gomry_create", "gomry_list", "planhat_put_1")
PREFIXES = {"talque": "/talque", "gomry": "/gomry/api/v1", "planhat": "/planhat"}
LIGHT = ("GET", "/gomry/api/v1/events", {"x-api-key": "gk_demo_write"})
# One light request per vendor: a namespace used with all three pays for three copies.
EACH_VENDOR = (
    ("GET", "/gomry/api/v1/events", {"x-api-key": "gk_demo_write"}, None),
    ("POST", "/talque/api/v1/ticket/list",
     {"x-tq-client-id": "demo-client", "x-tq-secret": "demo-secret", "content-type": "application/json"},
     b'{"orgId": "org-demo"}'),
    ("GET", "/planhat/tickets", {"authorization": "Bearer ph_demo_token"}, None),
)


def cpu_us(run: Any, seconds: float) -> float:
    """CPU µs per call of the coroutine function `run(i)`, over about `seconds` of wall time."""

    async def loop() -> float:
        n, started, deadline = 0, time.process_time(), time.perf_counter() + seconds
        while True:
            await run(n)
            n += 1
            if time.perf_counter() >= deadline:
                return (time.process_time() - started) / n * 1e6

    return asyncio.run(loop())


def checked(status: int, expected: int, what: str) -> None:
    if status != expected:
        raise RuntimeError(f"{what}: status {status}, expected {expected}")


def creation(seconds: float, rounds: int = 5) -> dict[str, Any]:
    """Create and reset from the default fixture, against one light request, on the default fixture."""
    from ticketfakes.app import create_app

    app = create_app()
    driver = Driver(app)
    counter = itertools.count()

    async def light(_: int) -> None:
        checked((await driver.request(*LIGHT, None))[0], 200, "light request")

    async def first_use(_: int) -> None:
        name = f"c{next(counter)}"
        checked((await driver.request(*LIGHT[:1], f"/ns/{name}" + LIGHT[1], LIGHT[2], None))[0], 200, "first use")
        app.namespaces.delete(name)  # bounded memory; freeing the namespace is thus counted in its creation

    async def each_vendor(_: int) -> None:
        for method, path, headers, body in EACH_VENDOR:
            checked((await driver.request(method, path, headers, body))[0], 200, path)

    async def first_use_all(_: int) -> None:
        name = f"a{next(counter)}"
        for method, path, headers, body in EACH_VENDOR:
            checked((await driver.request(method, f"/ns/{name}" + path, headers, body))[0], 200, path)
        app.namespaces.delete(name)

    async def put(_: int) -> None:
        name = f"p{next(counter)}"
        checked((await driver.request("PUT", f"/_admin/namespaces/{name}", {}, None))[0], 201, "PUT")
        # As for first use: thousands of namespaces kept would time the garbage collector walking them.
        app.namespaces.delete(name)

    async def renew(_: int) -> None:
        checked((await driver.request("PUT", "/_admin/namespaces/kept", {}, None))[0], 200, "PUT (renew)")

    async def reset(_: int) -> None:
        checked((await driver.request("POST", "/ns/kept/_admin/reset", {}, None))[0], 200, "reset")

    app.namespaces.max_namespaces = 10**9
    asyncio.run(driver.request("PUT", "/_admin/namespaces/kept", {}, None))
    try:
        from ticketfakes.fixture_cache import template_for  # a copy per vendor since this work (no before)
    except ImportError:
        template_for = None
    template = template_for(None) if template_for else None
    vendors = ("talque", "gomry", "planhat") if template else ()
    figures: dict[str, list[float]] = {"light": [], "first_use": [], "put_create": [], "put_renew": [], "reset": [],
                                       "first_use_all_vendors": [], **{f"copy_{v}": [] for v in vendors}}
    for _ in range(rounds):  # interleaved: each figure sees the same machine
        figures["light"].append(cpu_us(light, seconds))
        figures["first_use"].append(cpu_us(first_use, seconds) - figures["light"][-1])  # the request itself out
        figures["put_create"].append(cpu_us(put, seconds))
        figures["put_renew"].append(cpu_us(renew, seconds))
        figures["reset"].append(cpu_us(reset, seconds))
        three = cpu_us(each_vendor, seconds)
        figures["first_use_all_vendors"].append(cpu_us(first_use_all, seconds) - three)
        for vendor in vendors:
            figures[f"copy_{vendor}"].append(cpu_us(copier(template, vendor), seconds / 3))
    us = {name: round(statistics.median(values), 1) for name, values in figures.items()}
    light = {k: round(v / us["light"], 2) for k, v in us.items() if k != "light" and not k.startswith("copy")}
    return {"us": us, "vs_light_request": light}


def copier(template: Any, vendor: str) -> Any:
    """One vendor's copy from the fixture's template."""
    from ticketfakes.core.clock import Clock

    clock = Clock()

    async def copy(_: int) -> None:
        template.backend(vendor, clock)

    return copy


def sender(driver: Driver, case: Case, prefix: str, counter: itertools.count[int]) -> Any:
    url = prefix + PREFIXES[case.vendor] + case.path
    headers = case.all_headers()

    async def send(_: int) -> None:
        body = case.body.replace(b"@@N@@", f"p{next(counter)}".encode()) if case.body else None
        checked((await driver.request(case.method, url, headers, body))[0], case.expect, case.name)

    return send


def lookup(seconds: float, rounds: int, fixtures: Path) -> dict[str, Any]:
    """Each per-ticket case on `/ns/default/...` against the bare path: the same State either way, so the
    difference is the namespace lookup alone (a copied state would differ in its own small ways)."""
    from ticketfakes.app import create_app

    app = create_app(fixtures)
    driver = Driver(app)
    out: dict[str, Any] = {}
    for case in [c for c in all_cases() if c.name in PER_TICKET]:
        app.state.ticketfakes.reset()
        prepare(app, case)
        counter = itertools.count()
        bare, namespaced = sender(driver, case, "", counter), sender(driver, case, "/ns/default", counter)
        cpu_us(bare, 0.3), cpu_us(namespaced, 0.3)  # warm-up
        pairs = []
        for i in range(rounds):  # many short pairs, in alternating order: drift on a busy machine cancels
            if i % 2:
                ns_us = cpu_us(namespaced, seconds)
                pairs.append((cpu_us(bare, seconds), ns_us))
            else:
                pairs.append((cpu_us(bare, seconds), cpu_us(namespaced, seconds)))
        ratio = statistics.median(ns / b for b, ns in pairs)
        out[case.name] = {"bare_us": round(statistics.median(b for b, _ in pairs), 1),
                          "namespaced_us": round(statistics.median(ns for _, ns in pairs), 1),
                          "overhead_us": round(statistics.median(ns - b for b, ns in pairs), 2),
                          "overhead_pct": round((ratio - 1) * 100, 2)}
        print(f"  lookup {case.name}: {out[case.name]}", flush=True)
    return out


def lookup_isolated(rounds: int = 21, n: int = 200_000) -> dict[str, Any]:
    """The lookup's own steps, timed apart from the request around them: what `App` does for
    `/ns/w1/gomry/...` (find the namespace in the raw path, strip it from the scope, count the request,
    switch the context variable there and back) plus five reads of the request's State as a request
    makes them, against the same loop on the bare path (the reads only). Median difference in ns over
    `rounds` interleaved pairs of `n` iterations: a whole request varies by more than the lookup costs."""
    from ticketfakes.app import create_app

    app = create_app()
    app.namespaces.open("w1")
    route, current = app.namespaces.route, app.namespaces.current
    enter, leave, get = current.enter, current.leave, current.get
    path = "/ns/w1/gomry/api/v1/events/evt_demo/attendees"
    raw = bytearray(path.encode())

    def run(namespaced: bool) -> float:
        started = time.perf_counter()
        for _ in range(n):
            scope = {"type": "http", "path": path, "raw_path": bytes(raw)}  # new bytes, as each request brings
            if namespaced and scope["path"].startswith("/ns/"):
                token = enter(route(scope))
                try:
                    get(), get(), get(), get(), get()
                finally:
                    leave(token)
            else:
                get(), get(), get(), get(), get()
        return (time.perf_counter() - started) / n * 1e9

    async def measure() -> list[tuple[float, float]]:  # in a task, as a request is served
        run(False), run(True)
        return [(run(False), run(True)) for _ in range(rounds)]

    pairs = asyncio.run(measure())
    return {"bare_loop_ns": round(statistics.median(b for b, _ in pairs)),
            "namespaced_loop_ns": round(statistics.median(ns for _, ns in pairs)),
            "lookup_ns": round(statistics.median(ns - b for b, ns in pairs))}


def served_lookup(rounds: int, seconds: float) -> dict[str, Any]:
    """The lookup end to end: wrk against one `ticketfakes serve`, each per-ticket case on the bare path and
    on `/ns/default/...` (the same State) in alternating order; the figure is the median of the pairs'
    throughput ratios (what a client sees, uvicorn and the socket included)."""
    import httpx
    from harness import FIXTURES, WORKDIR, ticketfakes_server
    from loadgen import Settings, write_script
    from loadgen import measure as wrk

    settings = Settings(connections=8, threads=1, duration_s=seconds, warmup_s=0.5, repeats=1)
    out: dict[str, Any] = {}
    with ticketfakes_server(FIXTURES) as server:
        server.start()
        with httpx.Client(base_url=server.base, timeout=120) as client:
            for case in [c for c in all_cases() if c.name in PER_TICKET]:
                client.post("/_admin/reset").raise_for_status()
                if case.prepare is not None:
                    case.prepare(client)
                script = write_script(WORKDIR / "wrk", case.name, case.method, case.all_headers(), case.body)
                urls = {prefix: server.base + prefix + PREFIXES[case.vendor] + case.path
                        for prefix in ("", "/ns/default")}
                pairs = []
                for i in range(rounds):
                    order = ("", "/ns/default") if i % 2 == 0 else ("/ns/default", "")
                    rps = {prefix: wrk(urls[prefix], script, settings)["rps"] for prefix in order}
                    pairs.append((rps[""], rps["/ns/default"]))
                ratio = statistics.median(ns / bare for bare, ns in pairs)
                out[case.name] = {"bare_rps": round(statistics.median(b for b, _ in pairs)),
                                  "namespaced_rps": round(statistics.median(n for _, n in pairs)),
                                  "throughput_cost_pct": round((1 - ratio) * 100, 2)}
                print(f"  served lookup {case.name}: {out[case.name]}", flush=True)
    return out


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


def memory(count: int) -> dict[str, Any]:
    """Idle namespaces (created on first use, never used again) on the default fixture."""
    from ticketfakes.app import create_app

    app = create_app()
    app.namespaces.max_namespaces = count
    gc.collect()
    rss_before = rss_bytes()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for i in range(count):
        app.namespaces.open(f"idle-{i}")
    gc.collect()
    traced = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    rss = rss_bytes() - rss_before
    listed = app.namespaces.listing()[1]
    per = traced / count
    return {"namespaces": count, "traced_bytes_per_namespace": round(per),
            "traced_mib_per_1000": round(per * 1000 / 2**20, 2), "rss_mib_for_all": round(rss / 2**20, 1),
            "approx_bytes_reported": listed.as_dict()["approx_bytes"]}


def measure(seconds: float = 0.3, rounds: int = 16, fixtures: Path | None = None, served_rounds: int = 0,
            served_seconds: float = 2.0) -> dict[str, Any]:
    fixtures = fixtures or ROOT / "bench" / "fixtures.yaml"
    results = {"creation": creation(seconds, max(3, rounds // 3))}
    print(f"  creation: {results['creation']}", flush=True)
    results["lookup"] = lookup(seconds / 3, rounds * 3, fixtures)  # short pairs: drift cancels better
    overheads = [case["overhead_pct"] for case in results["lookup"].values()]
    results["lookup_overhead_pct_median"] = round(statistics.median(overheads), 2)
    results["lookup_overhead_pct_max"] = max(overheads)
    isolated = results["lookup_isolated"] = lookup_isolated()
    # The lookup's own cost as a share of each per-ticket request's in-process CPU time (the whole-request
    # pairs above carry more noise than the difference they measure).
    results["lookup_isolated_pct"] = {
        name: round(isolated["lookup_ns"] / 1000 / case["bare_us"] * 100, 2) for name, case in results["lookup"].items()
    }
    print(f"  isolated lookup: {isolated} {results['lookup_isolated_pct']}", flush=True)
    results["memory"] = memory(1000)
    print(f"  memory: {results['memory']}", flush=True)
    if served_rounds:
        results["served_lookup"] = served_lookup(served_rounds, served_seconds)
        costs = [case["throughput_cost_pct"] for case in results["served_lookup"].values()]
        results["served_lookup_cost_pct_median"] = round(statistics.median(costs), 2)
        results["served_lookup_cost_pct_max"] = max(costs)
    return results


def _median_of(runs: list[Any]) -> Any:
    """The figure-by-figure median of equally shaped results."""
    if isinstance(runs[0], dict):
        return {key: _median_of([run[key] for run in runs]) for key in runs[0]}
    if isinstance(runs[0], (int, float)):
        return round(statistics.median(runs), 2)
    return runs[0]


def before_after(before: str, repeat: int, seconds: float, rounds: int) -> dict[str, Any]:
    """This measurement of two source trees, each run in a process of its own, the trees alternating."""
    trees = {"before": str(Path(before).resolve()), "after": str(ROOT / "src")}
    runs: dict[str, list[Any]] = {"before": [], "after": []}
    for i in range(repeat):
        for side in ("before", "after") if i % 2 == 0 else ("after", "before"):
            with tempfile.NamedTemporaryFile(suffix=".json") as out:
                command = [sys.executable, __file__, "--seconds", str(seconds), "--rounds", str(rounds),
                           "--out", out.name]
                subprocess.run(command, env={**os.environ, "PYTHONPATH": trees[side]}, check=True)
                runs[side].append(json.loads(Path(out.name).read_text()))
    return {side: _median_of(results) for side, results in runs.items()} | {"runs_per_tree": repeat}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=0.3, help="length of one timed run")
    parser.add_argument("--rounds", type=int, default=16,
                        help="x3 pairs of runs per lookup case (bare, /ns/), a third of --seconds each")
    parser.add_argument("--out", default="")
    parser.add_argument("--before", default="", help="an older src/ to measure in the same run")
    parser.add_argument("--repeat", type=int, default=2, help="runs per tree with --before")
    parser.add_argument("--served-rounds", type=int, default=0,
                        help="also measure the lookup end to end with wrk: pairs of runs per case (e.g. 6)")
    parser.add_argument("--served-seconds", type=float, default=2.0, help="length of one wrk run")
    args = parser.parse_args()
    import ticketfakes

    print(f"  measuring {Path(ticketfakes.__file__).parent}", flush=True)
    if args.before:
        results = before_after(args.before, args.repeat, args.seconds, args.rounds)
    else:
        results = measure(args.seconds, args.rounds, served_rounds=args.served_rounds,
                          served_seconds=args.served_seconds)
    text = json.dumps(results, indent=2)
    if args.out:
        Path(args.out).write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
