"""What the dashboard costs a request when nobody looks, timed apart from the request (docs/dashboard.md).

    python bench/dashboard_cost.py [--rounds 21] [--out bench/results/dashboard-cost.json]

The dashboard adds no step to a request: it reads, when asked, what the journal keeps. What it adds is in
the journal entry: references to the request's header dict, the answer's headers, the serving pipeline
and the arrival time, each kept alive for as long as the entry stays in the 1000-entry ring. This times
exactly that: each request's header dict built (as every request does) and an entry recorded, with and
without those references, in interleaved rounds; the median difference in ns. A whole-request A/B
(bench/abcompare.py, bench/interleaved.py) carries more noise on this machine than that difference.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

from ticketfakes.call import header_dict
from ticketfakes.core.journal import Entry, Journal, response_headers

# A Gomry create as wrk sends it, and its answer's headers.
REQUEST_HEADERS = [
    (b"host", b"127.0.0.1:8000"), (b"user-agent", b"wrk"), (b"x-api-key", b"gk_demo_write"),
    (b"content-type", b"application/json"), (b"x-bench-case", b"gomry_create"), (b"content-length", b"300"),
]
ANSWER_HEADERS = [(b"content-length", b"440"), (b"content-type", b"application/json")]
REQUEST_BODY, ANSWER_BODY = b"x" * 300, b"y" * 440


def per_request_ns(with_dashboard: bool, n: int) -> float:
    journal = Journal(1000)
    started = time.perf_counter()
    for _ in range(n):
        headers = header_dict(REQUEST_HEADERS)  # what every request builds, kept or not
        if with_dashboard:
            entry = Entry(1, "gomry", "POST", "/p", "", 201, 0.1, {}, REQUEST_BODY, ANSWER_BODY, headers,
                          response_headers(ANSWER_HEADERS, ANSWER_BODY), journal, 1.0)
        else:
            entry = Entry(1, "gomry", "POST", "/p", "", 201, 0.1, {}, REQUEST_BODY, ANSWER_BODY)
        journal.record(entry)
    return (time.perf_counter() - started) / n * 1e9


def measure(rounds: int = 21, n: int = 200_000) -> dict[str, Any]:
    per_request_ns(True, n // 2), per_request_ns(False, n // 2)  # warm-up
    pairs = []
    for i in range(rounds):
        if i % 2:
            with_ns = per_request_ns(True, n)
            pairs.append((per_request_ns(False, n), with_ns))
        else:
            pairs.append((per_request_ns(False, n), per_request_ns(True, n)))
    deltas = sorted(w - wo for wo, w in pairs)
    return {"rounds": rounds, "iterations": n,
            "without_ns": round(statistics.median(wo for wo, _ in pairs)),
            "with_ns": round(statistics.median(w for _, w in pairs)),
            "dashboard_ns": round(statistics.median(deltas)),
            "dashboard_ns_quartiles": [round(deltas[len(deltas) // 4]), round(deltas[3 * len(deltas) // 4])]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    result = measure(args.rounds)
    print(json.dumps(result))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
