"""One strict reader for everything a fake loads: fixture sections, state dumps and request bodies.

    reader = Reader(value, "talque")
    org = reader.list("orgs")[0]
    org.str("id")                 # ReadError("talque.orgs[0].id: expected a non-empty string (line 7)")

Every wrong or missing value raises `ReadError`, which carries the dotted path of the value (`path`),
what was wrong (`message`) and, for values read from a fixture file, the line. Nothing is converted
silently: a vendor loader either gets exactly what it asked for or an error naming the place.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Self

MISSING: Any = object()


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _or_null(nullable: bool) -> str:
    return " or null" if nullable else ""


class ReadError(ValueError):
    """A value that cannot be read: `path` says where (dotted), `message` what is wrong, `line` the file line."""

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        self.path = path
        self.message = message
        self.line = line
        where = f"{path}: " if path else ""
        super().__init__(f"{where}{message}" + (f" (line {line})" if line is not None else ""))


class Lines:
    """Where each value of a parsed file sits: path -> line of the value, and of its key (1-based)."""

    def __init__(self) -> None:
        self.values: dict[str, int] = {}
        self.keys: dict[str, int] = {}

    def of(self, path: str, parent: str, key_line: bool = False) -> int | None:
        """The line of `path`'s key (`key_line`) or value; a value not in the file: its parent's line."""
        if key_line and path in self.keys:
            return self.keys[path]
        return self.values.get(path, self.values.get(parent))


class Reader:
    """Typed access to one mapping (or any value) at `path`; `lines` when it was read from a file."""

    __slots__ = ("lines", "path", "value")

    def __init__(self, value: Any, path: str = "", lines: Lines | None = None) -> None:
        self.value = value
        self.path = path
        self.lines = lines

    # -- errors ----------------------------------------------------------------------------------
    def fail(self, message: str, key: str | None = None, key_line: bool = False) -> ReadError:
        """An error at this value (or at its `key`): also for rules the loader checks itself."""
        where = join(self.path, key) if key else self.path
        line = self.lines.of(where, self.path, key_line) if self.lines is not None else None
        return ReadError(where or "value", message, line)

    # -- mappings --------------------------------------------------------------------------------
    def mapping(self) -> Mapping[str, Any]:
        if not isinstance(self.value, dict):
            raise self.fail("expected a mapping")
        return self.value

    def keys(self) -> list[str]:
        return list(self.mapping())

    def has(self, key: str) -> bool:
        return key in self.mapping()

    def only(self, *allowed: str) -> None:
        """Reject keys the loader does not know, so a typo never silently disappears."""
        for key in self.mapping():
            if key not in allowed:
                raise self.fail(f"unknown key (expected one of: {', '.join(allowed)})", key, key_line=True)

    def _get(self, key: str, default: Any) -> Any:
        mapping = self.mapping()
        if key not in mapping:
            if default is MISSING:
                raise self.fail("required key is missing", key)
            return MISSING
        return mapping[key]

    def section(self, key: str, default: Any = MISSING) -> Reader:
        """The mapping under `key`; with a default, an absent key reads as an empty mapping."""
        value = self._get(key, default)
        return self.child(key, {} if value is MISSING else value)

    def child(self, key: str, value: Any) -> Self:
        return type(self)(value, join(self.path, key), self.lines)

    def items(self) -> Iterator[tuple[str, Reader]]:
        for key, value in self.mapping().items():
            yield key, self.child(key, value)

    def list(self, key: str, default: Any = MISSING) -> list[Self]:
        value = self._get(key, default)
        if value is MISSING:
            return []
        where = join(self.path, key)
        if not isinstance(value, list):
            raise self.fail("expected a list", key)
        return [type(self)(item, f"{where}[{index}]", self.lines) for index, item in enumerate(value)]

    # -- scalars ---------------------------------------------------------------------------------
    def _scalar(self, key: str, default: Any, nullable: bool) -> tuple[Any, bool]:
        """(value, present): an absent key reads as its default and an allowed null as None, both unchecked;
        any other value, a null where none is allowed included, is `present` and must pass the type's check."""
        value = self._get(key, default)
        if value is MISSING:
            return default, False
        if value is None and nullable:
            return None, False
        return value, True  # a list or mapping fails the type's check, named by the type wanted

    def str(self, key: str, default: Any = MISSING, nullable: bool = False) -> Any:
        """A non-empty string."""
        value, present = self._scalar(key, default, nullable)
        if present and (not isinstance(value, str) or not value):
            raise self.fail("expected a non-empty string" + _or_null(nullable), key)
        return value

    def text(self, key: str, default: Any = MISSING, nullable: bool = False) -> Any:
        """Any string, the empty one included."""
        value, present = self._scalar(key, default, nullable)
        if present and not isinstance(value, str):
            raise self.fail("expected a string" + _or_null(nullable), key)
        return value

    def int(self, key: str, default: Any = MISSING, minimum: int | None = None, nullable: bool = False) -> Any:
        value, present = self._scalar(key, default, nullable)
        if present:
            if isinstance(value, bool) or not isinstance(value, int):
                raise self.fail("expected an integer" + _or_null(nullable), key)
            if minimum is not None and value < minimum:
                raise self.fail(f"expected an integer >= {minimum}", key)
        return value

    def bool(self, key: str, default: Any = MISSING) -> Any:
        value, present = self._scalar(key, default, False)
        if present and not isinstance(value, bool):
            raise self.fail("expected true or false", key)
        return value

    def choice(self, key: str, options: tuple[str, ...], default: Any = MISSING) -> Any:
        value = self._get(key, default)
        if value is MISSING:
            return default
        if value not in options:
            raise self.fail(f"expected one of {', '.join(options)}", key)
        return value

    def record(self, *keys: str) -> Self:
        """This value is an object with exactly `keys` (what a state dump always writes)."""
        if not isinstance(self.value, dict):
            raise self.fail("expected an object")
        unknown = sorted(set(self.value) - set(keys))
        if unknown:
            raise self.fail("unknown key", unknown[0])
        missing = [k for k in keys if k not in self.value]
        if missing:
            raise self.fail("required key is missing", missing[0])
        return self

    def str_list(self, key: str, default: Any = MISSING) -> list[str]:
        """A list of non-empty strings."""
        if default is not MISSING and not self.has(key):
            return list(default)
        out = []
        for item in self.list(key):
            if not isinstance(item.value, str | int) or isinstance(item.value, bool) or item.value == "":
                raise item.fail("expected a non-empty string")
            out.append(str(item.value))
        return out
