"""Small differences end to end: several served variants alive at once, measured in alternating short runs.

    python bench/interleaved.py --variant before=tree:/tmp/before/src --variant after=tree:src \
        [--pairs 12] [--seconds 1.5] [--cases a,b] [--out FILE]
    python bench/interleaved.py --variant bare=path: --variant namespaced=path:/ns/default

A variant is `label=tree:SRC` (a `ticketfakes serve` whose PYTHONPATH is SRC: another source tree) or
`label=path:PREFIX` (the first tree's server, every URL under PREFIX: e.g. the namespace lookup) or
`label=baseline:` (bench/baseline.py, bare starlette answering the bytes the first tree's server gave for
each case, captured before the runs: the harness's ceiling, but interleaved). Per case,
each server is reset to the bench fixture and prepared, then the variants take turns, in alternating
order (A B, B A, ...), `--pairs` times: a run on a 2-core machine varies by ±10% from one to the next,
but neighbouring runs drift together, so the ratio of neighbours is steadier than any figure alone.
Reported per case: the median over pairs of each variant's req/s relative to the first variant's, and
the same for the server's CPU time per request (utime + stime of the process from /proc, over the run),
the figure that wrk sharing the machine disturbs least. Used for the dashboard's and the namespace
lookup's cost (docs/performance.md, docs/namespaces.md, docs/dashboard.md).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from cases import PREFIXES, Case, all_cases  # noqa: E402
from harness import FIXTURES, WORKDIR, baseline_server, capture, ticketfakes_server  # noqa: E402
from loadgen import Settings, run_wrk, write_script  # noqa: E402
from procs import Server  # noqa: E402

PER_TICKET = (
    "talque_read_10,talque_list_page,webhook_1_created,webhook_1_unchanged,gomry_create,gomry_list,planhat_put_1"
)
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Variant:
    label: str
    server: Server
    prefix: str = ""  # put in front of every path: `/ns/{name}`

    def cpu_s(self) -> float:
        assert self.server.process is not None
        fields = Path(f"/proc/{self.server.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def parse_variants(specs: list[str]) -> list[tuple[str, str, str]]:
    parsed = []
    for spec in specs:
        label, _, rest = spec.partition("=")
        kind, _, arg = rest.partition(":")
        if not label or kind not in ("tree", "path", "baseline"):
            raise SystemExit(f"bad --variant {spec!r}: use label=tree:SRC, label=path:PREFIX or label=baseline:")
        parsed.append((label, kind, arg))
    if len(parsed) < 2:
        raise SystemExit("give at least two variants")
    return parsed


def prepare(variants: list[Variant], case: Case) -> None:
    for server in {id(v.server): v.server for v in variants if v.server.name == "ticketfakes"}.values():
        with httpx.Client(base_url=server.base, timeout=120) as client:
            client.post("/_admin/reset").raise_for_status()
            if case.prepare is not None:
                case.prepare(client)


def run_once(variant: Variant, case: Case, script: Path, settings: Settings, seconds: float) -> tuple[float, float]:
    url = variant.server.base + variant.prefix + PREFIXES[case.vendor] + case.path
    cpu = variant.cpu_s()
    result = run_wrk(url, script, settings, seconds)
    cpu = variant.cpu_s() - cpu
    if result["non2xx"] or result["requests"] == 0:
        raise RuntimeError(f"{variant.label} {case.name}: {result['statuses']}")
    return result["rps"], cpu / result["requests"] * 1e6


def measure(variants: list[Variant], cases: list[Case], pairs: int, seconds: float) -> dict[str, Any]:
    settings = Settings(connections=8, threads=1, duration_s=seconds, warmup_s=0.5, repeats=1)
    out: dict[str, Any] = {}
    for case in cases:
        prepare(variants, case)
        script = write_script(WORKDIR / "wrk", case.name, case.method, case.all_headers(), case.body)
        for variant in variants:  # warm-up, thrown away
            run_once(variant, case, script, settings, settings.warmup_s)
        runs: dict[str, list[tuple[float, float]]] = {v.label: [] for v in variants}
        for i in range(pairs):
            order = variants if i % 2 == 0 else list(reversed(variants))
            for variant in order:
                runs[variant.label].append(run_once(variant, case, script, settings, seconds))
        first = variants[0].label
        figures: dict[str, Any] = {}
        for variant in variants:
            mine, theirs = runs[variant.label], runs[first]
            figures[variant.label] = {
                "rps": round(statistics.median(r for r, _ in mine)),
                "cpu_us": round(statistics.median(c for _, c in mine), 1),
                "rps_ratio": round(statistics.median(m[0] / t[0] for m, t in zip(mine, theirs, strict=True)), 3),
                "cpu_ratio": round(statistics.median(m[1] / t[1] for m, t in zip(mine, theirs, strict=True)), 3),
                "rps_runs": [round(r) for r, _ in mine],
            }
        out[case.name] = figures
        line = "  ".join(
            f"{label} {f['rps']:6d} req/s {f['cpu_us']:6.1f} µs x{f['rps_ratio']:.3f}/cpu x{f['cpu_ratio']:.3f}"
            for label, f in figures.items()
        )
        print(f"{case.name:22} {line}", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variant", action="append", default=[],
                        help="label=tree:SRC, label=path:PREFIX or label=baseline:")
    parser.add_argument("--pairs", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=1.5)
    parser.add_argument("--cases", default=PER_TICKET)
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    specs = parse_variants(args.variant)
    names = [n for n in args.cases.split(",") if n]
    cases = [c for c in all_cases() if c.name in names]
    with contextlib.ExitStack() as stack:
        servers: dict[str, Server] = {}
        variants = []
        for label, kind, arg in specs:
            if kind == "tree":
                src = str(Path(arg).resolve())
                if src not in servers:
                    servers[src] = stack.enter_context(ticketfakes_server(FIXTURES, env={"PYTHONPATH": src}))
                    servers[src].start()
                variants.append(Variant(label, servers[src]))
            elif kind == "baseline":
                if not servers:
                    raise SystemExit("put a tree: or path: variant first: the baseline answers its bytes")
                canned = WORKDIR / "canned-interleaved"
                first = next(iter(servers.values()))
                with httpx.Client(base_url=first.base, timeout=120) as client:
                    for case in cases:
                        capture(client, first.base, case, canned)
                base = stack.enter_context(baseline_server(canned))
                base.start()
                variants.append(Variant(label, base))
            else:
                if not servers:
                    src = str(Path(os.environ.get("BENCH_SRC", HERE.parent / "src")).resolve())
                    servers[src] = stack.enter_context(ticketfakes_server(FIXTURES, env={"PYTHONPATH": src}))
                    servers[src].start()
                variants.append(Variant(label, next(iter(servers.values())), arg))
        results = {"variants": [f"{label}={kind}:{arg}" for label, kind, arg in specs], "pairs": args.pairs,
                   "seconds": args.seconds, "cases": measure(variants, cases, args.pairs, args.seconds)}
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
