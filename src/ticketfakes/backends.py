"""Which class implements each vendor's fake: a leaf both `state` and `fixture_cache` read."""

from __future__ import annotations

import importlib
from typing import Any

# vendor -> "module:BackendClass"
BACKENDS: dict[str, str] = {
    "talque": "ticketfakes.fakes.talque.model:TalqueBackend",
    "gomry": "ticketfakes.fakes.gomry.model:GomryBackend",
    "planhat": "ticketfakes.fakes.planhat.model:PlanhatBackend",
}
VENDORS = tuple(BACKENDS)


def backend_class(vendor: str) -> Any:
    module, _, name = BACKENDS[vendor].partition(":")
    return getattr(importlib.import_module(module), name)
