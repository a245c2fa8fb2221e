"""A checker you can trust (docs/contract-checks.md): no false green (preflight, coverage), no false red
on the fakes at random seeds, unsendable requests skipped and counted, reproductions a person can run,
setup failures that name the --param, and the terminal and HTML reports."""

from __future__ import annotations

import io
import json
import random
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ticketfakes import checks
from ticketfakes.app import create_app
from ticketfakes.checks.command import Terminal
from ticketfakes.checks.contract import Contract
from ticketfakes.checks.coverage import OperationCount
from ticketfakes.checks.html import render
from ticketfakes.checks.ledger import Created
from ticketfakes.checks.misreadings import misreading as vendor_misreading
from ticketfakes.checks.preflight import preflight
from ticketfakes.checks.report import CheckResult, Report
from ticketfakes.checks.reproduce import Files, curl, shell_quote
from ticketfakes.checks.schema import Unsendable, send
from ticketfakes.checks.target import Recorded
from ticketfakes.cli import main
from ticketfakes.server import ServedProcess


def misreading(vendor: str, failure: Any, case: Any, response: Any) -> Any:
    """The checker's misreading lookup, for the check vendor named `vendor`."""
    return vendor_misreading(checks.VENDORS[vendor], failure, case, response)


ROOT = Path(__file__).resolve().parents[1]
SEEDS = 10  # random seeds per CI run, each printed on failure
CI_EXAMPLES = 5


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    with ServedProcess() as process:
        yield process.url


# -- no false red: `check all` in-process at random seeds ------------------------------------------------


@pytest.mark.parametrize("draw", range(SEEDS))
def test_check_all_passes_on_the_fakes_at_a_random_seed(draw: int) -> None:
    seed = random.SystemRandom().randrange(2**32)
    report = checks.run("all", app=create_app(validate_responses=True), max_examples=CI_EXAMPLES, seed=seed)
    assert report.ok, (f"repeat with: ticketfakes check all --max-examples {CI_EXAMPLES} --seed {seed}\n"
                       + report.summary())
    coverage = [result for result in report.results if result.kind == "coverage"]
    assert len(coverage) == len(checks.VENDORS) and all(result.status == "passed" for result in coverage)


# -- no false green: the misconfigurations, over HTTP through the CLI ------------------------------


@pytest.mark.parametrize(
    ("path", "extra", "line"),
    [
        ("", ["--only", "fuzz"], "GET /events answered 404: is --base-url the API root, e.g. http://127.0.0.1:"),
        ("", ["--only", "stateful"], "GET /events answered 404: is --base-url the API root"),
        ("/gomry/api/v1", ["--header", "X-API-KEY=wrong", "--only", "fuzz"],
         "GET /events answered 401: check --header X-API-KEY"),
        ("/gomry/api/v1", ["--header", "X-API-KEY=wrong", "--only", "stateful"],
         "GET /events answered 401: check --header X-API-KEY"),
        ("/gomry/api/v1", ["--param", "eventId=evt_nope"],
         "GET /events/evt_nope answered 404: --param eventId=evt_nope names nothing this credential may use; "
         "set --param eventId=<id>, e.g. --param eventId=evt_123"),
    ],
)
def test_a_misconfigured_target_exits_2_with_one_line(served: str, path: str, extra: list[str], line: str,
                                                       capsys: Any) -> None:
    status = main(["check", "gomry", "--base-url", served + path, "--max-examples", "3", "--seed", "1", *extra])
    captured = capsys.readouterr()
    assert status == 2, captured.out
    [message] = captured.err.splitlines()
    assert line in message
    assert "all checks passed" not in captured.out
    assert "=== FAILED: gomry / preflight" in captured.out and "# -> " in captured.out


