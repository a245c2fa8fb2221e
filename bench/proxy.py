"""Proxy overhead: each case's requests per second through `ticketfakes proxy` as a ratio to talking to the
same upstream (`ticketfakes serve`) directly, measured in one run on the same machine (docs/proxy.md).

    python bench/proxy.py [--cases gomry_list,talque_read_10] [--duration 3] [--repeats 3]

Writes bench/results/proxy.json and prints a table. Both paths hit the same upstream process, prepared
once per case; direct and proxied runs alternate, so drift of the shared machine hits both alike. The
proxy does all it does in use (spec validation both ways, the passive rules, the journal); `--record`
adds the HAR writer.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from cases import PREFIXES, all_cases  # noqa: E402
from loadgen import Settings, measure, write_script  # noqa: E402
from procs import Probe, Server, free_port  # noqa: E402

FIXTURES = HERE / "fixtures.yaml"
WORKDIR = HERE / ".work"
DEFAULT_CASES = ("talque_read_10", "webhook_1_unchanged", "webhook_1_created", "gomry_create", "gomry_list",
                 "planhat_put_1")
PROBE = Probe("GET", "/gomry/api/v1/events", {"X-API-KEY": "gk_demo_write"})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", default=",".join(DEFAULT_CASES))
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--record", action="store_true", help="the proxy also writes a HAR file")
    parser.add_argument("--out", default=str(HERE / "results" / "proxy.json"))
    args = parser.parse_args()
    settings = Settings(connections=args.connections, threads=1, duration_s=args.duration, warmup_s=1, repeats=1)
    wanted = args.cases.split(",")
    cases = [case for case in all_cases() if case.name in wanted]
    upstream_port, proxy_port = free_port(), free_port()
    upstream = Server("upstream", [sys.executable, "-m", "ticketfakes", "serve", "--port", str(upstream_port),
                                   "--fixtures", str(FIXTURES)], upstream_port, PROBE, cwd=str(ROOT))
    command = [sys.executable, "-m", "ticketfakes", "proxy", "--port", str(proxy_port)]
    for vendor, prefix in PREFIXES.items():
        command += ["--upstream", f"{vendor}=http://127.0.0.1:{upstream_port}{prefix}"]
    if args.record:
        WORKDIR.mkdir(exist_ok=True)
        command += ["--record", str(WORKDIR / "proxy-bench.har")]
    proxy = Server("proxy", command, proxy_port, PROBE, cwd=str(ROOT))
    settings_shown = {k: v for k, v in vars(args).items() if k != "out"}  # no path of this machine in results
    results: dict[str, Any] = {"settings": settings_shown, "cases": {}}
    with upstream, proxy:
        upstream.start()
        proxy.start()
        with httpx.Client(base_url=upstream.base, timeout=120) as client:
            for case in cases:
                client.post("/_admin/reset").raise_for_status()
                httpx.post(proxy.base + "/_admin/reset").raise_for_status()
                if case.prepare is not None:
                    case.prepare(client)
                script = write_script(WORKDIR / "wrk", f"proxy-{case.name}", case.method, case.all_headers(),
                                      case.body)
                direct, proxied = [], []
                for _ in range(args.repeats):  # alternating, so machine drift hits both alike
                    direct.append(measure(upstream.base + PREFIXES[case.vendor] + case.path, script, settings,
                                          case.min_duration_s))
                    proxied.append(measure(proxy.base + PREFIXES[case.vendor] + case.path, script, settings,
                                           case.min_duration_s))
                figure = {
                    "direct_rps": statistics.median(r["rps"] for r in direct),
                    "proxy_rps": statistics.median(r["rps"] for r in proxied),
                    "direct_p50_ms": statistics.median(r["p50_ms"] for r in direct),
                    "proxy_p50_ms": statistics.median(r["p50_ms"] for r in proxied),
                    "non2xx": sum(r["non2xx"] for r in direct + proxied),
                }
                figure["ratio"] = figure["proxy_rps"] / figure["direct_rps"]
                results["cases"][case.name] = figure
                print(f"{case.name:<22} direct {figure['direct_rps']:7.0f} req/s  proxy {figure['proxy_rps']:7.0f} "
                      f"req/s  ratio {figure['ratio']:.2f}  p50 {figure['direct_p50_ms']:.2f} -> "
                      f"{figure['proxy_p50_ms']:.2f} ms  non2xx={figure['non2xx']}", flush=True)
        violations = httpx.get(proxy.base + "/_admin/violations").json()["counts"]
        results["violations"] = violations  # a correct upstream: expected empty
        results["memory_mb"] = {"upstream": upstream.memory_mb(), "proxy": proxy.memory_mb()}
    ratios = [c["ratio"] for c in results["cases"].values()]
    results["median_ratio"] = statistics.median(ratios) if ratios else None
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(f"median ratio proxy/direct: {results['median_ratio']:.2f}; violations: {violations or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
