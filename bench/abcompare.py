"""Before/after: in-process µs per request of two ticketfakes source trees, interleaved to tame noise.

    python bench/abcompare.py --before OLD_CHECKOUT/src [--after src] [--rounds 5] [--seconds 1] [--startup]

`--before` is a copy of an older `src/` (with `specs/` and `fixtures/` beside it, as in the repo). Each
round times every case once with each tree, alternating; the figure per case is the median over rounds.
Times are CPU time of the in-process app (bench/hotpath.py), which other jobs on the machine distort least.
`--startup` also times `ticketfakes serve` (default fixture) from spawn to its first 2xx, per tree.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from procs import Probe, Server, free_port  # noqa: E402


def timed(src: str, cases: str, seconds: float) -> dict[str, float]:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        env = {**os.environ, "PYTHONPATH": src}
        command = [sys.executable, str(HERE / "hotpath.py"), "--no-profile", "--seconds", str(seconds),
                   "--out", out.name]
        if cases:
            command += ["--cases", cases]
        subprocess.run(command, env=env, check=True, capture_output=True)
        return {name: r["us_per_request"] for name, r in json.loads(Path(out.name).read_text()).items()}


def startup_s(src: str) -> float:
    port = free_port()
    command = [sys.executable, "-m", "ticketfakes", "serve", "--port", str(port)]
    probe = Probe("GET", "/gomry/api/v1/events", {"X-API-KEY": "gk_demo_write"})
    with Server("abcompare", command, port, probe, cwd=str(HERE.parent), env={"PYTHONPATH": src}) as server:
        return server.start()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", required=True)
    parser.add_argument("--after", default=str(HERE.parent / "src"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--cases", default="")
    parser.add_argument("--out", default="")
    parser.add_argument("--startup", action="store_true", help="also time start-up to the first 2xx")
    args = parser.parse_args()
    if args.startup:  # byte-compile both trees first: the first start must not pay for it
        for src in (args.before, args.after):
            compileall.compile_dir(src, quiet=1)
    runs: dict[str, dict[str, list[float]]] = {"before": {}, "after": {}}
    for _ in range(args.rounds):
        for label, src in (("before", args.before), ("after", args.after)):
            for name, us in timed(src, args.cases, args.seconds).items():
                runs[label].setdefault(name, []).append(us)
            if args.startup:
                runs[label].setdefault("startup_s", []).append(startup_s(src) * 1e6)
    table = {}
    for name in runs["before"]:
        before, after = statistics.median(runs["before"][name]), statistics.median(runs["after"][name])
        table[name] = {"before_us": round(before, 1), "after_us": round(after, 1),
                       "speedup": round(before / after, 2)}
        unit = "µs" if name != "startup_s" else "µs (spawn to first 2xx)"
        print(f"{name:24} {before:10.1f} {unit} -> {after:10.1f} {unit}  x{before / after:.2f}", flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(table, indent=2) + "\n")


if __name__ == "__main__":
    main()