def test_planhat_and_talque_preflight_name_the_credential(served: str) -> None:
    report = checks.run("planhat", served + "/planhat", headers={"Authorization": "Bearer nope"}, select=["fuzz"])
    [result] = report.results
    assert (result.name, result.status) == ("preflight", "failed")
    assert result.message == ("GET /tickets answered 401: check --header Authorization "
                              "(the credential the target expects)")
    report = checks.run("talque", served + "/talque", params={"orgId": "org-nope"}, select=["rules"])
    assert "--param orgId=org-nope" in report.results[0].message and report.results[0].status == "failed"


@pytest.fixture(scope="module")
def receiver() -> Iterator[str]:
    """A talque webhook receiver without the JSON API: the fake with every /api/ request answered 404."""
    with ServedProcess() as process:
        faults = {"rules": [{"vendor": "talque", "path_pattern": "/api/*", "status": 404}]}
        httpx.put(process.url + "/_admin/faults", json=faults).raise_for_status()
        yield process.url


def test_a_webhook_receiver_alone_passes_fuzz_and_stateful(receiver: str, capsys: Any) -> None:
    status = main(["check", "talque-webhook", "--base-url", receiver + "/talque", "--only", "fuzz",
                   "--max-examples", "3", "--seed", "1"])
    captured = capsys.readouterr()
    assert status == 0, captured.out + captured.err
    assert "preflight" in captured.out and "all checks passed" in captured.out
    report = checks.run("talque-webhook", receiver + "/talque", select=["stateful"], max_examples=2, seed=1)
    assert report.ok, report.summary()


def test_the_webhook_preflight_posts_one_ledgered_ticket(served: str) -> None:
    with Contract("talque-webhook", base_url=served + "/talque") as contract:
        result = preflight(contract, rules=False)
        assert result.status == "passed" and result.requests == 1, result.message
        [created] = contract.ledger.items()
        assert created.id.startswith(contract.ids.prefix) and created.kind == "ticket" and created.chosen
        read = contract.target.post("/api/v1/ticket/read", {"orgId": "org-demo", "provider": "demo-shop",
                                                              "ticketIdList": [created.id]})
        assert read.json()["ticketById"][created.id]["reason"] == "SUCCESS"
        result = preflight(contract, rules=True)  # with the rules: the JSON API beside it too
        assert result.status == "passed" and result.requests == 2


def test_the_webhook_rules_say_they_need_the_json_api(receiver: str, capsys: Any) -> None:
    status = main(["check", "talque-webhook", "--base-url", receiver + "/talque", "--only", "rules"])
    captured = capsys.readouterr()
    assert status == 2, captured.out
    [message] = captured.err.splitlines()
    assert ("talque-webhook: the webhook rules read tickets back through the JSON API: POST /api/v1/ticket/list "
            "answered 404: ") in message


@pytest.mark.parametrize(
    ("vendor", "path", "extra", "line"),
    [
        ("talque", "", [], "POST /api/v1/ticket/list answered 404: is --base-url the API root, "
                           "e.g. http://127.0.0.1:{port}/talque?"),
        ("talque-webhook", "", ["--only", "fuzz"], "POST /webhook/org/org-demo/ticket answered 404: is --base-url "
                                                   "the API root, e.g. http://127.0.0.1:{port}/talque?"),
        ("talque", "/talque", ["--param", "orgId=org-nope"],
         "POST /api/v1/ticket/list answered 404: --param orgId=org-nope names nothing this credential may use; "
         "set --param orgId=<id>, e.g. --param orgId=org-123"),
        ("talque-webhook", "/talque", ["--param", "orgId=org-nope", "--only", "fuzz"],
         "POST /webhook/org/org-nope/ticket answered 404: --param orgId=org-nope names nothing"),
    ],
)
def test_talque_preflight_tells_a_missing_route_from_an_unknown_org(served: str, vendor: str, path: str,
                                                                    extra: list[str], line: str,
                                                                    capsys: Any) -> None:
    status = main(["check", vendor, "--base-url", served + path, "--max-examples", "3", *extra])
    captured = capsys.readouterr()
    assert status == 2, captured.out
    [message] = captured.err.splitlines()
    assert line.format(port=served.rsplit(":", 1)[1]) in message
    assert path or "--param" not in message  # the root: nothing about a --param the user never passed


