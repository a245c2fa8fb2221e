"""What `ticketfakes check` does once its arguments are parsed: run, print, write reports, exit status."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from .report import MARKS, CheckResult, Report
from .reproduce import Files
from .runner import run
from .vendors import ConfigurationError, parse_pairs

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
_COLOURS = {"passed": "32", "skipped": "33", "failed": "31", "error": "31"}


class Terminal:
    """Progress and colour only where a person watches: a TTY; `NO_COLOR` (any value) turns colour off."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.live = bool(getattr(stream, "isatty", lambda: False)())
        self.colour = self.live and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
        self._phase: tuple[str, str] | None = None

    def paint(self, text: str, status: str) -> str:
        return f"\033[{_COLOURS[status]}m{text}\033[0m" if self.colour else text

    def progress(self, result: CheckResult) -> None:
        if not self.live:
            return
        phase = (result.vendor, "rules" if result.kind == "rule" else result.kind)
        if phase != self._phase:
            self._phase = phase
            print(f"{result.vendor}: {phase[1]}", file=self.stream, flush=True)
        note = f"  {result.message.splitlines()[0][:120]}" if result.message else ""
        print(f"  {self.paint(MARKS[result.status], result.status)} {result.name}  ({result.seconds:.2f} s)"
              f"{note if result.ok else ''}", file=self.stream, flush=True)

    def summary(self, report: Report) -> str:
        text = report.summary(include_checks=not self.live)  # a log gets every check once, at the end
        if not self.colour:
            return text
        lines = text.splitlines()
        verdict = "passed" if report.ok else "failed"
        lines[-1] = self.paint(lines[-1], verdict)
        return "\n".join(self.paint(line, "failed") if line.startswith("=== ") else line for line in lines)


def files_beside(*reports: str | None) -> Files:
    """Where long bodies of reproductions go: beside the first report file, else the temp directory."""
    for report in reports:
        if report:
            return Files(Path(report).resolve().parent / "ticketfakes-check-files")
    return Files(Path(tempfile.gettempdir()) / "ticketfakes-check-files")


def command(
    vendor: str,
    *,
    base_url: str | None = None,
    headers: Iterable[str] = (),
    params: Iterable[str] = (),
    max_examples: int,
    seed: int | None = None,
    junit: str | None = None,
    report_html: str | None = None,
    stateful: bool = True,
    select: Iterable[str] | None = None,
    out: TextIO | None = None,
) -> int:
    """Run the checks, print progress and the summary; 0 only when every check passed, 2 when the target
    is misconfigured (preflight) or the arguments are wrong."""
    stream = out or sys.stdout
    terminal = Terminal(stream)
    if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        # hypothesis caches source constants in ./.hypothesis; a command must not litter the user's directory
        from hypothesis.configuration import set_hypothesis_home_dir

        set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "ticketfakes-hypothesis")
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
            progress=terminal.progress,
            files=files_beside(report_html, junit),
        )
    except (ConfigurationError, ValueError) as exc:
        print(f"ticketfakes check: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(terminal.summary(report), file=stream, flush=True)
    if junit:
        report.write_junit(junit)
        print(f"JUnit XML written to {junit}", file=stream)
    if report_html:
        from .html import write_html

        write_html(report, report_html)
        print(f"HTML report written to {report_html}", file=stream)
    misconfigured = [result for result in report.results
                     if not result.ok and (result.kind == "preflight" or "setup" in result.failed_checks)]
    for result in misconfigured:  # the one line that says what to fix
        print(f"ticketfakes check: {result.vendor}: {result.message}", file=sys.stderr)
    if misconfigured:
        return EXIT_USAGE
    return EXIT_OK if report.ok else EXIT_FAILED
