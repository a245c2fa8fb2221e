"""Mutation testing of `ticketfakes check`: every deliberately broken fake (tests/mutants/catalogue.py) makes
the check fail and the failure names the broken rule, while the same checks pass on the real fakes.

Most mutants run in-process (`checks.run(vendor, app=mutated_app, select=...)`), a few with the full
default run (no selection), a few served over HTTP by `python -m tests.mutants.serve NAME`, and one
through the CLI in a subprocess. `test_mutation_score` prints killed / total (`-rP` shows it under xdist).
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from ticketfakes import checks
from ticketfakes.app import create_app
from ticketfakes.checks.report import Report

from .mutants.catalogue import MUTANTS, Mutant, scored
from .mutants.serve import ROOT, ServedMutant

EXAMPLES = 5  # per operation and mode: the mutants break rules that show on the first few requests
SEED = 20240601
SCORED = [m.name for m in scored()]
EQUIVALENT = [m.name for m in MUTANTS.values() if m.equivalent]
# Caught by the full default check (every rule, fuzzing and the stateful run, no selection).
DEFAULT_RUN = ("gomry-capacity-off-by-one", "gomry-auth-bypass", "talque-unchanged-bumps-mtime",
               "talque-list-skips-at-page-boundary", "planhat-resend-duplicates", "planhat-error-shape")
# Served by `python -m tests.mutants.serve` and checked over HTTP.
OVER_HTTP = ("gomry-idempotency-not-scoped", "talque-upsert-duplicates", "talque-null-cursor-refused",
             "planhat-offset-off-by-one", "gomry-404-everything", "gomry-404-past-the-events")
CLI_MUTANT = "gomry-capacity-off-by-one"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "contract-checks.md"


def mentions(text: str, name: str) -> bool:
    """`name` as a whole check name in `text` (`gomry.capacity`, `ignored_auth`, ...), not inside another."""
    return re.search(rf"(?<![\w.]){re.escape(name)}(?![\w.])", text) is not None


def naming(report: Report, name: str) -> list[checks.CheckResult]:
    """The failed results that name check `name`: a rule's result, or a fuzz/stateful result whose failed
    checks include it."""
    return [r for r in report.failures if r.name == name or any(mentions(c, name) for c in r.failed_checks)]


def killed(report: Report, mutant: Mutant) -> bool:
    return not report.ok and all(naming(report, name) for name in mutant.catches)


def explain(report: Report, mutant: Mutant) -> str:
    named = {name: [r.name for r in naming(report, name)] for name in mutant.catches}
    return f"{mutant.name}: {mutant.description}\nexpected {named}\n{report.summary()}"


def run_mutant(mutant: Mutant, *, full: bool = False, base_url: str | None = None) -> Report:
    """The checks of `mutant.vendor` (only what catches it, unless `full`) against the mutated fake,
    in-process, or at `base_url` where it is served."""
    select = None if full else mutant.selection
    if base_url is not None:
        return checks.run(mutant.vendor, base_url, max_examples=EXAMPLES, seed=SEED, select=select)
    with pytest.MonkeyPatch.context() as monkeypatch:
        mutant.patch(monkeypatch)
        app = create_app()  # after the patch: error shapes and validators are read when the app is built
        return checks.run(mutant.vendor, app=app, max_examples=EXAMPLES, seed=SEED, select=select)


@functools.cache
def verdict(name: str) -> Report:
    """One in-process run per mutant and process, shared by its own test and the score."""
    return run_mutant(MUTANTS[name])


@pytest.mark.parametrize("name", SCORED)
def test_the_mutant_is_killed_and_the_rule_named(name: str) -> None:
    mutant = MUTANTS[name]
    report = verdict(name)
    assert killed(report, mutant), explain(report, mutant)
    for check in mutant.catches:
        for result in naming(report, check):
            assert result.status == "failed", explain(report, mutant)  # a verdict, not a crash of the checker
            assert result.reproduction, f"{result.name} gives no request sequence to reproduce it"


@pytest.mark.parametrize("name", EQUIVALENT)
def test_an_equivalent_mutant_survives(name: str) -> None:
    """It breaks no rule of the contract (see its `equivalent`): the checks must not over-reach."""
    report = verdict(name)
    assert report.ok, explain(report, MUTANTS[name])


def _selections() -> dict[str, list[str]]:
    by_vendor: dict[str, dict[str, None]] = defaultdict(dict)
    for mutant in MUTANTS.values():
        by_vendor[mutant.vendor].update(dict.fromkeys(mutant.selection))
    return {vendor: list(names) for vendor, names in sorted(by_vendor.items())}


@pytest.mark.parametrize(("vendor", "select"), list(_selections().items()), ids=list(_selections()))
def test_the_same_checks_pass_on_the_real_fakes(vendor: str, select: list[str]) -> None:
    report = checks.run(vendor, app=create_app(validate_responses=True), max_examples=EXAMPLES, seed=SEED,
                        select=select)
    assert report.ok, report.summary()


@pytest.mark.parametrize("name", DEFAULT_RUN)
def test_the_full_default_run_kills_it(name: str) -> None:
    mutant = MUTANTS[name]
    report = run_mutant(mutant, full=True)
    assert killed(report, mutant), explain(report, mutant)
    assert {result.kind for result in report.results} >= {"rule", "fuzz", "stateful"}  # nothing was left out


@pytest.mark.parametrize("name", OVER_HTTP)
def test_a_served_mutant_is_killed_over_http(name: str) -> None:
    mutant = MUTANTS[name]
    assert mutant.http
    with ServedMutant(name) as served:
        report = run_mutant(mutant, base_url=served.url + checks.VENDORS[mutant.vendor].prefix)
        output = "\n".join(served.output)
    assert killed(report, mutant), explain(report, mutant) + "\n--- server output:\n" + output
    assert all(not t.startswith("in-process") for t in report.targets.values())


def test_the_served_real_fakes_pass_the_same_checks() -> None:
    with ServedMutant("none") as served:
        for name in OVER_HTTP:
            mutant = MUTANTS[name]
            report = checks.run(mutant.vendor, served.url + checks.VENDORS[mutant.vendor].prefix,
                                max_examples=EXAMPLES, seed=SEED, select=mutant.selection)
            assert report.ok, report.summary()


def test_the_cli_fails_on_a_served_mutant_and_names_the_rule() -> None:
    """`ticketfakes check gomry --base-url URL`, the default run (no --only), as a user runs it."""
    with ServedMutant(CLI_MUTANT) as served:
        done = subprocess.run(
            [sys.executable, "-m", "ticketfakes", "check", "gomry", "--base-url", served.url + "/gomry/api/v1",
             "--max-examples", str(EXAMPLES), "--seed", str(SEED)],
            cwd=ROOT, capture_output=True, text=True, timeout=180,
        )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "=== FAILED: gomry / gomry.capacity" in done.stdout, done.stdout
    assert "Reproduce (in order):" in done.stdout
    assert re.search(r"curl -sS -X POST http://127\.0\.0\.1:\d+/gomry/api/v1/events/evt_small/attendees [^#]*# -> 201",
                     done.stdout), done.stdout


def test_every_rule_and_response_check_has_a_mutant() -> None:
    """At least one mutant per business rule and response check, and per vendor."""
    named = {name for mutant in scored() for name in mutant.catches}
    rules = {rule.name for rule in checks.all_rules()}
    from ticketfakes.checks import RESPONSE_CHECKS

    responses = {check.__name__ for group in RESPONSE_CHECKS.values() for check in group}
    assert not (rules | responses) - named, f"no mutant breaks {sorted((rules | responses) - named)}"
    assert {m.vendor for m in scored()} == set(checks.VENDORS)
    assert all(m.description and m.catches for m in MUTANTS.values())


def test_the_docs_list_every_mutant_and_the_score() -> None:
    text = DOCS.read_text(encoding="utf-8")
    section = text[text.index("## Mutants"):]
    for mutant in MUTANTS.values():
        assert f"`{mutant.name}`" in section, mutant.name
    assert f"Mutation score: {len(SCORED)}/{len(SCORED)} killed" in section


def test_mutation_score(request: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """Every scored mutant killed: prints the table and the score."""
    lines, survivors = [], []
    for name in SCORED:
        mutant, report = MUTANTS[name], verdict(name)
        alive = not killed(report, mutant)
        if alive:
            survivors.append(name)
        caught = ", ".join(sorted({r.name for c in mutant.catches for r in naming(report, c)})) or "-"
        lines.append(f"  {'SURVIVED' if alive else 'killed  '} {name:<40} {mutant.vendor:<15} by {caught}")
    lines += [f"  equivalent {name} (not scored): {MUTANTS[name].equivalent}" for name in EQUIVALENT]
    score = f"mutation score: {len(SCORED) - len(survivors)}/{len(SCORED)} killed"
    text = "\n".join([score, *lines])
    print(text)  # captured: `-rP` shows it, with xdist too
    if not os.environ.get("PYTEST_XDIST_WORKER"):  # a worker's terminal is not the user's
        with capsys.disabled():
            print(f"\n{score}")
    request.node.user_properties.append(("mutation_score", f"{len(SCORED) - len(survivors)}/{len(SCORED)}"))
    assert not survivors, text