def test_a_setup_failure_names_the_param_and_exits_2(capsys: Any) -> None:
    status = main(["check", "gomry", "--only", "gomry.capacity", "--param", "smallTicketClassId=tc_nope"])
    captured = capsys.readouterr()
    assert status == 2
    assert ("setup: --param smallTicketClassId=tc_nope: ticket class 'tc_nope' is not listed for event "
            "'evt_small'; set --param smallTicketClassId=<id>, e.g. --param smallTicketClassId=tc_789") in captured.err


def test_coverage_counts_per_operation() -> None:
    report = checks.run("planhat", app=create_app(), max_examples=5, seed=3, select=["fuzz"])
    [coverage] = [result for result in report.results if result.kind == "coverage"]
    rows = {row.label: row for row in coverage.coverage}
    assert set(rows) == {"PUT /tickets", "GET /tickets", "DELETE /tickets/{id}"}
    for row in rows.values():
        assert 0 < row.accepted <= row.positive, row
    assert rows["PUT /tickets"].rejected == rows["PUT /tickets"].negative > 0
    # pinned to tickets the run created: a generated id reaches a real record, not only 404
    assert rows["DELETE /tickets/{id}"].statuses[200] > 0
    assert "valid accepted" in report.summary() and "DELETE /tickets/{id}" in report.summary()


# -- documented behaviours, excused narrowly ------------------------------------------------------------


class _Sent:
    def __init__(self, headers: dict[str, str], body: bytes) -> None:
        self.headers, self.body = headers, body


class _Answer:
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None, sent: bytes = b"") -> None:
        self.status_code, self.content = status, json.dumps(body).encode()
        self.request = _Sent(headers or {"content-type": "application/json"}, sent)


class _Case:
    def __init__(self, label: str) -> None:
        self.operation = type("Operation", (), {"label": label})()


def _failure(name: str) -> Any:
    return type(name, (), {})()


ATTENDEE = "GET /events/{eventId}/attendees/{attendeeId}"


def test_misreadings_apply_only_by_name_operation_status_and_condition() -> None:
    deleted, live = _Answer(200, {"status": "deleted"}), _Answer(200, {"status": "valid"})
    assert misreading("gomry", _failure("UseAfterFree"), _Case(ATTENDEE), deleted)
    assert not misreading("gomry", _failure("UseAfterFree"), _Case(ATTENDEE), live)  # a live one is a failure
    assert not misreading("gomry", _failure("UseAfterFree"), _Case("GET /events/{eventId}"), deleted)
    assert not misreading("planhat", _failure("UseAfterFree"), _Case(ATTENDEE), deleted)
    assert not misreading("gomry", _failure("RejectedPositiveData"), _Case(ATTENDEE), deleted)
    patch = _Case("PATCH /events/{eventId}/attendees/{attendeeId}")
    assert misreading("gomry", _failure("RejectedPositiveData"), patch,
                      _Answer(415, {"error": "x"}, {"content-type": ">ad0d"}))
    assert not misreading("gomry", _failure("RejectedPositiveData"), patch,
                          _Answer(415, {"error": "x"}, {"content-type": "application/json; charset=utf-8"}))
    webhook = _Case("POST /webhook/org/{orgId}/ticket")
    big, small = b"x" * (1024 * 1024 + 1), b"x" * 1000
    assert misreading("talque-webhook", _failure("AcceptedNegativeData"), webhook, _Answer(413, {}, sent=big))
    assert not misreading("talque-webhook", _failure("AcceptedNegativeData"), webhook, _Answer(413, {}, sent=small))
    assert not misreading("talque-webhook", _failure("AcceptedNegativeData"), webhook, _Answer(400, {}, sent=big))


