"""Installed the normal way, ticketfakes works anywhere: the wheel carries the specs and the fixture.

The wheel is built from this checkout and installed into a fresh virtualenv; everything then runs from a
directory outside the repository, as a user's would: `serve` answers each vendor, `check all` passes, and
a small pytest suite passes with the plugin. The sdist builds the same wheel, and the wheel imported as a
zip (no files on disk) still finds its data.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ("ticketfakes/data/fixtures/default.yaml", "ticketfakes/data/specs/admin.yaml",
        "ticketfakes/data/specs/gomry.yaml", "ticketfakes/data/specs/planhat.yaml",
        "ticketfakes/data/specs/talque-json-api.yaml", "ticketfakes/data/specs/talque-webhook.yaml")

pytestmark = pytest.mark.slow


def run(*args: str | Path, cwd: Path, timeout: float = 600, env: dict[str, str] | None = None) -> str:
    result = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                            env=env)
    assert result.returncode == 0, f"{args} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


# What a build never reads: a private copy of the tree without them builds in a second (parallel workers
# must not share setuptools' build/ and egg-info folders in the checkout).
NOT_SOURCES = shutil.ignore_patterns(".git", ".venv", "venv", "build", "dist", "*.egg-info", "node_modules", ".node",
                                     ".work", ".hypothesis", ".pytest_cache", ".ruff_cache", "__pycache__", "results")


def build(outdir: Path, *options: str) -> Path:
    """`python -m build` from a copy of the checkout, without isolation (setuptools comes with the test extra)."""
    source = outdir.parent / "source"
    if not source.exists():
        shutil.copytree(ROOT, source, symlinks=True, ignore=NOT_SOURCES)  # the data/ links stay links
    run(sys.executable, "-m", "build", "--no-isolation", "--outdir", outdir, *options, source, cwd=outdir.parent)
    (wheel,) = outdir.glob("*.whl")
    return wheel


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("wheel") / "dist", "--wheel")


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Iterator[Path]:
    """A fresh virtualenv with the wheel (not the checkout) and pytest installed; its bin/ folder."""
    home = tmp_path_factory.mktemp("venv")
    run(sys.executable, "-m", "venv", home / "venv", cwd=home)
    bin_dir = home / "venv" / "bin"
    run(bin_dir / "python", "-m", "pip", "install", "--quiet", wheel, "pytest", cwd=home)
    yield bin_dir


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A working directory with nothing of the repository in or above it."""
    assert ROOT not in tmp_path.parents
    return tmp_path


def test_the_wheel_carries_the_specs_and_the_fixture(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert set(DATA) <= names
    for name in DATA:
        shipped = zipfile.ZipFile(wheel).read(name)
        assert shipped == (ROOT / name.removeprefix("ticketfakes/data/")).read_bytes(), name


def test_the_sdist_builds_the_same_wheel(tmp_path: Path, wheel: Path) -> None:
    # `python -m build` with no target builds the sdist, then the wheel from that sdist
    from_sdist = build(tmp_path / "dist")
    (sdist,) = (tmp_path / "dist").glob("*.tar.gz")
    ours, theirs = zipfile.ZipFile(wheel), zipfile.ZipFile(from_sdist)
    assert sorted(ours.namelist()) == sorted(theirs.namelist())
    for name in ours.namelist():
        assert ours.read(name) == theirs.read(name), name
    assert sdist.stat().st_size > 0


def test_served_from_the_wheel_outside_the_repository(venv: Path, outside: Path) -> None:
    process = subprocess.Popen([venv / "ticketfakes", "serve", "--port", "0"], cwd=outside,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None
        url = ""
        for line in process.stdout:
            if line.startswith("ticketfakes serving on "):
                url = line.split()[3]
                break
        assert url, "the installed server did not start"
        talque = {"X-TQ-CLIENT-ID": "demo-client", "X-TQ-SECRET": "demo-secret"}
        read = httpx.post(url + "/talque/api/v1/ticket/read", headers=talque,
                          json={"orgId": "org-demo", "provider": "demo-shop", "ticketIdList": ["nope"]})
        assert read.status_code == 200 and read.json()["ticketById"]["nope"]["reason"] == "NOT_FOUND"
        created = httpx.post(url + "/gomry/api/v1/events/evt_demo/attendees", headers={"X-API-KEY": "gk_demo_write"},
                             json={"ticket_class_id": "tc_general", "contact": {"email": "wheel@example.com"}})
        assert created.status_code == 201, created.text
        put = httpx.put(url + "/planhat/tickets", headers={"Authorization": "Bearer ph_demo_token"},
                        json=[{"sourceId": "W-1", "email": "max@acme.example", "title": "from the wheel"}])
        assert put.status_code == 200 and put.json()["created"] == 1, put.text
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_check_all_passes_from_the_wheel(venv: Path, outside: Path) -> None:
    out = run(venv / "ticketfakes", "check", "all", "--max-examples", "10", cwd=outside)
    assert "all checks passed" in out


def test_a_users_suite_passes_with_the_plugin(venv: Path, outside: Path) -> None:
    (outside / "test_users_suite.py").write_text(
        "import httpx\n\n"
        "def test_gomry_create(ticketfakes):\n"
        "    r = httpx.post(ticketfakes.base_url('gomry') + '/events/evt_small/attendees',\n"
        "                   headers={'X-API-KEY': 'gk_demo_write'},\n"
        "                   json={'ticket_class_id': 'tc_small', 'quantity': 3,\n"
        "                         'contact': {'email': 'a@example.com'}})\n"
        "    assert r.status_code == 201, r.text\n\n"
        "def test_state_was_reset(ticketfakes):\n"
        "    r = httpx.post(ticketfakes.base_url('gomry') + '/events/evt_small/attendees',\n"
        "                   headers={'X-API-KEY': 'gk_demo_write'},\n"
        "                   json={'ticket_class_id': 'tc_small', 'quantity': 3,\n"
        "                         'contact': {'email': 'b@example.com'}})\n"
        "    assert r.status_code == 201, r.text\n\n"
        "def test_admin_client(ticketfakes):\n"
        "    assert ticketfakes.admin.clock()['now_ms'] > 0\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTEST_ADDOPTS")}
    out = run(venv / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=outside, env=env)
    assert "3 passed" in out, out


def test_the_wheel_works_as_a_zip(wheel: Path, outside: Path) -> None:
    """importlib.resources, not paths on disk: imported straight from the wheel (zipimport), it still loads."""
    script = (
        "import ticketfakes, ticketfakes.specs as s\n"
        "from ticketfakes.state import State\n"
        "assert '.whl' in ticketfakes.__file__, ticketfakes.__file__\n"
        "assert s.load_document('gomry.yaml')['openapi'].startswith('3.1')\n"
        "State(None)\n"
        "print('zip ok')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(wheel)}
    assert "zip ok" in run(sys.executable, "-c", script, cwd=outside, env=env)
