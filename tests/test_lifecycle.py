"""The server's life: graceful shutdown, refusing to start on bad fixtures or a busy port, and the whole
state surviving a dump and a restore after load."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from ticketfakes.server import ServedProcess

from .conftest import GOMRY_WRITE, PLANHAT_AUTH, TALQUE_AUTH

SLOW_CREATE = {"rules": [{"vendor": "gomry", "method": "POST", "latency_ms": 1500}]}


def serve(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """`ticketfakes serve ARGS` expected to exit on its own (it must not start)."""
    return subprocess.run([sys.executable, "-m", "ticketfakes", "serve", *args],
                          capture_output=True, text=True, timeout=timeout)


# --- graceful shutdown ----------------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_shutdown_lets_in_flight_requests_finish(sig: signal.Signals) -> None:
    served = ServedProcess(validate_responses=True)
    try:
        assert httpx.put(served.url + "/_admin/faults", json=SLOW_CREATE).status_code == 200
        results: list[Any] = []

        def create(index: int) -> None:
            try:
                response = httpx.post(served.url + "/gomry/api/v1/events/evt_demo/attendees", headers=GOMRY_WRITE,
                                      json={"ticket_class_id": "tc_general",
                                            "contact": {"email": f"late{index}@example.com"}}, timeout=30)
                results.append(response.status_code)
            except httpx.HTTPError as exc:
                results.append(exc)

        threads = [threading.Thread(target=create, args=(i,)) for i in range(5)]
        for thread in threads:
            thread.start()
        time.sleep(0.5)  # all five are inside the 1.5 s handler now
        started = time.monotonic()
        served.process.send_signal(sig)
        time.sleep(0.3)
        with pytest.raises(httpx.TransportError):  # no longer accepting new connections
            httpx.get(served.url + "/_admin/clock", timeout=2)
        for thread in threads:
            thread.join(timeout=20)
        assert results == [201] * 5, results
        code = served.process.wait(timeout=15)
        assert time.monotonic() - started < 10
        # uvicorn re-raises the signal after its graceful shutdown: "terminated by that signal", not a crash
        assert code in (0, -sig, 128 + sig), code
        time.sleep(0.2)
        log = "\n".join(served.output)
        assert "Traceback" not in log, log
    finally:
        served.stop()


# --- refusing to start --------------------------------------------------------------------


BROKEN_FIXTURES = {
    "wrong-type": ("gomry:\n  orgs:\n    - id: gorg_x\n      events:\n        - id: 7\n",
                   "gomry.orgs[0].events[0].id", 5),
    "unknown-key": ("talque:\n  orgs:\n    - id: org-x\n      bogus: 1\n", "talque.orgs[0].bogus", 4),
    # a misspelled key whose value is a block: the key's own line, not the value's
    "misspelled-key": ("talque:\n  orgs:\n    - id: org-x\n      categoriez:\n        a: b\n",
                       "talque.orgs[0].categoriez: unknown key", 4),
    "missing-key": ("planhat:\n  companies:\n    - name: Initech\n",
                    "planhat.companies[0].id: required key is missing", 3),
    "yaml-syntax": ("gomry:\n  orgs:\n    - id: [unclosed\n", "not valid YAML", 4),
    "not-a-mapping": ("- just\n- a list\n", "expected a mapping", 1),
    "bad-number": ("gomry:\n  orgs:\n    - id: gorg_x\n      events:\n        - id: e\n"
                   "          starts_at: '2026-06-01T09:00:00.000Z'\n          capacity: -3\n",
                   "gomry.orgs[0].events[0].capacity", 7),
}


@pytest.mark.parametrize("case", list(BROKEN_FIXTURES))
def test_broken_fixture_file_names_the_key_and_line(tmp_path: Path, case: str) -> None:
    text, key, line = BROKEN_FIXTURES[case]
    broken = tmp_path / "broken.yaml"
    broken.write_text(text)
    result = serve("--port", "0", "--fixtures", str(broken))
    assert result.returncode != 0
    assert key in result.stderr and f"line {line}" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "serving on" not in result.stdout


@pytest.mark.parametrize("text", ["", "# only a comment\n"], ids=["empty", "comment-only"])
def test_an_empty_fixture_file_is_an_error_that_says_so(tmp_path: Path, text: str) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text(text)
    result = serve("--port", "0", "--fixtures", str(empty))
    assert result.returncode != 0 and "serving on" not in result.stdout
    assert "the fixture file is empty" in result.stderr and "Traceback" not in result.stderr, result.stderr


def test_missing_fixture_file_is_a_clear_error(tmp_path: Path) -> None:
    result = serve("--port", "0", "--fixtures", str(tmp_path / "nope.yaml"))
    assert result.returncode != 0
    assert "nope.yaml" in result.stderr and "Traceback" not in result.stderr, result.stderr


def test_port_in_use_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = serve("--port", str(port))
    assert result.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "in use" in result.stderr.lower(), result.stderr
    assert "Traceback" not in result.stderr


def test_port_of_a_running_ticketfakes_is_a_clear_error() -> None:
    with ServedProcess(validate_responses=False) as first:
        port = first.url.rsplit(":", 1)[1]
        result = serve("--port", port)
        assert result.returncode != 0 and "in use" in result.stderr.lower(), result.stderr
        assert httpx.get(first.url + "/_admin/clock").status_code == 200  # the first one is unharmed


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_impossible_port_is_a_usage_error(port: str) -> None:
    result = serve("--port", port)
    assert result.returncode == 2
    assert "--port" in result.stderr and "Traceback" not in result.stderr, result.stderr


# --- dump and restore after load ----------------------------------------------------------


def load(url: str) -> dict[str, Any]:
    """A few hundred writes on every vendor; returns what to compare afterwards."""
    with httpx.Client(base_url=url, timeout=30) as http:
        for batch in range(3):
            tickets = [{"extTicketId": f"T-load-{batch}-{i}", "email": f"p{i % 40}@example.com",
                        "firstName": "Zoë", "tickets": ["day-pass"]} for i in range(100)]
            assert http.post("/talque/webhook/org/org-demo/ticket", headers=TALQUE_AUTH,
                             json={"tickets": tickets, "purchaseOrder": {"extPurchaseId": f"PO-{batch}"}}
                             ).status_code == 200
        created = []
        for i in range(30):
            response = http.post("/gomry/api/v1/events/evt_demo/attendees",
                                 headers={**GOMRY_WRITE, "Idempotency-Key": f"load-{i}"},
                                 json={"ticket_class_id": "tc_general", "send_email": i % 5 == 0,
                                       "contact": {"email": f"g{i}@example.com"}})
            assert response.status_code == 201, response.text
            created.append(response)
        attendee = created[0].json()["data"][0]["id"]
        assert http.patch(f"/gomry/api/v1/events/evt_demo/attendees/{attendee}", headers=GOMRY_WRITE,
                          json={"status": "checked_in"}).status_code == 200
        items = [{"sourceId": f"load-{i}", "email": "max@acme.example", "custom": {"n": i}} for i in range(500)]
        assert http.put("/planhat/tickets", headers=PLANHAT_AUTH, json=items).status_code == 200
        http.post("/_admin/clock", json={"advance_ms": 3_600_000})
        first_page = http.post("/talque/api/v1/ticket/list", headers=TALQUE_AUTH,
                               json={"orgId": "org-demo", "limit": 50}).json()
        return {"replayed": created[7], "cursor": first_page["cursor"]}


def reads(url: str, cursor: str) -> list[Any]:
    """The same reads, on any server: they must agree between the original and the restored one."""
    with httpx.Client(base_url=url, timeout=30) as http:
        return [
            http.post("/talque/api/v1/ticket/list", headers=TALQUE_AUTH,
                      json={"orgId": "org-demo", "limit": 1000}).json(),
            http.post("/talque/api/v1/ticket/list", headers=TALQUE_AUTH,
                      json={"orgId": "org-demo", "limit": 50, "cursor": cursor}).json(),
            http.get("/_admin/talque/orgs/org-demo/profiles").json(),
            http.get("/gomry/api/v1/events/evt_demo/attendees", headers=GOMRY_WRITE,
                     params={"page_size": 200, "status": "valid,checked_in"}).json(),
            http.get("/gomry/api/v1/events/evt_demo", headers=GOMRY_WRITE).json(),
            http.get("/_admin/gomry/outbox").json(),
            http.get("/planhat/tickets", headers=PLANHAT_AUTH, params={"limit": 10000}).json(),
            http.get("/_admin/clock").json(),
        ]


def test_state_dump_restores_exactly_after_load() -> None:
    with ServedProcess(validate_responses=True) as original, ServedProcess(validate_responses=True) as copy:
        facts = load(original.url)
        httpx.post(original.url + "/_admin/clock", json={"frozen": True})
        dump = httpx.get(original.url + "/_admin/state", timeout=30).json()
        assert len(dump["vendors"]["talque"]) and dump["idempotency"], "the load left nothing to dump"

        restored = httpx.put(copy.url + "/_admin/state", json=dump, timeout=60)
        assert restored.status_code == 200, restored.text[:500]
        assert httpx.get(copy.url + "/_admin/state", timeout=30).json() == dump
        assert reads(copy.url, facts["cursor"]) == reads(original.url, facts["cursor"])

        # The replay records travel too: the same key answers the same bytes on the restored server.
        replay = httpx.post(copy.url + "/gomry/api/v1/events/evt_demo/attendees",
                            headers={**GOMRY_WRITE, "Idempotency-Key": "load-7"},
                            json={"ticket_class_id": "tc_general", "contact": {"email": "other@example.com"}})
        assert replay.status_code == 201 and replay.content == facts["replayed"].content
        assert replay.headers["idempotent-replay"] == "true"

        # And the restored server keeps working: a write lands after everything restored.
        after = httpx.post(copy.url + "/talque/webhook/org/org-demo/ticket", headers=TALQUE_AUTH,
                           json={"tickets": [{"extTicketId": "T-after"}]}).json()
        assert after["ticketById"]["T-after"]["reason"] == "CREATED"


def test_a_malformed_dump_changes_nothing() -> None:
    with ServedProcess(validate_responses=True) as served:
        load(served.url)
        httpx.post(served.url + "/_admin/clock", json={"frozen": True})
        before = httpx.get(served.url + "/_admin/state", timeout=30).json()
        broken = {**before, "vendors": {**before["vendors"], "planhat": {"tickets": "nope"}}}
        response = httpx.put(served.url + "/_admin/state", json=broken, timeout=60)
        assert response.status_code == 400 and response.json()["error"], response.text[:300]
        assert httpx.get(served.url + "/_admin/state", timeout=30).json() == before
