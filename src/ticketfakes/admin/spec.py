"""The control plane's operations: specs/admin.yaml and each fake's extras, with the fakes filled in.

admin.yaml cannot list the fakes, since a package may register more (docs/adding-a-vendor.md). Where a
schema takes them it says so, and the registry fills it in here, once at start-up:

- `x-fakes: names`: a string, one of the fakes' names (and of `x-fakes-also`);
- `x-fakes: rate-limited`: one boolean property per fake with a published rate limit (each required
  with `x-fakes-required: true`);
- `x-fakes: all`: one object property per fake, each required.
"""

from __future__ import annotations

from typing import Any

from ..fakes import registered
from ..specs import ADMIN, Operation, operations_of


def admin_operations() -> list[Operation]:
    extras = tuple(fake.admin_spec for fake in registered() if fake.admin_spec is not None)
    found = operations_of((ADMIN, *extras))
    for operation in found:
        operation.parameters = fill(operation.parameters)
        operation.request_body = fill(operation.request_body)
        operation.responses = fill(operation.responses)
    return found


def fill(node: Any) -> Any:
    """A copy of `node` with every `x-fakes` schema written out for the registered fakes."""
    if isinstance(node, list):
        return [fill(item) for item in node]
    if not isinstance(node, dict):
        return node
    result = {key: fill(value) for key, value in node.items()}
    kind = result.pop("x-fakes", None)
    if kind == "names":
        result["enum"] = [fake.name for fake in registered()] + list(result.pop("x-fakes-also", []))
    elif kind == "rate-limited":
        limited = [fake.name for fake in registered() if fake.rate_limit is not None]
        result["properties"] = {name: {"type": "boolean"} for name in limited}
        if result.pop("x-fakes-required", False):
            result["required"] = limited
    elif kind == "all":
        result["properties"] = {fake.name: {"type": "object"} for fake in registered()}
        result["required"] = [fake.name for fake in registered()]
    elif kind is not None:
        raise ValueError(f"unknown x-fakes: {kind!r}")
    return result
