"""The outcome of a check run: per-check results, a terminal summary and JUnit XML for CI systems."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .ledger import Created

Status = Literal["passed", "failed", "skipped", "error"]
MAX_REPRO_LINES = 40
# Characters XML 1.0 cannot carry (generated data is full of them), lone surrogates included.
_NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


@dataclass
class CheckResult:
    """One named check of one vendor: a fuzzed operation, the stateful run, or a business rule."""

    vendor: str
    name: str  # e.g. a rule "<vendor>.capacity", "fuzz POST /events/{eventId}/attendees [positive]", "stateful"
    kind: Literal["fuzz", "stateful", "rule", "preflight", "coverage"]
    status: Status
    seconds: float = 0.0
    description: str = ""
    message: str = ""  # why it failed (or was skipped)
    failed_checks: list[str] = field(default_factory=list)  # names of the checks that failed
    reproduction: list[str] = field(default_factory=list)  # curl lines, oldest first
    requests: int = 0
    coverage: list[Any] = field(default_factory=list)  # `coverage` only: an OperationCount per operation

    @property
    def ok(self) -> bool:
        return self.status in ("passed", "skipped")


@dataclass
class Report:
    """Everything a run found; `ok` only when every check passed (or was skipped with a reason)."""

    results: list[CheckResult] = field(default_factory=list)
    created: list[Created] = field(default_factory=list)
    seed: int | None = None
    run_id: str = ""
    targets: dict[str, str] = field(default_factory=dict)  # vendor -> base URL ("in-process" for the fake)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.results)

    @property
    def failures(self) -> list[CheckResult]:
        return [result for result in self.results if not result.ok]

    def by_vendor(self) -> dict[str, list[CheckResult]]:
        grouped: dict[str, list[CheckResult]] = {}
        for result in self.results:
            grouped.setdefault(result.vendor, []).append(result)
        return grouped

    # -- terminal ------------------------------------------------------------------------------
    def summary(self, include_checks: bool = True) -> str:
        """The terminal report: per vendor counts (and each check), every failure with its
        reproduction, what the run created, and the verdict."""
        lines = [f"ticketfakes check: run {self.run_id}, seed {self.seed} (--seed {self.seed} repeats it)"]
        for vendor, results in self.by_vendor().items():
            counts = Counter(result.status for result in results)
            took = sum(result.seconds for result in results)
            lines.append(
                f"\n{vendor} ({self.targets.get(vendor, '?')}): {counts['passed']} passed, "
                f"{counts['failed'] + counts['error']} failed, {counts['skipped']} skipped in {took:.1f} s"
            )
            for result in results if include_checks else []:
                note = f"  ({result.message.splitlines()[0][:100]})" if result.ok and result.message else ""
                lines.append(f"  {MARKS[result.status]} {result.name}  {result.seconds:.2f} s{note}")
            lines.extend(coverage_lines(results))
        for result in self.failures:
            lines.append(f"\n=== {result.status.upper()}: {result.vendor} / {result.name}")
            if result.description:
                lines.append(f"    {result.description}")
            if result.failed_checks:
                lines.append(f"    failed checks: {', '.join(result.failed_checks)}")
            lines.extend("    " + _screen(line) for line in result.message.strip().splitlines())
            if result.reproduction:
                lines.append("  Reproduce (in order):")
                lines.extend("    " + line for entry in result.reproduction for line in entry.splitlines())
        lines.append("")
        lines.extend(self.created_lines())
        verdict = "all checks passed" if self.ok else f"{len(self.failures)} check(s) failed"
        lines.append(f"\n{verdict} ({len(self.results)} checks in {self.seconds:.1f} s)")
        return "\n".join(lines)

    def created_lines(self) -> list[str]:
        """What the run created: ids the checker chose (all prefixed) apart from ids the target assigned."""
        if not self.created:
            return ["Created nothing."]
        lines = [f"Created {len(self.created)} item(s). Ids the checker chose start with "
                 f"ticketfakes-check-{self.run_id}- (e-mail addresses too); ids the target assigned are listed "
                 f"as such:"]
        grouped: dict[tuple[str, str, str], list[Created]] = {}
        for item in self.created:
            grouped.setdefault((item.vendor, item.kind, item.where), []).append(item)
        for (vendor, kind, where), items in grouped.items():
            removed = sum(item.removed for item in items)
            place = f" ({where})" if where else ""
            lines.append(f"  {vendor} {kind}s{place}: {len(items)} created, {removed} deleted again")
            for chosen, label in ((True, "checker-chosen ids"), (False, "target-assigned ids")):
                left = [shown_id(item.id) for item in items if not item.removed and item.chosen == chosen]
                if left:
                    shown = ", ".join(left[:8]) + (f", ... ({len(left) - 8} more)" if len(left) > 8 else "")
                    lines.append(f"    still there, {label}: {shown}")
        return lines

    # -- JUnit ---------------------------------------------------------------------------------
    def junit(self) -> ET.Element:
        suites = ET.Element("testsuites", name="ticketfakes check", time=f"{self.seconds:.3f}")
        for vendor, results in self.by_vendor().items():
            counts = Counter(result.status for result in results)
            suite = ET.SubElement(
                suites,
                "testsuite",
                name=f"ticketfakes.{vendor}",
                tests=str(len(results)),
                failures=str(counts["failed"]),
                errors=str(counts["error"]),
                skipped=str(counts["skipped"]),
                time=f"{sum(r.seconds for r in results):.3f}",
            )
            properties = ET.SubElement(suite, "properties")
            ET.SubElement(properties, "property", name="target", value=self.targets.get(vendor, ""))
            ET.SubElement(properties, "property", name="seed", value=str(self.seed))
            ET.SubElement(properties, "property", name="run_id", value=self.run_id)
            for result in results:
                case = ET.SubElement(
                    suite, "testcase", classname=f"ticketfakes.{vendor}.{result.kind}", name=xml_text(result.name),
                    time=f"{result.seconds:.3f}",
                )
                if result.status in ("failed", "error"):
                    tag = "failure" if result.status == "failed" else "error"
                    node = ET.SubElement(case, tag, message=xml_text((result.message.splitlines() or [""])[0][:500]))
                    node.text = xml_text("\n".join(
                        [result.message, "", "Reproduce:", *result.reproduction] if result.reproduction
                        else [result.message]
                    ))
                elif result.status == "skipped":
                    ET.SubElement(case, "skipped", message=xml_text(result.message[:500]))
                if result.description or (result.ok and result.message):
                    note = f"\n{result.message}" if result.ok and result.message else ""
                    ET.SubElement(case, "system-out").text = xml_text(result.description + note)
        return suites

    def write_junit(self, path: str | Path) -> None:
        tree = ET.ElementTree(self.junit())
        ET.indent(tree)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        tree.write(path, encoding="utf-8", xml_declaration=True)


MAX_LINE = 300  # characters of a message line on the terminal (JUnit and HTML keep it whole)


def _screen(line: str) -> str:
    line = line if line.isprintable() else ascii(line)[1:-1]
    return line if len(line) <= MAX_LINE else f"{line[:MAX_LINE]} ... ({len(line) - MAX_LINE} more characters)"


MARKS = {"passed": "ok  ", "failed": "FAIL", "error": "ERR ", "skipped": "skip"}


def shown_id(value: str) -> str:
    """An id as one printable token (generated ids hold control characters and spaces)."""
    return value if value.isprintable() and " " not in value else ascii(value)


def coverage_lines(results: list[CheckResult]) -> list[str]:
    """The coverage table of one vendor: per operation, what was sent and what the target let through."""
    rows = [row for result in results if result.kind == "coverage" for row in result.coverage]
    if not rows:
        return []
    width = max(len(row.label) for row in rows)
    lines = [f"  {'operation':<{width}}  {'sent':>5}  {'valid accepted':>14}  {'invalid rejected':>16}  "
             f"{'stateful accepted':>17}  {'own accepted':>12}  {'unsendable':>10}"]
    for row in rows:
        flag = "  <- nothing reached the rules" if not row.reached else ""
        lines.append(
            f"  {row.label:<{width}}  {row.sent:>5}  {f'{row.accepted}/{row.positive}':>14}  "
            f"{f'{row.rejected}/{row.negative}':>16}  {f'{row.stateful_accepted}/{row.stateful}':>17}  "
            f"{f'{row.rule_accepted}/{row.rule}':>12}  {row.unsendable:>10}{flag}"
        )
    return lines


def trim(lines: list[str], limit: int = MAX_REPRO_LINES) -> list[str]:
    """The last `limit` lines (the failing request is last), saying how many earlier ones were left out."""
    if len(lines) <= limit:
        return lines
    return [f"# ... {len(lines) - limit} earlier request(s) left out", *lines[-limit:]]
