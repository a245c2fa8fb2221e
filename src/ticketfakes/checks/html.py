"""`--report-html FILE`: the report as one self-contained HTML page (inline CSS, no script, no links out).

Everything that comes from the target or from generated data (messages, curl lines, ids) is escaped:
a report of a hostile or broken server must not run anything in the reader's browser.
"""

from __future__ import annotations

from collections import Counter
from html import escape
from pathlib import Path

from .report import CheckResult, Report, xml_text

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}
td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
td.n{text-align:right}
.passed{color:#176f2c}.skipped{color:#8a6d00}.failed,.error{color:#b00020;font-weight:bold}
pre{background:#f6f6f6;padding:.7em;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
.verdict{font-size:1.3em}
"""


def _e(text: object) -> str:
    return escape(xml_text(str(text)), quote=True)


def render(report: Report) -> str:
    verdict = "all checks passed" if report.ok else f"{len(report.failures)} check(s) failed"
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>ticketfakes check: {_e(verdict)}</title><style>{_CSS}</style></head><body>",
        "<h1>ticketfakes check</h1>",
        f'<p class="verdict {"passed" if report.ok else "failed"}">{_e(verdict)} '
        f"({len(report.results)} checks in {report.seconds:.1f} s)</p>",
        f"<p>run {_e(report.run_id)}, seed {_e(report.seed)} (<code>--seed {_e(report.seed)}</code> repeats it)</p>",
    ]
    for vendor, results in report.by_vendor().items():
        counts = Counter(result.status for result in results)
        parts.append(f"<h2>{_e(vendor)} <small>{_e(report.targets.get(vendor, ''))}</small></h2>")
        parts.append(f"<p>{counts['passed']} passed, {counts['failed'] + counts['error']} failed, "
                     f"{counts['skipped']} skipped</p>")
        parts.append("<table><tr><th>check</th><th>status</th><th>requests</th><th>seconds</th><th>note</th></tr>")
        for result in results:
            anchor = f' href="#{_anchor(result)}"' if not result.ok else ""
            name = f"<a{anchor}>{_e(result.name)}</a>" if anchor else _e(result.name)
            note = result.message.splitlines()[0][:200] if result.message else ""
            parts.append(f'<tr><td>{name}</td><td class="{result.status}">{result.status}</td>'
                         f'<td class="n">{result.requests}</td><td class="n">{result.seconds:.2f}</td>'
                         f"<td>{_e(note)}</td></tr>")
        parts.append("</table>")
        parts.extend(_coverage(results))
    if report.failures:
        parts.append("<h2>Failures</h2>")
    for result in report.failures:
        parts.append(f'<h3 id="{_anchor(result)}" class="{result.status}">{_e(result.vendor)} / {_e(result.name)}</h3>')
        if result.description:
            parts.append(f"<p>{_e(result.description)}</p>")
        if result.failed_checks:
            parts.append(f"<p>failed checks: {_e(', '.join(result.failed_checks))}</p>")
        parts.append(f"<pre>{_e(result.message.strip())}</pre>")
        if result.reproduction:
            parts.append("<p>Reproduce (in order):</p>")
            parts.append(f"<pre>{_e(chr(10).join(result.reproduction))}</pre>")
    parts.append("<h2>Created</h2><pre>" + _e("\n".join(report.created_lines())) + "</pre>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _coverage(results: list[CheckResult]) -> list[str]:
    rows = [row for result in results if result.kind == "coverage" for row in result.coverage]
    if not rows:
        return []
    parts = ["<table><tr><th>operation</th><th>sent</th><th>valid accepted</th><th>invalid rejected</th>"
             "<th>stateful accepted</th><th>own accepted</th><th>unsendable</th><th></th></tr>"]
    for row in rows:
        flag = '<span class="failed">nothing reached the rules</span>' if not row.reached else ""
        parts.append(
            f'<tr><td>{_e(row.label)}</td><td class="n">{row.sent}</td><td class="n">{row.accepted}/{row.positive}</td>'
            f'<td class="n">{row.rejected}/{row.negative}</td><td class="n">{row.stateful_accepted}/{row.stateful}</td>'
            f'<td class="n">{row.rule_accepted}/{row.rule}</td>'
            f'<td class="n">{row.unsendable}</td><td>{flag}</td></tr>'
        )
    parts.append("</table>")
    return parts


def _anchor(result: CheckResult) -> str:
    return "f-" + "".join(char if char.isalnum() else "-" for char in f"{result.vendor}-{result.name}")


def write_html(report: Report, path: str | Path) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render(report), encoding="utf-8")
