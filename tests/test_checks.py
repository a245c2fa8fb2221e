"""`ticketfakes check`: the contract checks pass on the fakes (in-process and over HTTP), write valid
JUnit XML, only ever write namespaced ids, and catch a broken implementation, naming the rule."""

from __future__ import annotations

import re
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ticketfakes import checks
from ticketfakes.app import create_app
from ticketfakes.checks import RESPONSE_CHECKS
from ticketfakes.checks.report import CheckResult, Report
from ticketfakes.checks.target import Recorded
from ticketfakes.cli import main
from ticketfakes.fakes.gomry.model import GomryBackend, capacity_conflict
from ticketfakes.fakes.gomry.records import remaining
from ticketfakes.server import ServedProcess

EXAMPLES = 10  # the tests' profile; the CLI default (25) and --max-examples go deeper
SEED = 20240601
DOCS = Path(__file__).resolve().parents[1] / "docs" / "contract-checks.md"


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    with ServedProcess(validate_responses=True) as process:  # every response checked against its spec
        yield process.url


def explain(report: Report) -> str:
    return report.summary()


@pytest.mark.parametrize("vendor", list(checks.VENDORS))
def test_every_check_passes_on_the_embedded_fake(vendor: str) -> None:
    app = create_app(validate_responses=True)
    report = checks.run(vendor, app=app, max_examples=EXAMPLES, seed=SEED)
    assert report.ok, explain(report)
    names = {result.name for result in report.results}
    assert {rule.name for rule in checks.rules_for(vendor)} <= names
    fuzzed = {result.name for result in report.results if result.kind == "fuzz" and result.status == "passed"}
    with checks.Contract(vendor, app=app) as contract:
        operations = {item.ok().label for item in contract.schema.get_all_operations()}
    assert {f"fuzz {label} [positive]" for label in operations} <= fuzzed
    stateful = [result for result in report.results if result.kind == "stateful"]
    assert [r.status for r in stateful] == (["passed"] if vendor in ("gomry", "planhat") else ["skipped"])
    assert all(r.requests > 0 for r in report.results if r.status == "passed" and r.kind != "stateful")


def test_check_all_over_http_against_ticketfakes_serve(served: str, tmp_path: Path, capsys: Any) -> None:
    junit = tmp_path / "reports" / "contract.xml"
    status = main(["check", "all", "--base-url", served, "--max-examples", "5", "--seed", str(SEED),
                   "--junit", str(junit)])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "all checks passed" in out
    assert re.search(r"Created \d+ item\(s\)\. Ids the checker chose start with ticketfakes-check-", out)
    suites = ET.parse(junit).getroot()
    assert suites.tag == "testsuites"
    assert {suite.get("name") for suite in suites} == {f"ticketfakes.{v}" for v in checks.VENDORS}
    for suite in suites:
        assert suite.get("failures") == "0" and suite.get("errors") == "0", ET.tostring(suite)[:2000]
        assert int(suite.get("tests")) == len(suite.findall("testcase")) > 4
        assert {p.get("name"): p.get("value") for p in suite.iter("property")}["target"].startswith(served)


def test_a_run_writes_only_namespaced_ids_and_cleans_up() -> None:
    app = create_app()
    state = app.state.ticketfakes
    report = checks.run("all", app=app, max_examples=EXAMPLES, seed=SEED, stateful=False)
    assert report.ok, explain(report)
    prefix = f"ticketfakes-check-{report.run_id}-"
    talque = [t for t in report.created if t.vendor == "talque"]
    assert talque and all(t.id.startswith(prefix) for t in talque)
    dump = state.dump()["vendors"]
    for ticket in dump["talque"]["tickets"]:
        assert ticket["ticket_id"].startswith(prefix), ticket
    assert not [t for t in report.created if t.vendor in ("gomry", "planhat") and not t.removed]
    gomry_contacts = [c["email"] for c in dump["gomry"]["contacts"]]
    assert gomry_contacts and all(email.startswith(prefix) for email in gomry_contacts)
    for order in dump["talque"]["purchase_orders"]:
        assert order["ext_purchase_id"].startswith(prefix), order
    assert dump["planhat"]["tickets"] == []  # deleted again
    new_users = [u["email"] for u in dump["planhat"]["endUsers"] if u["email"] != "max@acme.example"]
    assert new_users and all(email.startswith(prefix) and email.endswith("@example.com") for email in new_users)


def _off_by_one_seats(event: Any, tc: Any, event_need: int, class_need: int) -> None:
    """A broken Gomry: sells one seat more than the event and the class have."""
    event_left = remaining(event.capacity, event.held)
    class_left = remaining(tc.quantity_total, tc.held)
    if (event_left is not None and event_need > event_left + 1) or (
        class_left is not None and class_need > class_left + 1
    ):
        raise capacity_conflict(min(n for n in (event_left, class_left) if n is not None))


