"""Before/after of served throughput (wrk against `ticketfakes serve`) for two source trees, interleaved.

    python bench/served_ab.py --before /tmp/before/src [--after src] [--rounds 3] [--cases a,b] [--out FILE]

The end-to-end companion of bench/abcompare.py (in-process CPU time): each round serves each tree in
turn (bench fixture, reset before each case) and measures the same cases with wrk; the figure per case is
the median over rounds of requests per second. Used for the dashboard's "costs nothing when nobody
looks" check (docs/performance.md).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from cases import all_cases  # noqa: E402
from harness import WORKDIR, throughput_ticketfakes  # noqa: E402
from loadgen import Settings  # noqa: E402

PER_TICKET = "talque_read_10,webhook_1_created,webhook_1_unchanged,gomry_create,gomry_list,planhat_put_1"


def served_rps(src: str, names: list[str], settings: Settings) -> dict[str, float]:
    cases = [case for case in all_cases() if case.name in names]
    figures = throughput_ticketfakes(cases, settings, WORKDIR / "served-ab", env={"PYTHONPATH": src})
    for name in names:
        if not figures[name]["valid"]:
            raise RuntimeError(f"{name}: {figures[name]['non2xx_statuses']} {figures[name]['socket_errors']}")
    return {name: figures[name]["rps"] for name in names}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", required=True)
    parser.add_argument("--after", default=str(HERE.parent / "src"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--cases", default=PER_TICKET)
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    settings = Settings(connections=16, threads=2, duration_s=args.seconds, warmup_s=0.5, repeats=1)
    names = [name for name in args.cases.split(",") if name]
    runs: dict[str, dict[str, list[float]]] = {"before": {}, "after": {}}
    for _ in range(args.rounds):
        for label, src in (("before", args.before), ("after", args.after)):
            for name, rps in served_rps(src, names, settings).items():
                runs[label].setdefault(name, []).append(rps)
    table = {}
    for name in runs["before"]:
        before, after = statistics.median(runs["before"][name]), statistics.median(runs["after"][name])
        table[name] = {"before_rps": round(before), "after_rps": round(after), "ratio": round(after / before, 3),
                       "before_runs": [round(r) for r in runs["before"][name]],
                       "after_runs": [round(r) for r in runs["after"][name]]}
        print(f"{name:24} {before:9.0f} req/s -> {after:9.0f} req/s  x{after / before:.3f}", flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(table, indent=2) + "\n")


if __name__ == "__main__":
    main()
