"""Fixture files parsed once: each file's state is kept as a dump, and every reset or new namespace
restores a copy of it instead of parsing YAML again (docs/namespaces.md, "Cost").

A file is parsed again when it changed on disk (size, mtime or inode differ), so editing the fixture
file of a running server and resetting picks the edit up, as it always did.
"""

from __future__ import annotations

import os
import secrets
import threading
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import orjson

from .core.clock import Clock
from .fixtures import DEFAULT_FIXTURES, FixtureError, load_fixture_file

MAX_FILES = 32  # distinct fixture files remembered; more are parsed each time they are loaded

_cache: dict[Path | Traversable, tuple[tuple[int, int, int], bytes]] = {}
_lock = threading.Lock()


def _stamp(file: Path | Traversable) -> tuple[int, int, int]:
    if not isinstance(file, Path):  # the packaged default read from a zipped install: it never changes
        return 0, 0, 0
    try:
        info = os.stat(file)
    except (OSError, ValueError) as exc:  # ValueError: a path no file can have (a NUL byte)
        raise FixtureError(f"{str(file)[:200]}: cannot read fixture file ({getattr(exc, 'strerror', exc)})") from None
    return info.st_mtime_ns, info.st_size, info.st_ino


def _parse(file: Path | Traversable) -> bytes:
    from .state import VENDORS, backend_class  # state.py imports this module

    root = load_fixture_file(file)
    clock = Clock()
    vendors = {
        vendor: backend_class(vendor).from_fixture(root.section(vendor, None), clock).dump() for vendor in VENDORS
    }
    return orjson.dumps({"version": 1, "vendors": vendors, "idempotency": []})


def parsed_dump(fixtures: str | Path | None) -> bytes:
    """The state a fixture file describes, as a serialised state dump (FixtureError names the bad key)."""
    file: Path | Traversable = Path(fixtures) if fixtures else DEFAULT_FIXTURES
    stamp = _stamp(file)
    with _lock:
        cached = _cache.get(file)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    dump = _parse(file)
    with _lock:
        if len(_cache) >= MAX_FILES:
            _cache.pop(next(iter(_cache)))
        _cache[file] = (stamp, dump)
    return dump


def fresh_copy(dump: bytes) -> dict[str, Any]:
    """A private copy of a serialised dump (nothing shared with the cached one), with a new talque cursor
    secret: cursors handed out before a reset are refused after it, as when the file was parsed anew."""
    state: dict[str, Any] = orjson.loads(dump)
    talque = state["vendors"].get("talque")
    if isinstance(talque, dict):
        talque["cursor_secret"] = secrets.token_hex(16)
    return state
