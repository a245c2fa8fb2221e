"""Loads the OpenAPI documents in `specs/`, normalises them in memory, and lists their operations.

The published talque documents say `openapi: 3.0.3` but use the 3.1 form `type: [string, "null"]`; the
3.0 validators reject that and openapi-core crashes on it. The file stays as published: `normalise` reads
it as what it is, OpenAPI 3.1 (whose schemas are plain JSON Schema 2020-12).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import cache
from importlib.resources.abc import Traversable
from typing import Any

import yaml

from .resources import spec_file

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


@dataclass(frozen=True)
class SpecFile:
    name: str  # file name, in specs/ unless `source` says where
    prefix: str  # where ticketfakes serves it
    source: Traversable | None = None  # a document shipped by another package (docs/adding-a-vendor.md)

    @property
    def file(self) -> Traversable:
        return self.source if self.source is not None else spec_file(self.name)


ADMIN = SpecFile("admin.yaml", "/_admin")  # the control plane


def _uses_type_arrays(node: Any) -> bool:
    if isinstance(node, dict):
        if isinstance(node.get("type"), list):
            return True
        return any(_uses_type_arrays(value) for value in node.values())
    if isinstance(node, list):
        return any(_uses_type_arrays(value) for value in node)
    return False


def normalise(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of `document` that validators accept, meaning unchanged.

    A 3.0 document written with 3.1 type arrays is read as 3.1: in 3.1 every schema is JSON Schema
    2020-12, where `type: [string, "null"]` is exactly the nullable string the authors meant.
    """
    result = copy.deepcopy(document)
    version = str(result.get("openapi", ""))
    if version.startswith("3.0") and _uses_type_arrays(result):
        result["openapi"] = "3.1.0"
    return result


# libyaml's parser when PyYAML has it: the specs are read at every start-up, and the pure-Python
# parser alone takes a third of a second for them.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_raw(spec: str | SpecFile) -> dict[str, Any]:
    """The document as written: `specs/<name>`, or a `SpecFile`'s own file (parsed once)."""
    return _read(spec.file if isinstance(spec, SpecFile) else spec_file(spec))


@cache
def _read(file: Traversable) -> dict[str, Any]:
    with file.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_LOADER)  # CSafeLoader / SafeLoader: safe


def load_document(spec: str | SpecFile) -> dict[str, Any]:
    """The normalised document `specs/<name>` or of a `SpecFile` (a fresh copy each call)."""
    return normalise(read_raw(spec))


def deref(node: Any, root: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    """Inline local `$ref`s so each operation's schemas stand alone (the specs have no cycles)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            if ref in seen:
                raise ValueError(f"recursive $ref {ref} is not supported")
            target: Any = root
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            resolved = deref(target, root, (*seen, ref))
            if siblings and isinstance(resolved, dict):
                return {**resolved, **deref(siblings, root, seen)}
            return resolved
        return {key: deref(value, root, seen) for key, value in node.items()}
    if isinstance(node, list):
        return [deref(item, root, seen) for item in node]
    return node


@dataclass
class Operation:
    """One operation of a spec with every `$ref` resolved: what validation compiles."""

    spec: str
    prefix: str
    method: str  # upper case
    path: str  # template relative to the prefix, e.g. /events/{eventId}/attendees
    operation_id: str
    parameters: list[dict[str, Any]]
    request_body: dict[str, Any] | None
    responses: dict[str, dict[str, Any]]
    security: list[dict[str, Any]] = field(default_factory=list)

    @property
    def full_path(self) -> str:
        return self.prefix + self.path

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.full_path)


def operations(spec: SpecFile) -> list[Operation]:
    document = load_document(spec)
    found = []
    for path, item in document.get("paths", {}).items():
        item = deref(item, document)
        shared = item.get("parameters", [])
        for method in HTTP_METHODS:
            op = item.get(method)
            if op is None:
                continue
            params = {(p["name"].lower() if p["in"] == "header" else p["name"], p["in"]): p for p in shared}
            for p in op.get("parameters", []):
                params[(p["name"].lower() if p["in"] == "header" else p["name"], p["in"])] = p
            found.append(
                Operation(
                    spec=spec.name,
                    prefix=spec.prefix,
                    method=method.upper(),
                    path=path,
                    operation_id=op.get("operationId") or f"{method}_{path}",
                    parameters=list(params.values()),
                    request_body=op.get("requestBody"),
                    responses=op.get("responses", {}),
                    security=op.get("security", document.get("security", [])),
                )
            )
    return found


def operations_of(specs: tuple[SpecFile, ...]) -> list[Operation]:
    """The operations of several documents served together (a missing built-in document is skipped)."""
    result = []
    for spec in specs:
        if spec.file.is_file():
            result.extend(operations(spec))
    return result