# -- unsendable requests --------------------------------------------------------------------------------


def test_a_request_the_client_cannot_send_is_skipped_and_counted(served: str) -> None:
    with checks.Contract("gomry", base_url=served + "/gomry/api/v1") as contract:
        operation = contract.schema["/events"]["GET"]
        for name, value in (("Transfer-Encoding", "9"), ("X-Tab", "\tx"), ("X-Bytes", "é")):
            case = operation.Case(headers={name: value})
            with pytest.raises(Unsendable):
                send(contract, case)
        assert contract.coverage.operations["GET /events"].unsendable == 3
        assert send(contract, operation.Case()).status_code == 200


# -- reproductions --------------------------------------------------------------------------------------


def test_reproductions_escape_bytes_and_send_exactly_the_headers(tmp_path: Path) -> None:
    entry = Recorded("POST", "http://testserver/gomry/api/v1/events/e/attendees",
                     (("X-API-KEY", "wrong"), ("X-Odd", "a\x1bb"), ("accept", "*/*"), ("Accept-Encoding", "br")),
                     b'{"n":"\x00\xe2\x80\xae"}', 401)
    line = curl(entry, files=Files(tmp_path))
    assert "-H 'X-API-KEY: wrong'" in line  # the header that was sent, not the configured one
    assert "$'X-Odd: a\\x1bb'" in line and "\x1b" not in line
    assert "--data-raw $'{\"n\":\"\\x00\\u202e\"}'" in line and "\x00" not in line
    assert "Accept-Encoding: br" in line and "*/*" not in line  # generated kept, client default left out
    assert line.startswith("curl -sS -X POST http://127.0.0.1:8000/gomry/api/v1/events/e/attendees")
    assert line.endswith("# -> 401")
    assert shlex.split(line.replace(" \\\n", " "), comments=True)[-1] != ""


def test_a_body_over_4_kib_goes_to_a_file_and_lines_stay_short(tmp_path: Path) -> None:
    body = json.dumps({"tickets": [{"extTicketId": f"t-{i}"} for i in range(2000)]}).encode()
    entry = Recorded("POST", "http://x/webhook", (("X-Long", "v" * 3000),), body, 413)
    command = curl(entry, files=Files(tmp_path))
    assert all(len(line) < 300 for line in command.splitlines()), command
    [body_file] = re.findall(r"--data-binary @(\S+)", command)
    assert Path(body_file).read_bytes() == body and Path(body_file).parent == tmp_path
    [header_file] = re.findall(r"-H @(\S+)", command)
    assert Path(header_file).read_text() == "X-Long: " + "v" * 3000 + "\n"
    words = shlex.split(command.replace(" \\\n", " "), comments=True)
    assert words[:5] == ["curl", "-sS", "-X", "POST", "http://x/webhook"]


def test_shell_quote_round_trips_through_bash() -> None:
    text = "a'b\x00c\x7f\u202e\ud800 z"
    quoted = shell_quote(text)
    assert quoted.isprintable()
    done = subprocess.run(["bash", "-c", f"printf %s {quoted} | od -An -c"], capture_output=True, text=True)
    assert done.returncode == 0 and "a   '   b" in done.stdout.replace("\n", "")


def test_a_curl_line_replays_against_the_served_fake(served: str, tmp_path: Path) -> None:
    body = json.dumps({"tickets": [{"extTicketId": f"ticketfakes-check-x-{i}", "tickets": ["day-pass"]}
                                   for i in range(300)]}).encode()
    entry = Recorded("POST", f"{served}/talque/webhook/org/org-demo/ticket",
                     (("X-TQ-CLIENT-ID", "demo-client"), ("X-TQ-SECRET", "demo-secret"),
                      ("Content-Type", "application/json")), body, 200)
    command = curl(entry, files=Files(tmp_path)).replace("curl -sS", "curl -sS -o /dev/null -w '%{http_code}'", 1)
    assert "--data-binary @" in command
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60)
    assert done.stdout == "200", done.stdout + done.stderr


