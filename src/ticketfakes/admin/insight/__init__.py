"""What the dashboard knows of each vendor beyond its spec (docs/dashboard.md).

    base.py        `VendorInsight`: the hooks, each with the generic answer for a fake without one
    <vendor>.py    one vendor's refusal explanations, entities and client-bug warnings

A fake names its insight in its `Fake` (`dashboard=`); `insight_for` asks the registry for it, for
`admin/refusals.py`, `admin/client_bugs.py` and `admin/journal_view.py`. The vendor modules import
`base.py` only (tests/test_imports.py).
"""

from __future__ import annotations

from ...fakes import registered
from .base import GENERIC, VendorInsight


def insight_for(vendor: str) -> VendorInsight:
    """The insight of the fake called `vendor`; the generic one for a fake without one, `admin` and `none`."""
    for fake in registered():
        if fake.name == vendor:
            return fake.dashboard() if fake.dashboard is not None else GENERIC
    return GENERIC


def every_insight() -> list[VendorInsight]:
    """Every fake's insight, in the registry's order (a control-plane request may touch any fake)."""
    return [fake.dashboard() for fake in registered() if fake.dashboard is not None]
