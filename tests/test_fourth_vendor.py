"""The proof of issue #18: a fourth vendor defined entirely in tests/toyfake, registered through the
`ticketfakes.fakes` entry point group, gets what the built-in fakes get, with no edit under src/.

The toy is installed the way a third party's package is: a `toyfake-0.1.dist-info` with its entry point
in a directory on PYTHONPATH of the server's subprocess (tests/toyfake/dist.py). This process never sees
the entry point, so the registry cached here (and the suite's own server) stay the three built-in fakes.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from ticketfakes.server import ServedProcess, ServerError

from .toyfake.dist import pythonpath, write_dist_info

ACME = {"X-Toy-Key": "toy-key-acme"}
OTHER = {"X-Toy-Key": "toy-key-other"}

FIXTURE = """\
toy:
  api_keys:
    - {key: toy-key-acme, tenant: acme}
    - {key: toy-key-other, tenant: other}
  things:
    - {id: th_anvil, tenant: acme, name: anvil}
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with the toy's dist-info and its fixture file."""
    directory = write_dist_info(tmp_path_factory.mktemp("toyfake-site"))
    (directory / "toy.yaml").write_text(FIXTURE, encoding="utf-8")
    return directory


@contextmanager
def installed(site: Path) -> Iterator[None]:
    """PYTHONPATH with the toy's dist-info (and the repository) for the subprocesses started meanwhile;
    only meanwhile, so that the suite's own server never has the toy."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTHONPATH", pythonpath(site))
        yield


def serve(site: Path, fixtures: Path) -> ServedProcess:
    with installed(site):
        return ServedProcess(fixtures=fixtures)


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[ServedProcess]:
    server = serve(site, site / "toy.yaml")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def toy(served: ServedProcess) -> Iterator[httpx.Client]:
    """A client on the toy server's root, everything reset to the fixture."""
    with httpx.Client(base_url=served.url, timeout=30.0) as client:
        client.post("/_admin/reset").raise_for_status()
        yield client


def fault(response: httpx.Response, status: int, code: str) -> str:
    """The toy's error shape, and nothing else: `{"fault": {"code", "text"}}` -> the text."""
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["fault"] and set(body["fault"]) == {"code", "text"}, body
    assert body["fault"]["code"] == code, body
    return body["fault"]["text"]


def create(client: httpx.Client, name: str, headers: dict[str, str] = ACME, prefix: str = "") -> httpx.Response:
    return client.post(f"{prefix}/toy/things", json={"name": name}, headers=headers)


# -- the API, its validation and its error shape ----------------------------------------------------


def test_the_toy_is_served_from_its_fixture(toy: httpx.Client) -> None:
    assert toy.get("/toy/things/th_anvil", headers=ACME).json() == {"id": "th_anvil", "name": "anvil"}
    created = create(toy, "hammer")
    assert created.status_code == 201
    assert toy.get(f"/toy/things/{created.json()['id']}", headers=ACME).json() == created.json()
    assert created.headers.get("x-ticketfakes-drift") is None  # answers checked against toy.yaml


def test_a_bad_body_is_a_400_in_the_toys_shape(toy: httpx.Client) -> None:
    assert "name" in fault(toy.post("/toy/things", json={"title": "x"}, headers=ACME), 400, "bad_request")
    assert "name" in fault(create(toy, ""), 400, "bad_request")
    fault(toy.post("/toy/things", content=b"{", headers={**ACME, "content-type": "application/json"}),
          400, "bad_request")


def test_the_rule_a_name_is_unique_per_tenant(toy: httpx.Client) -> None:
    assert "anvil" in fault(create(toy, "anvil"), 409, "conflict")
    assert create(toy, "anvil", headers=OTHER).status_code == 201  # another tenant's name is free
    fault(toy.get("/toy/things/th_anvil", headers=OTHER), 404, "not_found")  # and its things unseen


def test_unknown_paths_methods_and_keys_answer_in_the_toys_shape(toy: httpx.Client) -> None:
    fault(toy.get("/toy/nothing", headers=ACME), 404, "not_found")
    fault(toy.delete("/toy/things/th_anvil", headers=ACME), 405, "method_not_allowed")
    fault(toy.get("/toy/things/th_anvil"), 401, "unauthorized")
    fault(toy.get("/toy/things/th_anvil", headers={"X-Toy-Key": "wrong"}), 401, "unauthorized")