def test_a_broken_capacity_rule_is_caught_and_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(GomryBackend, "_check_seats", staticmethod(_off_by_one_seats))
    report = checks.run("gomry", app=create_app(), max_examples=EXAMPLES, seed=SEED, select=["gomry.capacity"])
    assert not report.ok
    [failure] = report.failures
    assert failure.name == "gomry.capacity" and failure.failed_checks == ["gomry.capacity"]
    assert "expected 409" in failure.message
    assert failure.reproduction[-1].startswith("curl -sS -X POST http://127.0.0.1:8000/gomry/api/v1/events/evt_small")
    assert failure.reproduction[-1].endswith("# -> 201")
    assert "gomry.capacity" in report.summary()


def test_the_cli_exits_non_zero_on_a_broken_fake(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.setattr(GomryBackend, "_check_seats", staticmethod(_off_by_one_seats))
    assert main(["check", "gomry", "--only", "gomry.capacity", "--seed", "1"]) == 1
    out = capsys.readouterr().out
    assert "=== FAILED: gomry / gomry.capacity" in out and "Reproduce (in order):" in out


def test_a_broken_response_check_fails_the_fuzzed_operation(monkeypatch: pytest.MonkeyPatch) -> None:
    from ticketfakes.core.idempotency import IdempotencyStore

    monkeypatch.setattr(IdempotencyStore, "begin", lambda self, scope, key: None)  # never replays
    report = checks.run("gomry", app=create_app(), max_examples=EXAMPLES, seed=SEED, select=["fuzz"],
                        stateful=False)
    failed = {name for result in report.failures for name in result.failed_checks}
    assert any("gomry_idempotency_replay" in name for name in failed), explain(report)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["check", "gomry", "--param", "nope=1"], "unknown --param nope"),
        (["check", "gomry", "--header", "X-API-KEY"], "--header expects NAME=VALUE"),
        (["check", "gomry", "--base-url", "localhost:8000"], "must start with http"),
        (["check", "gomry", "--max-examples", "0"], "at least 1"),
        (["check", "gomry", "--only", "gomry.nope"], "unknown check gomry.nope"),
        (["check", "planhat", "--base-url", "http://127.0.0.1:9/planhat"], "cannot reach http://127.0.0.1:9"),
    ],
)
def test_bad_arguments_exit_2_with_a_reason(argv: list[str], message: str, capsys: Any) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_junit_xml_survives_any_message(tmp_path: Path) -> None:
    report = Report(seed=1, run_id="abc", targets={"gomry": "http://x"})
    report.results = [
        CheckResult("gomry", "gomry.capacity", "rule", "failed", 0.5, "sold 4 of 3", "oversold\x00\ud800 <&>",
                    ["gomry.capacity"], ["curl -sS -X GET http://x  # -> 200"]),
        CheckResult("gomry", "fuzz GET /events [positive]", "fuzz", "passed", 0.1),
        CheckResult("gomry", "stateful (OpenAPI links)", "stateful", "skipped", message="no links"),
    ]
    path = tmp_path / "out.xml"
    report.write_junit(path)
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite is not None and (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("3", "1", "1")
    failure = suite.find("testcase/failure")
    assert failure is not None and "curl -sS -X GET http://x" in (failure.text or "")
    assert "oversold" in failure.get("message", "")


def test_reproductions_hide_real_credentials() -> None:
    entry = Recorded("GET", "http://testserver/gomry/api/v1/events", (("X-API-KEY", "live_secret"),), b"", 200)
    assert entry.as_curl(["live_secret"]) == (
        "curl -sS -X GET http://127.0.0.1:8000/gomry/api/v1/events -H 'X-API-KEY: <redacted>'  # -> 200"
    )
    contract = checks.Contract("gomry", base_url="http://x", headers={"X-API-KEY": "live_secret"})
    assert "live_secret" in contract.secrets and "gk_other" not in contract.secrets
    contract.close()


def test_every_check_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for rule in checks.all_rules():
        assert f"`{rule.name}`" in text, rule.name
        assert rule.description, f"{rule.name} has no docstring"
    for check in {c for group in RESPONSE_CHECKS.values() for c in group}:
        assert f"`{check.__name__}`" in text, check.__name__
        assert check.__doc__


def test_the_documented_pytest_usage_works(
    served: str, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = DOCS.read_text(encoding="utf-8")
    example = re.search(r"```python\n(# test_gomry_contract\.py.*?)```", text, re.S)
    assert example, "docs/contract-checks.md lost its pytest example"
    pytester.makepyfile(test_gomry_contract=textwrap.dedent(example.group(1)))
    monkeypatch.setenv("GOMRY_BASE_URL", served + "/gomry/api/v1")
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    assert result.ret == 0, "\n".join(result.outlines[-40:])
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= len(checks.rules_for("gomry")) + 8 and not outcomes.get("failed")


def test_cli_check_choices_match_the_checker() -> None:
    from ticketfakes.checks.vendors import CHOICES
    from ticketfakes.cli import check_vendors

    assert tuple(CHOICES) == check_vendors()