def test_the_auth_probe_reproduction_shows_what_was_sent() -> None:
    from tests.mutants.catalogue import MUTANTS

    with pytest.MonkeyPatch.context() as monkeypatch:
        MUTANTS["gomry-auth-bypass"].patch(monkeypatch)
        report = checks.run("gomry", app=create_app(), max_examples=3, seed=1, select=["fuzz"])
    failed = [result for result in report.failures if "ignored_auth" in " ".join(result.failed_checks)]
    assert failed
    for result in failed:
        assert any("x-api-key" not in command.lower() for command in result.reproduction), result.reproduction


def test_the_ledger_separates_chosen_from_assigned_ids() -> None:
    report = Report(seed=1, run_id="abcd1234", created=[
        Created("gomry", "attendee", "tkt_1", "event evt_demo"),
        Created("talque", "ticket", "ticketfakes-check-abcd1234-t-1", "org org-demo"),
        Created("talque", "ticket", "ticketfakes-check-abcd1234-\x00x", "org org-demo"),
    ])
    text = "\n".join(report.created_lines())
    assert "still there, target-assigned ids: tkt_1" in text
    assert ("still there, checker-chosen ids: ticketfakes-check-abcd1234-t-1, "
            "'ticketfakes-check-abcd1234-\\x00x'") in text
    assert "\x00" not in text and "every id" not in text


# -- terminal and HTML ---------------------------------------------------------------------------------


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _report() -> Report:
    failing = CheckResult("gomry", "gomry.capacity", "rule", "failed", 0.1, "<script>x</script>", "sold 4 of 3",
                          ["gomry.capacity"], ["curl -sS -X GET 'http://x/<b>'  # -> 201"], 3)
    coverage = CheckResult("gomry", "coverage", "coverage", "passed")
    coverage.coverage = [OperationCount("GET /events/{eventId}", positive=2, accepted=1)]
    return Report([CheckResult("gomry", "preflight", "preflight", "passed"), failing, coverage], seed=5,
                  run_id="r", targets={"gomry": "http://x"})


def test_progress_and_colour_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    tty, pipe = _Tty(), io.StringIO()
    for stream in (tty, pipe):
        terminal = Terminal(stream)
        for result in _report().results:
            terminal.progress(result)
        stream.write(terminal.summary(_report()))
    assert "gomry: rules" in tty.getvalue() and "\033[31mFAIL\033[0m gomry.capacity" in tty.getvalue()
    assert "\033[" not in pipe.getvalue() and "gomry: rules" not in pipe.getvalue()
    assert "FAIL gomry.capacity" in pipe.getvalue()  # the log lists every check once, in the summary
    monkeypatch.setenv("NO_COLOR", "1")
    quiet = _Tty()
    Terminal(quiet).progress(_report().results[1])
    assert "\033[" not in quiet.getvalue() and "FAIL gomry.capacity" in quiet.getvalue()


def test_the_html_report_is_self_contained_and_escaped(tmp_path: Path) -> None:
    page = render(_report())
    assert "<script" not in page and "&lt;script&gt;" in page and "&lt;b&gt;" in page
    assert "src=" not in page and "href=\"http" not in page
    assert "GET /events/{eventId}" in page and "1/2" in page and "gomry.capacity" in page
    path = tmp_path / "report.html"
    assert main(["check", "planhat", "--only", "planhat.counts", "--report-html", str(path)]) == 0
    assert "planhat.counts" in path.read_text(encoding="utf-8")


def test_the_cli_is_quiet_and_plain_when_not_a_tty() -> None:
    done = subprocess.run([sys.executable, "-m", "ticketfakes", "check", "planhat", "--only", "planhat.counts"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "\033[" not in done.stdout and "planhat: rules" not in done.stdout
    assert "ok   planhat.counts" in done.stdout and "all checks passed" in done.stdout