# -- the control plane ------------------------------------------------------------------------------


def test_the_journal_records_the_toy(toy: httpx.Client) -> None:
    create(toy, "anvil")
    [entry] = toy.get("/_admin/requests", params={"vendor": "toy"}).json()["requests"]
    assert (entry["vendor"], entry["method"], entry["path"], entry["status"]) == ("toy", "POST", "/toy/things", 409)


def test_reset_all_and_the_toy_alone(toy: httpx.Client) -> None:
    thing = create(toy, "hammer").json()["id"]
    assert "toy" in toy.post("/_admin/reset").json()["reset"]
    fault(toy.get(f"/toy/things/{thing}", headers=ACME), 404, "not_found")
    thing = create(toy, "hammer").json()["id"]
    assert toy.post("/_admin/reset", json={"vendor": "toy"}).json() == {"reset": ["toy"]}
    fault(toy.get(f"/toy/things/{thing}", headers=ACME), 404, "not_found")
    assert toy.get("/toy/things/th_anvil", headers=ACME).status_code == 200


def test_dump_and_restore(toy: httpx.Client) -> None:
    thing = create(toy, "hammer").json()
    state = toy.get("/_admin/state").json()
    assert {"id": thing["id"], "tenant": "acme", "name": "hammer"} in state["vendors"]["toy"]["things"]
    toy.post("/_admin/reset").raise_for_status()
    assert toy.put("/_admin/state", json=state).status_code == 200
    assert toy.get(f"/toy/things/{thing['id']}", headers=ACME).json() == thing
    assert toy.get("/_admin/state/toy").json() == state["vendors"]["toy"]


def test_a_bad_dump_is_refused_and_changes_nothing(toy: httpx.Client) -> None:
    state = toy.get("/_admin/state").json()
    state["vendors"]["toy"]["things"].append({"id": "th_2", "tenant": "acme", "name": "anvil"})
    refused = toy.put("/_admin/state", json=state)
    assert refused.status_code == 400 and "things[1].name" in refused.text, refused.text
    assert toy.get("/_admin/state/toy").json()["things"] == [{"id": "th_anvil", "tenant": "acme", "name": "anvil"}]


def test_fault_rules_answer_in_the_toys_shape(toy: httpx.Client) -> None:
    rule = {"vendor": "toy", "method": "POST", "path_pattern": "/things", "status": 503, "times": 1}
    assert toy.put("/_admin/faults", json={"rules": [rule]}).status_code == 200
    assert "Injected fault" in fault(create(toy, "hammer"), 503, "http_503")
    assert create(toy, "hammer").status_code == 201  # the rule applied once


def test_namespaces_keep_the_toy_apart(toy: httpx.Client) -> None:
    created = create(toy, "hammer", prefix="/ns/x")
    assert created.status_code == 201
    assert toy.get(f"/ns/x/toy/things/{created.json()['id']}", headers=ACME).status_code == 200
    fault(toy.get(f"/toy/things/{created.json()['id']}", headers=ACME), 404, "not_found")
    assert create(toy, "hammer").status_code == 201  # the default namespace never saw the first
    fault(create(toy, "hammer", prefix="/ns/x"), 409, "conflict")
    assert toy.delete("/_admin/namespaces/x").status_code == 200


# -- fixture files ----------------------------------------------------------------------------------


def test_a_bad_toy_section_is_refused_naming_the_key_and_line(toy: httpx.Client, site: Path) -> None:
    bad = site / "bad.yaml"
    bad.write_text(FIXTURE + "    - {id: th_2, tenant: acme, name: anvil}\n", encoding="utf-8")
    refused = toy.post("/_admin/reset", json={"fixtures": str(bad)})
    assert refused.status_code == 400
    assert "toy.things[1].name" in refused.text and "line 7" in refused.text, refused.text
    assert toy.get("/toy/things/th_anvil", headers=ACME).status_code == 200  # nothing changed


