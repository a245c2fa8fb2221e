"""Installs the toy the way a third party's package would be: a `toyfake-0.1.dist-info` with its entry
point, in a directory that goes on PYTHONPATH (importlib.metadata finds dist-info directories on
sys.path). Nothing is pip-installed: a test's subprocess sees the toy, every other process does not."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository: `tests.toyfake` imports from here

METADATA = "Metadata-Version: 2.1\nName: toyfake\nVersion: 0.1\n"
ENTRY_POINTS = "[ticketfakes.fakes]\ntoy = tests.toyfake:FAKE\n"


def write_dist_info(directory: Path) -> Path:
    """`directory`/toyfake-0.1.dist-info with METADATA and entry_points.txt; returns `directory`."""
    info = directory / "toyfake-0.1.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(METADATA, encoding="utf-8")
    (info / "entry_points.txt").write_text(ENTRY_POINTS, encoding="utf-8")
    return directory


def pythonpath(directory: Path) -> str:
    """PYTHONPATH for a process that has the toy installed: the dist-info's directory and the repository."""
    return os.pathsep.join([str(directory), str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
