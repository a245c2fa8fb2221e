"""What `ticketfakes check` does once its arguments are parsed: run, print, write JUnit, exit status."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from .report import CheckResult
from .runner import run
from .vendors import ConfigurationError, parse_pairs

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def command(
    vendor: str,
    *,
    base_url: str | None = None,
    headers: Iterable[str] = (),
    params: Iterable[str] = (),
    max_examples: int,
    seed: int | None = None,
    junit: str | None = None,
    stateful: bool = True,
    select: Iterable[str] | None = None,
    out: TextIO | None = None,
) -> int:
    """Run the checks, print progress and the summary; 0 only when every check passed."""
    stream = out or sys.stdout
    if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        # hypothesis caches source constants in ./.hypothesis; a command must not litter the user's directory
        from hypothesis.configuration import set_hypothesis_home_dir

        set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "ticketfakes-hypothesis")

    def progress(result: CheckResult) -> None:
        mark = {"passed": "ok  ", "failed": "FAIL", "error": "ERR ", "skipped": "skip"}[result.status]
        note = f"  {result.message.splitlines()[0][:120]}" if result.ok and result.message else ""
        print(f"  {mark} {result.vendor:<15} {result.name}  ({result.seconds:.2f} s){note}", file=stream, flush=True)

    try:
        target = base_url or "the embedded fakes (in-process)"
        print(f"ticketfakes check {vendor} against {target}", file=stream, flush=True)
        report = run(
            vendor,
            base_url,
            headers=parse_pairs(list(headers), "--header"),
            params=parse_pairs(list(params), "--param"),
            max_examples=max_examples,
            seed=seed,
            stateful=stateful,
            select=list(select) if select else None,
            progress=progress,
        )
    except (ConfigurationError, ValueError) as exc:
        print(f"ticketfakes check: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(report.summary(include_checks=False), file=stream, flush=True)
    if junit:
        report.write_junit(junit)
        print(f"JUnit XML written to {junit}", file=stream)
    return EXIT_OK if report.ok else EXIT_FAILED
