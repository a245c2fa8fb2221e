"""The pytest plugin as a user meets it: a fresh suite that only installs ticketfakes."""

from __future__ import annotations

import pytest

USER_SUITE = '''
import httpx

def test_first_creates(ticketfakes):
    r = httpx.post(ticketfakes.base_url("gomry") + "/events/evt_small/attendees",
                   headers={"X-API-KEY": "gk_demo_write"},
                   json={"ticket_class_id": "tc_small", "contact": {"email": "a@example.com"}, "quantity": 3})
    assert r.status_code == 201

def test_second_sees_a_fresh_state(ticketfakes):
    r = httpx.get(ticketfakes.base_url("gomry") + "/events/evt_small/attendees",
                  headers={"X-API-KEY": "gk_demo_write"})
    assert r.json()["pagination"]["total"] == 0

def test_admin_client(ticketfakes):
    assert ticketfakes.admin.freeze()["frozen"] is True
'''


def test_plugin_starts_the_server_and_resets_between_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_SUITE)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_plugin_uses_a_running_server(pytester: pytest.Pytester, ticketfakes_server) -> None:
    pytester.makepyfile(test_user=USER_SUITE)
    result = pytester.runpytest_subprocess(
        "-q", "-p", "no:cacheprovider", f"--ticketfakes-url={ticketfakes_server.url}"
    )
    result.assert_outcomes(passed=3)


def test_plugin_loads_another_fixture_file(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", fixtures="gomry:\n  orgs:\n    - id: o\n      api_keys:\n        - key: k\n"
                      "          scopes: {events: read}\n")
    pytester.makepyfile(test_user='''
import httpx
def test_custom_key(ticketfakes):
    assert httpx.get(ticketfakes.base_url("gomry") + "/events", headers={"X-API-KEY": "k"}).status_code == 200
    assert httpx.get(ticketfakes.base_url("gomry") + "/events",
                     headers={"X-API-KEY": "gk_demo_write"}).status_code == 401
''')
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "--ticketfakes-fixtures=fixtures.yaml")
    result.assert_outcomes(passed=1)


README_EXAMPLE_MARKER = "def test_checkout_books_two_seats(ticketfakes):"


def test_the_readme_example_runs(pytester: pytest.Pytester) -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    start = readme.index("```python\n", readme.index("## In your own pytest suite")) + len("```python\n")
    example = readme[start : readme.index("```", start)]
    assert README_EXAMPLE_MARKER in example
    pytester.makepyfile(test_readme=example)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_a_ticketfakes_url_where_nothing_answers_says_so_in_one_line(pytester: pytest.Pytester) -> None:
    import socket

    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    pytester.makepyfile(test_user=USER_SUITE)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", f"--ticketfakes-url={url}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    lines = [line for line in result.outlines + result.errlines if "no ticketfakes server answers" in line]
    assert len(lines) == 1 and url in lines[0], result.outlines + result.errlines
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
