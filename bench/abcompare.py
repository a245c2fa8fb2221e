"""Before/after: in-process µs per request of two ticketfakes source trees, interleaved to tame noise.

    python bench/abcompare.py --before /tmp/before/src [--after src] [--rounds 5] [--seconds 1]

`--before` is a copy of an older `src/` (with `specs/` and `fixtures/` beside it, as in the repo). Each
round times every case once with each tree, alternating; the figure per case is the median over rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def timed(src: str, cases: str, seconds: float) -> dict[str, float]:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        env = {**os.environ, "PYTHONPATH": src}
        command = [sys.executable, str(HERE / "hotpath.py"), "--no-profile", "--seconds", str(seconds),
                   "--out", out.name]
        if cases:
            command += ["--cases", cases]
        subprocess.run(command, env=env, check=True, capture_output=True)
        return {name: r["us_per_request"] for name, r in json.loads(Path(out.name).read_text()).items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", required=True)
    parser.add_argument("--after", default=str(HERE.parent / "src"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--cases", default="")
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    runs: dict[str, dict[str, list[float]]] = {"before": {}, "after": {}}
    for _ in range(args.rounds):
        for label, src in (("before", args.before), ("after", args.after)):
            for name, us in timed(src, args.cases, args.seconds).items():
                runs[label].setdefault(name, []).append(us)
    table = {}
    for name in runs["before"]:
        before, after = statistics.median(runs["before"][name]), statistics.median(runs["after"][name])
        table[name] = {"before_us": round(before, 1), "after_us": round(after, 1),
                       "speedup": round(before / after, 2)}
        print(f"{name:24} {before:10.1f} µs -> {after:10.1f} µs  x{before / after:.2f}", flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(table, indent=2) + "\n")


if __name__ == "__main__":
    main()
