"""The benchmark: ticketfakes against a bare starlette handler (the ceiling) and Prism, in one run.

Run it through `bench/run` (which installs wrk, Prism and matplotlib first); see docs/performance.md.
Phases: start-up, throughput per case on each target, cost growth, in-process profile, then the report.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from cases import PREFIXES, SPECS, Case, all_cases  # noqa: E402
from growth import run_growth  # noqa: E402
from loadgen import Settings, measure, write_script  # noqa: E402
from procs import Probe, Server, free_port  # noqa: E402

FIXTURES = HERE / "fixtures.yaml"
WORKDIR = HERE / ".work"
RESULTS = HERE / "results"
PRISM = os.environ.get("BENCH_PRISM", str(HERE / ".node" / "node_modules" / ".bin" / "prism"))

FULL = {"settings": Settings(connections=8, threads=1, duration_s=4, warmup_s=2, repeats=3),
        "growth": Settings(connections=8, threads=1, duration_s=3, warmup_s=1, repeats=3),
        "sizes": [1000, 10_000, 100_000], "startups": 5, "prism_startups": 3, "profile_s": 2.0,
        "interleaved_pairs": 8, "interleaved_s": 1.5}
QUICK = {"settings": Settings(connections=8, threads=1, duration_s=1, warmup_s=1, repeats=1),
         "growth": Settings(connections=8, threads=1, duration_s=1, warmup_s=0, repeats=1),
         "sizes": [1000, 10_000], "startups": 2, "prism_startups": 1, "profile_s": 0.1,
         "interleaved_pairs": 1, "interleaved_s": 1.0,
         "baseline_warmup_s": 0}  # bare starlette has nothing to warm up; quick must stay under 2 min

GOMRY_PROBE = Probe("GET", "/gomry/api/v1/events", {"X-API-KEY": "gk_demo_write"})


_T0 = time.monotonic()


def log(message: str) -> None:
    print(f"[{time.monotonic() - _T0:6.1f} s] {message}", flush=True)


def ticketfakes_server(fixtures: Path | None, env: dict[str, str] | None = None) -> Server:
    port = free_port()
    command = [sys.executable, "-m", "ticketfakes", "serve", "--port", str(port)]
    if fixtures is not None:
        command += ["--fixtures", str(fixtures)]
    return Server("ticketfakes", command, port, GOMRY_PROBE, cwd=str(ROOT), env=env)


def baseline_server(canned: Path | None, raw: bool = False) -> Server:
    port = free_port()
    command = [sys.executable, str(HERE / "baseline.py"), "--port", str(port)]
    if canned is not None:
        command += ["--canned", str(canned)]
    if raw:
        command += ["--raw"]
    return Server("ceiling" if raw else "baseline", command, port, Probe("GET", "/"), cwd=str(ROOT))


def prism_server(spec: str, probe: Probe) -> Server:
    port = free_port()
    command = [PRISM, "mock", SPECS[spec], "-p", str(port), "-h", "127.0.0.1", "-v", "warn"]
    return Server(f"prism-{spec}", command, port, probe, cwd=str(ROOT))


def prism_probe(case: Case) -> Probe:
    body = case.body.replace(b"@@N@@", b"probe") if case.body is not None else None
    return Probe(case.method, case.path, case.all_headers(), body)


# -- machine ---------------------------------------------------------------------------------------
def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _command_output(command: list[str]) -> str | None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr) else None


def machine() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": {p: _version(p) for p in ("starlette", "uvicorn", "uvloop", "httptools", "orjson",
                                              "jsonschema-rs")},
        "uvicorn_loop_http": "auto: uvloop + httptools" if _version("uvloop") and _version("httptools")
        else "auto: asyncio/h11 (uvloop or httptools missing)",
        "wrk": (_command_output(["wrk", "--version"]) or "").split(" Copyright")[0] or None,
        "node": _command_output(["node", "--version"]),
        "prism": _command_output([PRISM, "--version"]) if Path(PRISM).exists() else None,
    }


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


# -- phases ----------------------------------------------------------------------------------------
def startup(config: dict[str, Any], skip_prism: bool) -> dict[str, Any]:
    result: dict[str, Any] = {"probe": "GET /gomry/api/v1/events (X-API-KEY) -> 2xx"}

    def timed(make: Any, count: int) -> dict[str, Any]:
        times, memory = [], {}
        for _ in range(count):
            with make() as server:
                times.append(round(server.start(), 3))
                memory = server.memory_mb()
        return {"median_s": sorted(times)[len(times) // 2], "runs_s": times, "idle_memory": memory}

    result["ticketfakes"] = timed(lambda: ticketfakes_server(None), config["startups"])
    result["baseline"] = timed(lambda: baseline_server(None), config["startups"])
    log(f"  start-up ticketfakes {result['ticketfakes']['median_s']} s, baseline {result['baseline']['median_s']} s")
    if not skip_prism:
        probe = Probe("GET", "/events", {"X-API-KEY": "gk_demo_write"})
        try:
            result["prism"] = timed(lambda: prism_server("gomry", probe), config["prism_startups"])
            log(f"  start-up prism (gomry spec) {result['prism']['median_s']} s")
        except RuntimeError as exc:
            result["prism"] = {"error": str(exc)[:500]}
    return result


def capture(client: httpx.Client, base: str, case: Case, canned: Path) -> httpx.Response:
    """The server reset and prepared for `case`, and its answer to the case's request kept in `canned`:
    what the baseline then answers, so that both move the same bytes."""
    client.post("/_admin/reset").raise_for_status()
    if case.prepare is not None:
        case.prepare(client)
    response = case.send(client, base + PREFIXES[case.vendor], "capture")
    if response.status_code != case.expect:
        raise RuntimeError(f"{case.name}: expected {case.expect}, got {response.status_code}: {response.text[:300]}")
    canned.mkdir(parents=True, exist_ok=True)
    (canned / f"{case.name}.json").write_text(json.dumps({"case": case.name, "status": response.status_code}))
    (canned / f"{case.name}.body").write_bytes(response.content)
    return response


def throughput_ticketfakes(cases: list[Case], settings: Settings, canned: Path,
                           env: dict[str, str] | None = None) -> dict[str, Any]:
    """wrk figures per case against `ticketfakes serve` (`env`: e.g. PYTHONPATH of another source tree)."""
    out: dict[str, Any] = {}
    with ticketfakes_server(FIXTURES, env) as server:
        server.start()
        with httpx.Client(base_url=server.base, timeout=120) as client:
            for case in cases:
                response = capture(client, server.base, case, canned)
                script = write_script(WORKDIR / "wrk", case.name, case.method, case.all_headers(), case.body)
                figure = measure(server.base + PREFIXES[case.vendor] + case.path, script, settings,
                                 case.min_duration_s)
                figure["response_bytes"] = len(response.content)
                out[case.name] = figure
                log(f"  ticketfakes {case.name}: {figure['rps']:.0f} req/s p50 {figure['p50_ms']:.2f} ms "
                    f"non2xx={figure['non2xx']}")
        out["_memory"] = server.memory_mb()
    return out


def throughput_baseline(cases: list[Case], settings: Settings, canned: Path, raw: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with baseline_server(canned, raw) as server:
        server.start()
        for case in cases:
            script = write_script(WORKDIR / "wrk", case.name, case.method, case.all_headers(), case.body)
            out[case.name] = measure(server.base + PREFIXES[case.vendor] + case.path, script, settings,
                                     case.min_duration_s)
            log(f"  {server.name} {case.name}: {out[case.name]['rps']:.0f} req/s non2xx={out[case.name]['non2xx']}")
        out["_memory"] = server.memory_mb()
    return out


def interleaved_vs_baseline(cases: list[Case], canned: Path, pairs: int, seconds: float) -> dict[str, Any]:
    """The per-ticket cases again, ticketfakes and bare starlette (answering the bytes captured in `canned`)
    alive at once and measured in alternating short runs: the ratio of neighbouring runs, whose drift is
    shared, is steadier than that of two runs minutes apart (bench/interleaved.py)."""
    from interleaved import Variant
    from interleaved import measure as measure_interleaved

    out: dict[str, Any] = {}
    with ticketfakes_server(FIXTURES) as fake, baseline_server(canned) as base:
        fake.start()
        base.start()
        variants = [Variant("ticketfakes", fake), Variant("baseline", base)]
        figures = measure_interleaved(variants, cases, pairs, seconds)
    for name, f in figures.items():
        mine, theirs = f["ticketfakes"]["rps_runs"], f["baseline"]["rps_runs"]
        ratios = sorted(m / t for m, t in zip(mine, theirs, strict=True))
        out[name] = {
            "rps_vs_baseline": round(statistics.median(ratios), 3),
            "rps_vs_baseline_range": [round(ratios[0], 3), round(ratios[-1], 3)],
            "cpu_per_request_vs_baseline": round(1 / f["baseline"]["cpu_ratio"], 3),
            "ticketfakes_rps": f["ticketfakes"]["rps"],
            "baseline_rps": f["baseline"]["rps"],
            "pairs": pairs,
        }
        log(f"  interleaved {name}: {out[name]['rps_vs_baseline']} of bare starlette "
            f"(pairs {out[name]['rps_vs_baseline_range'][0]}-{out[name]['rps_vs_baseline_range'][1]})")
    return out


def throughput_prism(cases: list[Case], settings: Settings) -> dict[str, Any]:
    out: dict[str, Any] = {}
    memory: dict[str, Any] = {}
    if not Path(PRISM).exists():
        return {case.name: {"error": f"Prism is not installed at {PRISM}"} for case in cases}
    for spec in SPECS:
        mine = [c for c in cases if c.spec == spec]
        if not mine:
            continue
        try:
            with prism_server(spec, prism_probe(mine[0])) as server:
                server.start()
                for case in mine:
                    script = write_script(WORKDIR / "wrk", f"prism_{case.name}", case.method, case.all_headers(),
                                          case.body)
                    try:
                        out[case.name] = measure(server.base + case.path, script, settings, case.min_duration_s)
                    except RuntimeError as exc:
                        out[case.name] = {"error": str(exc)[:500]}
                        continue
                    log(f"  prism {case.name}: {out[case.name]['rps']:.0f} req/s "
                        f"non2xx={out[case.name]['non2xx']}")
                memory[spec] = server.memory_mb()
        except RuntimeError as exc:  # Prism refused the spec or did not answer 2xx
            for case in mine:
                out[case.name] = {"error": str(exc)[:500]}
    out["_memory"] = memory
    return out


def ratios(fake: dict[str, Any], base: dict[str, Any], prism: dict[str, Any], ceiling: dict[str, Any]
           ) -> dict[str, Any]:
    def ratio(a: Any, b: Any) -> float | None:
        return round(a / b, 3) if isinstance(a, int | float) and isinstance(b, int | float) and b else None

    return {
        "rps_vs_baseline": ratio(fake.get("rps"), base.get("rps")),
        "p50_vs_baseline": ratio(fake.get("p50_ms"), base.get("p50_ms")),
        "p99_vs_baseline": ratio(fake.get("p99_ms"), base.get("p99_ms")),
        "rps_vs_prism": ratio(fake.get("rps"), prism.get("rps")),
        "p50_vs_prism": ratio(fake.get("p50_ms"), prism.get("p50_ms")),
        "rps_vs_ceiling": ratio(fake.get("rps"), ceiling.get("rps")),
        # what the targets can ask of any app under these uvicorn settings
        "baseline_vs_prism": ratio(base.get("rps"), prism.get("rps")),
        "ceiling_vs_prism": ratio(ceiling.get("rps"), prism.get("rps")),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs for a sanity check (< 2 min)")
    parser.add_argument("--cases", default="", help="comma-separated case names (default: all)")
    parser.add_argument("--skip", default="",
                        help="comma-separated phases to skip: "
                        "startup,prism,ceiling,interleaved,growth,profile,namespaces")
    parser.add_argument("--out", default="", help="results file (default: latest.json, quick.json with --quick)")
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/performance.md")
    args = parser.parse_args()
    config = QUICK if args.quick else FULL
    skip = {s for s in args.skip.split(",") if s}
    wanted = {c for c in args.cases.split(",") if c}
    cases = [c for c in all_cases() if not wanted or c.name in wanted]
    os.environ["BENCH_WORKDIR"] = str(WORKDIR)
    if WORKDIR.exists():
        shutil.rmtree(WORKDIR)
    WORKDIR.mkdir(parents=True)
    RESULTS.mkdir(exist_ok=True)
    started = time.time()
    results: dict[str, Any] = {
        "mode": "quick" if args.quick else "full",
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "machine": machine(),
        "loadavg_before": loadavg(),
        "settings": {"throughput": vars(config["settings"]), "growth": vars(config["growth"])},
        "cases": {c.name: {"title": c.title, "method": c.method, "path": PREFIXES[c.vendor] + c.path,
                           "state": c.state, "request_bytes": len(c.body or b"")} for c in cases},
    }
    log(f"bench: {results['mode']} run, {len(cases)} cases, load average {results['loadavg_before']}")
    if "startup" not in skip:
        log("start-up")
        results["startup"] = startup(config, "prism" in skip)
    log("throughput")
    canned = WORKDIR / "canned"
    fake = throughput_ticketfakes(cases, config["settings"], canned)
    base_settings = dataclasses.replace(config["settings"],
                                        warmup_s=config.get("baseline_warmup_s", config["settings"].warmup_s))
    base = throughput_baseline(cases, base_settings, canned)
    ceiling = {} if "ceiling" in skip else throughput_baseline(cases, base_settings, canned, raw=True)
    prism = {} if "prism" in skip else throughput_prism(cases, config["settings"])
    results["memory"] = {"ticketfakes": fake.pop("_memory"), "baseline": base.pop("_memory"),
                         "ceiling": ceiling.pop("_memory", None), "prism": prism.pop("_memory", None)}
    skipped = {"error": "skipped"}
    results["throughput"] = {
        name: {"ticketfakes": fake[name], "baseline": base[name], "ceiling": ceiling.get(name, skipped),
               "prism": prism.get(name, skipped),
               "ratios": ratios(fake[name], base[name], prism.get(name, {}), ceiling.get(name, {}))}
        for name in fake
    }
    if "interleaved" not in skip:
        from interleaved import PER_TICKET

        per_ticket = [c for c in cases if c.name in PER_TICKET.split(",")]
        log("interleaved: each per-ticket case on ticketfakes and bare starlette in alternating runs")
        results["interleaved"] = interleaved_vs_baseline(per_ticket, canned, config["interleaved_pairs"],
                                                         config["interleaved_s"])
    if "growth" not in skip:
        log("growth")
        results["growth"] = run_growth(lambda env: ticketfakes_server(FIXTURES, env), config["sizes"],
                                       config["growth"], WORKDIR / "wrk")
    if "profile" not in skip:
        log("profile (in-process, pyinstrument)")
        from hotpath import profile_cases

        results["profile"] = profile_cases([c.name for c in cases], config["profile_s"], FIXTURES)
    if "namespaces" not in skip:
        log("namespaces (in-process: create/reset vs a light request, lookup overhead, memory)")
        from namespaces import measure as measure_namespaces

        results["namespaces"] = measure_namespaces(0.2 if args.quick else 0.3, 4 if args.quick else 16, FIXTURES)
    results["loadavg_after"] = loadavg()
    results["duration_s"] = round(time.time() - started, 1)

    from report import summarise, write_outputs

    results["targets"] = summarise(results)
    out = Path(args.out) if args.out else RESULTS / ("quick.json" if args.quick else "latest.json")
    write_outputs(results, out, docs=not args.no_docs and not args.quick)
    log(f"bench: done in {results['duration_s']} s -> {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