def test_serve_refuses_a_bad_toy_section(site: Path) -> None:
    bad = site / "unknown-key.yaml"
    bad.write_text(FIXTURE.replace("  things:", "  thingz:"), encoding="utf-8")
    with pytest.raises(ServerError, match=r"toy\.thingz.*line 5"):
        serve(site, bad).stop()


# -- the pytest plugin and the contract checker -------------------------------------------------------


def test_the_pytest_plugin_serves_the_toy(pytester: pytest.Pytester, site: Path) -> None:
    pytester.makepyfile(test_user=textwrap.dedent("""
        import httpx

        def test_create(ticketfakes):
            url = ticketfakes.base_url("toy")
            assert url.endswith("/toy")
            key = {"X-Toy-Key": "toy-key-acme"}
            assert httpx.post(url + "/things", json={"name": "hammer"}, headers=key).status_code == 201
            assert httpx.post(url + "/things", json={"name": "hammer"}, headers=key).status_code == 409

        def test_fresh_world(ticketfakes):  # the plugin reset the toy between the tests
            key = {"X-Toy-Key": "toy-key-acme"}
            url = ticketfakes.base_url("toy")
            assert httpx.post(url + "/things", json={"name": "hammer"}, headers=key).status_code == 201
    """))
    with installed(site):
        result = pytester.runpytest_subprocess("-p", "no:xdist", f"--ticketfakes-fixtures={site / 'toy.yaml'}")
    result.assert_outcomes(passed=2)


def run(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    with installed(site):
        return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=300, cwd=site)


def test_ticketfakes_check_finds_the_toy_and_its_rule_passes(site: Path, served: ServedProcess) -> None:
    """The CLI finds the toy's check vendor through `FAKE.contract()`: its rule, fuzzing of both operations
    and the stateful run over the spec's link, all green."""
    done = run(site, "-m", "ticketfakes", "check", "toy", "--base-url", served.url + "/toy", "--max-examples", "5",
               "--seed", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "toy.unique_name" in done.stdout
    assert "stateful (OpenAPI links)" in done.stdout


def test_the_toys_rule_fails_against_a_server_that_breaks_it(site: Path) -> None:
    """The toy's check is real: served with the uniqueness rule switched off (a mutant), it fails, naming it."""
    done = run(site, "-c", BROKEN_RUN)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "toy.unique_name" in done.stdout


BROKEN_RUN = """
import sys
from ticketfakes import checks
from ticketfakes.app import create_app
from tests.toyfake import model

original = model.ToyBackend.create


def create(self, tenant, name):
    self._store.by_name.pop((tenant, name), None)  # the name is forgotten: a duplicate gets created
    return original(self, tenant, name)


model.ToyBackend.create = create
report = checks.run("toy", app=create_app(), seed=1, max_examples=5, select=["toy.unique_name"])
print(report.summary())
sys.exit(0 if report.ok else 1)
"""


# -- without the entry point ------------------------------------------------------------------------


def test_without_the_entry_point_there_is_no_toy(http: httpx.Client, site: Path) -> None:
    """The suite's own server (no toy dist-info on its path): /toy is an unknown path, as ever."""
    missing = http.get("/toy/things/th_anvil", headers=ACME)
    assert missing.status_code == 404 and "fault" not in missing.json()
    assert sorted(http.get("/_admin/state").json()["vendors"]) == ["gomry", "planhat", "talque"]
    refused = http.post("/_admin/reset", json={"fixtures": str(site / "toy.yaml")})
    assert refused.status_code == 400 and "toy: unknown key" in refused.text, refused.text


def test_the_walk_through_quotes_the_toy_as_it_is() -> None:
    """Every line of the Python snippets in docs/adding-a-vendor.md is a line of tests/toyfake."""
    root = Path(__file__).parent
    source = {line.strip() for file in (root / "toyfake").glob("*.py") for line in file.read_text().splitlines()}
    page = (root.parent / "docs" / "adding-a-vendor.md").read_text(encoding="utf-8")
    snippets = [block.split("```", 1)[0] for block in page.split("```python\n")[1:]]
    quoted = [line.strip() for block in snippets for line in block.splitlines() if line.strip() not in ("", "...")]
    assert len(quoted) > 40
    assert [line for line in quoted if line not in source] == []
