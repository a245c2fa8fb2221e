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


# -- parallel runs (docs/namespaces.md) -----------------------------------------------------------------

# Each test fills evt_small (3 seats) and checks it is full a moment later: on one shared world, another
# worker's reset or booking in between breaks it (the "-n 4 fails 16 of 23 tests").
PARALLEL_SUITE = '''
import time

import httpx
import pytest

GOMRY = {"X-API-KEY": "gk_demo_write"}

@pytest.mark.parametrize("i", range(12))
def test_fills_the_small_event(ticketfakes, i):
    url = ticketfakes.base_url("gomry") + "/events/evt_small/attendees"
    body = {"ticket_class_id": "tc_small", "contact": {"email": f"w{i}@example.com"}, "quantity": 3}
    assert httpx.post(url, headers=GOMRY, json=body).status_code == 201
    time.sleep(0.1)
    assert httpx.get(url, headers=GOMRY).json()["pagination"]["total"] == 3
    assert httpx.post(url, headers=GOMRY, json=body).status_code == 409
    assert [m for m in ticketfakes.admin.requests(method="POST")][0]["status"] == 409

def test_where_it_runs(ticketfakes, pytestconfig):
    if pytestconfig.getoption("ticketfakes_url"):
        assert ticketfakes.namespace.startswith("pytest-gw")
        assert ticketfakes.base_url("talque") == ticketfakes.url + "/talque"
        assert "/ns/" + ticketfakes.namespace + "/gomry/api/v1" in ticketfakes.base_url("gomry")
    else:
        assert ticketfakes.namespace == "default" and "/ns/" not in ticketfakes.base_url("gomry")
'''


def test_plugin_under_xdist_without_a_url_starts_a_server_per_worker(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_parallel=PARALLEL_SUITE)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "-n", "4")
    result.assert_outcomes(passed=13)


def test_plugin_under_xdist_shares_a_running_server_one_namespace_per_worker(
    pytester: pytest.Pytester, ticketfakes_server
) -> None:
    pytester.makepyfile(test_parallel=PARALLEL_SUITE)
    result = pytester.runpytest_subprocess(
        "-q", "-p", "no:cacheprovider", "-n", "4", f"--ticketfakes-url={ticketfakes_server.url}"
    )
    result.assert_outcomes(passed=13)
    # each worker deleted its namespace when its session ended, freeing its slot under the cap
    names = [ns["name"] for ns in ticketfakes_server.admin.namespaces()]
    assert not [name for name in names if name.startswith("pytest-")]


FIXTURE_FILE = "gomry:\n  orgs:\n    - id: o\n      api_keys:\n        - key: k\n          scopes: {events: read}\n"
CUSTOM_KEY_SUITE = '''
import httpx
import pytest

@pytest.mark.parametrize("i", range(4))
def test_custom_key(ticketfakes, i):
    assert httpx.get(ticketfakes.base_url("gomry") + "/events", headers={"X-API-KEY": "k"}).status_code == 200
    assert httpx.get(ticketfakes.base_url("gomry") + "/events",
                     headers={"X-API-KEY": "gk_demo_write"}).status_code == 401
'''


def test_fixtures_with_a_url_seed_every_workers_namespace(pytester: pytest.Pytester, ticketfakes_server) -> None:
    pytester.makefile(".yaml", fixtures=FIXTURE_FILE)
    pytester.makepyfile(test_custom=CUSTOM_KEY_SUITE)
    result = pytester.runpytest_subprocess(
        "-q", "-p", "no:cacheprovider", "-n", "2", "--ticketfakes-fixtures=fixtures.yaml",
        f"--ticketfakes-url={ticketfakes_server.url}",
    )
    result.assert_outcomes(passed=4)
    # the server's own default namespace never saw that file
    assert ticketfakes_server.admin.state("gomry")["orgs"][0]["id"] != "o"


def test_a_bad_fixture_file_with_a_url_stops_the_run_clearly(pytester: pytest.Pytester, ticketfakes_server) -> None:
    pytester.makefile(".yaml", fixtures="gomry:\n  orgs: 5\n")
    pytester.makepyfile(test_custom=CUSTOM_KEY_SUITE)
    result = pytester.runpytest_subprocess(
        "-q", "-p", "no:cacheprovider", "--ticketfakes-fixtures=fixtures.yaml",
        f"--ticketfakes-url={ticketfakes_server.url}",
    )
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*--ticketfakes-fixtures: gomry.orgs: expected a list*"])


ISOLATION_SUITE = '''
import httpx

GOMRY = {"X-API-KEY": "gk_demo_write"}
EVENT = "/events/evt_small/attendees"
BODY = {"ticket_class_id": "tc_small", "contact": {"email": "a@example.com"}, "quantity": 2}

def test_1_isolated_is_a_world_of_its_own(ticketfakes, ticketfakes_isolated):
    assert ticketfakes_isolated.namespace != ticketfakes.namespace
    assert httpx.post(ticketfakes_isolated.base_url("gomry") + EVENT, headers=GOMRY, json=BODY).status_code == 201
    assert httpx.get(ticketfakes.base_url("gomry") + EVENT, headers=GOMRY).json()["pagination"]["total"] == 0
    ticketfakes_isolated.admin.reset(fixtures=FIXTURES)
    assert httpx.get(ticketfakes_isolated.base_url("gomry") + "/events", headers=GOMRY).status_code == 401
    assert httpx.get(ticketfakes.base_url("gomry") + "/events", headers=GOMRY).status_code == 200

def test_2_reset_with_fixtures_in_a_test(ticketfakes):
    ticketfakes.admin.reset(fixtures=FIXTURES)
    assert httpx.get(ticketfakes.base_url("gomry") + "/events", headers={"X-API-KEY": "k"}).status_code == 200

def test_3_does_not_leak_into_the_next(ticketfakes):
    assert httpx.get(ticketfakes.base_url("gomry") + "/events", headers=GOMRY).status_code == 200
    names = [ns["name"] for ns in ticketfakes.admin.namespaces()]
    assert not [name for name in names if "-iso-" in name]  # the isolated namespace was deleted
'''


@pytest.mark.parametrize("shared", [False, True], ids=["own-server", "shared-server"])
def test_isolated_namespaces_and_per_test_fixture_resets(
    pytester: pytest.Pytester, ticketfakes_server, shared: bool
) -> None:
    fixtures = pytester.makefile(".yaml", fixtures=FIXTURE_FILE)
    pytester.makepyfile(test_isolation=f"FIXTURES = {str(fixtures)!r}\n" + ISOLATION_SUITE)
    url = [f"--ticketfakes-url={ticketfakes_server.url}"] if shared else []
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "-p", "no:randomly", *url)
    result.assert_outcomes(passed=3)
