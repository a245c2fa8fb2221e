"""`ticketfakes check` against an implementation no one here wrote: Prism (`@stoplight/prism-cli`, a
stateless mock) serving specs/gomry.yaml and specs/planhat.yaml over HTTP.

The checker must pass preflight and coverage against it and report exactly the rules that need a
server that remembers (docs/contract-checks.md, "Proof against Prism"), each with a readable
reproduction. `.ci/run` installs Prism into bench/.node/ (as bench/run does); without it the test skips,
unless the CI environment variable is set: then a missing Prism is a failure.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ticketfakes import checks
from ticketfakes.server import stop_process

ROOT = Path(__file__).resolve().parents[1]
PRISM = Path(os.environ.get("TICKETFAKES_PRISM", ROOT / "bench" / ".node" / "node_modules" / ".bin" / "prism"))
SEED = 20240601
# Prism serves the spec's examples: the small event and its class are the ones its examples name.
PARAMS = {"gomry": {"smallEventId": "evt_demo", "smallTicketClassId": "tc_general"}, "planhat": {}}
# What a stateless mock cannot keep: every rule that reads back what an earlier request wrote (capacity,
# replay, read-after-write, paging over created records) or that needs a registry of credentials
# (tenant isolation: Prism checks that a key is present, not which one).
STATEFUL_RULES = {
    "gomry": {"gomry.capacity", "gomry.idempotency", "gomry.read_after_write", "gomry.list_paging",
              "gomry.tenant_isolation"},
    "planhat": {"planhat.counts", "planhat.read_after_write", "planhat.list_paging", "planhat.tenant_isolation"},
}

if not PRISM.exists():
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but Prism is not installed at {PRISM} (.ci/run installs it)", pytrace=False)
    pytest.skip(f"Prism is not installed at {PRISM}: run .ci/run, or bench/run, to install it",
                allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module", params=["gomry", "planhat"])
def prism(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    vendor = request.param
    port = _free_port()
    process = subprocess.Popen(
        [str(PRISM), "mock", str(ROOT / "specs" / f"{vendor}.yaml"), "-p", str(port), "-h", "127.0.0.1",
         "-v", "warn"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stdout.read().decode(errors="replace") if process.stdout else ""
                    pytest.fail(f"Prism did not start: {output[-2000:]}")
                time.sleep(0.2)
        yield vendor, url
    finally:
        stop_process(process)


def test_prism_passes_preflight_and_fails_exactly_the_stateful_rules(prism: tuple[str, str]) -> None:
    vendor, url = prism
    report = checks.run(vendor, url, params=PARAMS[vendor], max_examples=3, seed=SEED, select=["rules"])
    by_name = {result.name: result for result in report.results}
    assert by_name["preflight"].status == "passed", report.summary()
    assert by_name["coverage"].status == "passed", report.summary()  # every request reached the mock
    assert {result.name for result in report.failures} == STATEFUL_RULES[vendor], report.summary()
    for result in report.failures:
        assert result.status == "failed", report.summary()  # a verdict, not a crash or a setup error
        assert result.failed_checks == [result.name]
        assert result.reproduction and result.reproduction[-1].startswith("curl -sS -X ")
        for command in result.reproduction:
            assert all(len(line) <= 1100 and line.isprintable() for line in command.splitlines()), command


def test_the_cli_against_prism_exits_1_and_prints_readable_reproductions(
    prism: tuple[str, str], tmp_path: Path
) -> None:
    vendor, url = prism
    html = tmp_path / "prism.html"
    argv = ["check", vendor, "--base-url", url, "--only", "rules", "--seed", str(SEED), "--report-html", str(html)]
    argv += [f"--param={name}={value}" for name, value in PARAMS[vendor].items()]
    done = subprocess.run([sys.executable, "-m", "ticketfakes", *argv], cwd=ROOT,
                          capture_output=True, text=True, timeout=180, env={**os.environ, "NO_COLOR": "1"})
    assert done.returncode == 1, done.stdout + done.stderr
    for rule in STATEFUL_RULES[vendor]:
        assert f"=== FAILED: {vendor} / {rule}" in done.stdout
    assert "\033[" not in done.stdout  # not a TTY: no colour
    page = html.read_text(encoding="utf-8")
    assert all(rule in page for rule in STATEFUL_RULES[vendor]) and "<script" not in page
