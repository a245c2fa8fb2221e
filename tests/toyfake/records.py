"""The toy's one record: a thing, owned by a tenant, and its JSON form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Thing:
    id: str
    tenant: str  # never shown to callers: a key sees its own tenant's things only
    name: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name}

    def dump(self) -> dict[str, Any]:
        return {"id": self.id, "tenant": self.tenant, "name": self.name}
