"""The repository stands on its own: no file reads or cites anything outside it, nor a path of one machine.

Every rule lives in docs/, every test's data in the repository (tests/data/published/ for the vendor
documents the specs are compared with).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIPPED_DIRS = {".git", ".venv", "venv", "build", "dist", "node_modules", ".node", ".work", ".hypothesis",
                ".pytest_cache", ".ruff_cache", "__pycache__", ".schemathesis"}
TEXT = {".py", ".md", ".yaml", ".yml", ".json", ".toml", ".txt", ".html", ".js", ".css", ".cfg", ".in", ""}
# Written in pieces so that this file does not match itself.
FORBIDDEN = re.compile("|".join([
    re.escape("../" + "shared"),
    re.escape("DESIGN" + ".md"),
    r"(?<![\w.])/" + "work/",
    r"(?<![\w.])/" + "root/",
    r"(?<![\w.])/" + "home/[a-z]",
]))


def repository_files() -> list[Path]:
    files = []
    for path in ROOT.rglob("*"):
        parts = set(path.relative_to(ROOT).parts)
        if parts & SKIPPED_DIRS or any(part.endswith(".egg-info") for part in parts):
            continue
        if path.is_file() and not path.is_symlink() and path.suffix in TEXT:
            files.append(path)
    return files


def test_no_file_cites_anything_outside_the_repository() -> None:
    files = repository_files()
    assert len(files) > 100  # the walk really covers the tree
    found = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            if FORBIDDEN.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}")
    assert not found, "\n".join(found)


def test_the_pattern_catches_what_it_must() -> None:
    for bad in ("see ../" + "shared/seeds/x.md", "DESIGN" + ".md says", '"/' + 'work/main/bench/x.py"',
                "/" + "root/.pyenv/x", "/" + "home/user/x"):
        assert FORBIDDEN.search(bad), bad
    for fine in ("docs/decisions.md", "https://api.planhat.com/tickets", "src/ticketfakes/" + "work/x.py"):
        assert not FORBIDDEN.search(fine), fine
