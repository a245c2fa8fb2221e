"""The command line as a user meets it: help, version, option checking, access log, stopping."""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
from importlib.metadata import version

import httpx
import pytest

from ticketfakes.cli import build_parser
from ticketfakes.server import ServedProcess


def ticketfakes(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ticketfakes", *args], capture_output=True, text=True, timeout=60)


def test_version() -> None:
    result = ticketfakes("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"ticketfakes {version('ticketfakes')}"


def test_help_describes_the_tool_and_its_commands() -> None:
    result = ticketfakes("--help")
    assert result.returncode == 0
    for words in ("talque ", "gomry ", "planhat ", "ticketfakes serve", "ticketfakes check VENDOR", "/gomry/api/v1",
                  "--version"):
        assert words in result.stdout, words
    assert "argument parsing only" not in result.stdout  # the module docstring is not the user's help


def subcommands() -> dict[str, argparse.ArgumentParser]:
    (commands,) = (a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(commands.choices)


@pytest.mark.parametrize("command", ["serve", "check"])
def test_every_option_has_help_text(command: str) -> None:
    parser = subcommands()[command]
    for action in parser._actions:
        assert action.help and action.help != argparse.SUPPRESS, f"{command} {action.option_strings or action.dest}"


def test_an_unknown_log_level_is_refused_before_anything_starts() -> None:
    result = ticketfakes("serve", "--port", "0", "--log-level", "loud")
    assert result.returncode == 2
    assert "invalid choice: 'loud'" in result.stderr and "'warning'" in result.stderr
    assert "Traceback" not in result.stderr and "serving on" not in result.stdout


def test_log_level_is_case_insensitive() -> None:
    with ServedProcess(validate_responses=False, extra_args=("--log-level", "INFO")) as served:
        assert httpx.get(served.url + "/_admin/clock").status_code == 200


def test_access_log_alone_prints_one_line_per_request() -> None:
    with ServedProcess(validate_responses=False, extra_args=("--access-log",)) as served:
        time.sleep(0.2)
        before = len(served.output)  # ServedProcess's own readiness probe is logged too
        paths = ["/_admin/clock", "/planhat/tickets", "/gomry/api/v1/events", "/nowhere"]
        for path in paths:
            httpx.get(served.url + path)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and len(served.output) < before + len(paths):
            time.sleep(0.05)
        time.sleep(0.2)
        access = [line for line in list(served.output)[before:] if 'HTTP/1.1"' in line]
        assert len(access) == len(paths), list(served.output)
        for path, line in zip(paths, access, strict=True):
            assert f'"GET {path} HTTP/1.1"' in line


def test_without_access_log_no_request_is_printed() -> None:
    with ServedProcess(validate_responses=False) as served:
        httpx.get(served.url + "/_admin/clock")
        time.sleep(0.2)
        assert not [line for line in served.output if 'HTTP/1.1"' in line], list(served.output)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_an_idle_server_stops_at_once(sig: signal.Signals) -> None:
    """Best of three (the machine may be busy with other tests); about 0.15 s here, bound 0.5 s."""
    times = []
    for _ in range(3):
        served = ServedProcess(validate_responses=False)
        with httpx.Client() as client:  # an idle keep-alive connection must not hold the stop up
            assert client.get(served.url + "/_admin/clock").status_code == 200
            started = time.perf_counter()
            served.process.send_signal(sig)
            served.process.wait(timeout=15)
            times.append(time.perf_counter() - started)
    assert min(times) < 0.5, times
