"""Fixture files parsed once: each file's state is built (and checked) once and kept as a `Template`;
every reset or new namespace gets a private copy of its backends instead of parsing YAML again, or
restoring a dump with every field checked (docs/namespaces.md, "Cost").

A file is parsed again when it changed on disk (size, mtime or inode differ), so editing the fixture
file of a running server and resetting picks the edit up, as it always did.
"""

from __future__ import annotations

import os
import threading
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import orjson

from .core.clock import Clock
from .core.copying import Copier
from .fakes import names, registered
from .fixtures import DEFAULT_FIXTURES, FixtureError, load_fixture_file

MAX_FILES = 32  # distinct fixture files remembered; more are parsed each time they are loaded


class Template:
    """One fixture file's backends as built: `backends` hands out private copies, nothing mutable shared."""

    def __init__(self, built: dict[str, Any]) -> None:
        self._classes = {vendor: type(backend) for vendor, backend in built.items()}
        self._copiers = {vendor: Copier(backend.template_data()) for vendor, backend in built.items()}
        # Each vendor's `dump()` as JSON, in bytes: what a copy not used yet would dump.
        self.dump_sizes = {vendor: len(orjson.dumps(backend.dump())) for vendor, backend in built.items()}

    def backend(self, vendor: str, clock: Clock) -> Any:
        return self._classes[vendor].from_template_data(self._copiers[vendor].copy(), clock)

    def backends(self, clock: Clock, vendors: tuple[str, ...] | None = None) -> dict[str, Any]:
        return {vendor: self.backend(vendor, clock) for vendor in vendors or self._classes}


class CopiedOnFirstUse(dict[str, Any]):
    """A namespace's backends by vendor, each copied from the template when first asked for: a new or reset
    namespace pays only for the vendors it is used with (docs/namespaces.md, "Cost").

    `in` and `len` see the vendors copied so far; `[vendor]` copies one (KeyError for an unknown vendor).
    """

    def __init__(self, template: Template, clock: Clock, namespace: str) -> None:
        super().__init__()
        self.template = template
        self._clock = clock
        self._namespace = namespace  # not the State: a cycle would leave a deleted namespace to the collector

    def __missing__(self, vendor: str) -> Any:
        backend = bound(self.template.backend(vendor, self._clock), self._namespace)
        return self.setdefault(vendor, backend)  # two first uses at once keep one copy


def bound(backend: Any, namespace: str | None) -> Any:
    """The backend, signing what it hands out (talque cursors) for `namespace` only (None: the default)."""
    bind = getattr(backend, "bind_namespace", None)
    if bind is not None and namespace is not None:
        bind(namespace)
    return backend


_cache: dict[Path | Traversable, tuple[tuple[int, int, int], Template]] = {}
_lock = threading.Lock()


def _stamp(file: Path | Traversable) -> tuple[int, int, int]:
    if not isinstance(file, Path):  # the packaged default read from a zipped install: it never changes
        return 0, 0, 0
    try:
        info = os.stat(file)
    except (OSError, ValueError) as exc:  # ValueError: a path no file can have (a NUL byte)
        raise FixtureError(str(file)[:200], f"cannot read fixture file ({getattr(exc, 'strerror', exc)})") from None
    return info.st_mtime_ns, info.st_size, info.st_ino


def _parse(file: Path | Traversable) -> Template:
    root = load_fixture_file(file if isinstance(file, Path) else None, names())  # None: the packaged default
    clock = Clock()
    built = {fake.name: fake.backend.from_fixture(root.section(fake.name, None), clock) for fake in registered()}
    return Template(built)


def template_for(fixtures: str | Path | None) -> Template:
    """The state a fixture file describes, built once (FixtureError names the bad key)."""
    file: Path | Traversable = Path(fixtures) if fixtures else DEFAULT_FIXTURES
    stamp = _stamp(file)
    with _lock:
        cached = _cache.get(file)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    template = _parse(file)
    with _lock:
        if len(_cache) >= MAX_FILES:
            _cache.pop(next(iter(_cache)))
        _cache[file] = (stamp, template)
    return template
