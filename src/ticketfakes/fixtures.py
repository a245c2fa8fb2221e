"""YAML fixtures -> typed values, with errors that name the bad key and its line.

Each vendor reads its own section with a `Section`: `section.str("id")`, `section.list("orgs")`, ...
A wrong or missing value raises `FixtureError("talque.orgs[0].id: expected a string (line 7)")`.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib.resources.abc import Traversable
from os import PathLike
from pathlib import Path
from typing import Any

import yaml

from .core.problems import Problem
from .resources import DEFAULT_FIXTURES

_MISSING = object()
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: faster start-up
_CONSTRUCTOR = yaml.constructor.SafeConstructor()


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class FixtureError(ValueError):
    """A fixture file that cannot become state; the message names the key path and the line."""


class Section:
    """A mapping or sequence node of the fixture file, remembering where it came from."""

    def __init__(self, node: yaml.Node, path: str) -> None:
        self.node = node
        self.path = path

    # -- navigation ------------------------------------------------------------------------------
    def _fail(self, message: str, node: yaml.Node | None = None, key: str | None = None) -> FixtureError:
        where = _join(self.path, key) if key else (self.path or "fixtures")
        line = (node or self.node).start_mark.line + 1
        return FixtureError(f"{where}: {message} (line {line})")

    def _mapping(self) -> dict[str, yaml.Node]:
        if not isinstance(self.node, yaml.MappingNode):
            raise self._fail("expected a mapping")
        out: dict[str, yaml.Node] = {}
        for key_node, value_node in self.node.value:
            key = key_node.value
            if key in out:
                raise self._fail("duplicate key", key_node, key)
            out[key] = value_node
        return out

    def keys(self) -> list[str]:
        return list(self._mapping())

    def has(self, key: str) -> bool:
        return key in self._mapping()

    def only(self, *allowed: str) -> None:
        """Reject keys the loader does not know, so a typo never silently disappears."""
        self._mapping()  # a mapping, without duplicate keys
        for key_node, _ in self.node.value:
            if key_node.value not in allowed:
                # the key's own line: its value may start lines below it
                raise self._fail(f"unknown key (expected one of: {', '.join(allowed)})", key_node, key_node.value)

    def section(self, key: str, default: Any = _MISSING) -> Section:
        node = self._mapping().get(key)
        if node is None:
            if default is not _MISSING:
                return Section(yaml.MappingNode("tag:yaml.org,2002:map", []), _join(self.path, key))
            raise self._fail("required key is missing", key=key)
        return Section(node, _join(self.path, key))

    def items(self) -> Iterator[tuple[str, Section]]:
        for key, node in self._mapping().items():
            yield key, Section(node, _join(self.path, key))

    def list(self, key: str, default: Any = _MISSING) -> list[Section]:
        node = self._mapping().get(key)
        if node is None:
            if default is not _MISSING:
                return []
            raise self._fail("required key is missing", key=key)
        if not isinstance(node, yaml.SequenceNode):
            raise self._fail("expected a list", node, key)
        return [Section(item, f"{self.path}.{key}[{i}]") for i, item in enumerate(node.value)]

    # -- scalars ---------------------------------------------------------------------------------
    def _scalar(self, key: str, default: Any) -> tuple[Any, yaml.Node | None]:
        node = self._mapping().get(key)
        if node is None:
            if default is _MISSING:
                raise self._fail("required key is missing", key=key)
            return default, None
        if not isinstance(node, yaml.ScalarNode):
            raise self._fail("expected a single value", node, key)
        return _CONSTRUCTOR.construct_object(node, deep=True), node

    def str(self, key: str, default: Any = _MISSING) -> Any:
        value, node = self._scalar(key, default)
        if node is not None and (not isinstance(value, str) or not value):
            raise self._fail("expected a non-empty string", node, key)
        return value

    def int(self, key: str, default: Any = _MISSING, minimum: int | None = None) -> Any:
        value, node = self._scalar(key, default)
        if node is not None:
            if isinstance(value, bool) or not isinstance(value, int):
                raise self._fail("expected an integer", node, key)
            if minimum is not None and value < minimum:
                raise self._fail(f"expected an integer >= {minimum}", node, key)
        return value

    def bool(self, key: str, default: Any = _MISSING) -> Any:
        value, node = self._scalar(key, default)
        if node is not None and not isinstance(value, bool):
            raise self._fail("expected true or false", node, key)
        return value

    def str_list(self, key: str, default: Any = _MISSING) -> list[str]:
        if not self.has(key) and default is not _MISSING:
            return list(default)
        out = []
        for item in self.list(key):
            if not isinstance(item.node, yaml.ScalarNode) or not item.node.value:
                raise item._fail("expected a non-empty string")
            out.append(str(item.node.value))
        return out

    def choice(self, key: str, options: tuple[str, ...], default: Any = _MISSING) -> Any:
        value = self.str(key, default)
        if value is not default and value not in options:
            raise self._fail(f"expected one of {', '.join(options)}", self._mapping()[key], key)
        return value

    def fail(self, message: str, key: str | None = None) -> FixtureError:
        """An error for a rule the loader checks itself (e.g. a reference to an unknown id)."""
        node = self._mapping().get(key) if key and isinstance(self.node, yaml.MappingNode) else None
        return self._fail(message, node, key)


def apply_records(backend: Any, section: Section | None) -> Any:
    """A vendor section's optional `records:` (parts of the vendor's state dump, e.g. what
    `ticketfakes fixtures from-har` writes: tickets, attendees) restored over the state its other keys
    built; a bad record is a FixtureError naming it (docs/proxy.md)."""
    if section is None or not isinstance(section.node, yaml.MappingNode) or not section.has("records"):
        return backend
    records = section.section("records")
    if not isinstance(records.node, yaml.MappingNode):
        raise records._fail("expected a mapping of state dump parts")
    dump = backend.dump()
    unknown = sorted(set(records.keys()) - set(dump))
    if unknown:
        raise records.fail(f"unknown state part {unknown[0]!r} (one of {', '.join(sorted(dump))})", unknown[0])
    dump.update(_CONSTRUCTOR.construct_object(records.node, deep=True))

    try:
        backend.restore(dump)
    except Problem as problem:
        detail = "; ".join(f"{k}: {', '.join(v)}" for k, v in problem.fields.items()) or problem.message
        # a vendor's message may already name the path and cause its fields repeat: say it once
        raise records._fail(problem.message if detail in problem.message else f"{problem.message} ({detail})") from None
    return backend


def load_fixture_file(path: str | Path | Traversable | None = None) -> Section:
    """Parse a fixture file into its root `Section`; syntax errors name the line too."""
    file: Path | Traversable = Path(path) if isinstance(path, str | PathLike) else (path or DEFAULT_FIXTURES)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise FixtureError(f"{file}: cannot read fixture file ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise FixtureError(f"{file}: fixture file is not UTF-8") from None
    except ValueError as exc:  # a path no file can have, e.g. with a NUL byte (from PUT /_admin/reset)
        raise FixtureError(f"{str(file)[:200]!r}: cannot read fixture file ({exc})") from None
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark else ""
        raise FixtureError(f"{file}: not valid YAML: {getattr(exc, 'problem', exc)}{line}") from None
    if node is None:
        raise FixtureError(f"{file}: the fixture file is empty (expected one or more of the sections talque, "
                           "gomry, planhat; see fixtures/default.yaml)")
    root = Section(node, "")
    root.only("talque", "gomry", "planhat")
    return root
