"""YAML fixtures -> typed values, with errors that name the bad key and its line.

Each vendor reads its own section with a `Section`: `section.str("id")`, `section.list("orgs")`, ...
A wrong or missing value raises `FixtureError("talque.orgs[0].id: expected a string (line 7)")`.
"""

from __future__ import annotations

from importlib.resources.abc import Traversable
from os import PathLike
from pathlib import Path
from typing import Any

import yaml

from .core.problems import Problem
from .core.reader import Lines, Reader, ReadError, join
from .resources import DEFAULT_FIXTURES

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: faster start-up
_CONSTRUCTOR = yaml.constructor.SafeConstructor()

# A fixture section is read by the one strict reader (core/reader.py); its errors carry the file's line.
Section = Reader
FixtureError = ReadError


def _values(node: yaml.Node, path: str, lines: Lines) -> Any:
    """A YAML node as plain values, noting every value's line (and every key's) in `lines`."""
    lines.values[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.start_mark)
            where = join(path, key)
            if key in out:
                raise ReadError(where, "duplicate key", key_node.start_mark.line + 1)
            lines.keys[where] = key_node.start_mark.line + 1
            out[key] = _values(value_node, where, lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_values(item, f"{path}[{index}]", lines) for index, item in enumerate(node.value)]
    return _CONSTRUCTOR.construct_object(node, deep=True)


def apply_records(backend: Any, section: Section | None) -> Any:
    """A vendor section's optional `records:` (parts of the vendor's state dump, e.g. what
    `ticketfakes fixtures from-har` writes: tickets, attendees) restored over the state its other keys
    built; a bad record is a FixtureError naming it (docs/proxy.md)."""
    if section is None or not isinstance(section.value, dict) or not section.has("records"):
        return backend
    records = section.section("records")
    if not isinstance(records.value, dict):
        raise records.fail("expected a mapping of state dump parts")
    dump = backend.dump()
    unknown = sorted(set(records.keys()) - set(dump))
    if unknown:
        raise records.fail(f"unknown state part {unknown[0]!r} (one of {', '.join(sorted(dump))})", unknown[0])
    dump.update(records.value)

    try:
        backend.restore(dump)
    except Problem as problem:
        detail = "; ".join(f"{k}: {', '.join(v)}" for k, v in problem.fields.items()) or problem.message
        # a vendor's message may already name the path and cause its fields repeat: say it once
        raise records.fail(problem.message if detail in problem.message else f"{problem.message} ({detail})") from None
    return backend


def load_fixture_file(path: str | Path | Traversable | None = None, sections: tuple[str, ...] = ()) -> Section:
    """Parse a fixture file into its root `Section`; syntax errors name the line too. With `sections` (the
    fakes' names), any other top-level key is an error."""
    file: Path | Traversable = Path(path) if isinstance(path, str | PathLike) else (path or DEFAULT_FIXTURES)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise FixtureError(str(file), f"cannot read fixture file ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise FixtureError(str(file), "fixture file is not UTF-8") from None
    except ValueError as exc:  # a path no file can have, e.g. with a NUL byte (from PUT /_admin/reset)
        raise FixtureError(repr(str(file)[:200]), f"cannot read fixture file ({exc})") from None
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark else ""
        raise FixtureError(str(file), f"not valid YAML: {getattr(exc, 'problem', exc)}{line}") from None
    if node is None:
        raise FixtureError(str(file), f"the fixture file is empty (expected one or more of the sections "
                           f"{', '.join(sections)}; see fixtures/default.yaml)")
    lines = Lines()
    root = Reader(_values(node, "", lines), "", lines)
    if sections:
        root.only(*sections)
    return root
