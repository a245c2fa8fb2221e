"""The Gomry fake: attendees (tickets) on events, with capacity, contact upsert and invite upgrades."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...core.ratelimit import Limit
from ...fake import Fake
from ...specs import SpecFile
from .model import GomryBackend
from .routes import PREFIX, admin_endpoints, endpoints, gomry_error

if TYPE_CHECKING:
    from ...admin.insight.base import VendorInsight
    from ...har.base import VendorRecording
    from ...proxy.rules.base import Observer


def contract() -> tuple[object, ...]:
    from ...checks.rules.gomry import CHECK_VENDORS  # the checker imports schemathesis: only when checking

    return CHECK_VENDORS


# What the dashboard, the proxy and `fixtures from-har` know of gomry: imported only when that feature runs
# (a server never pays for them, and those features' shared modules ask the registry: no import cycle).
def dashboard() -> VendorInsight:
    from ...admin.insight.gomry import GomryInsight

    return GomryInsight()


def observer() -> Observer:
    from ...proxy.rules.gomry import GomryObserver

    return GomryObserver()


def har() -> VendorRecording:
    from ...har.gomry import GomryRecording

    return GomryRecording()


FAKE = Fake(
    name="gomry",
    prefix=PREFIX,
    summary="Gomry's attendees API",
    specs=(SpecFile("gomry.yaml", PREFIX),),
    error_shape=gomry_error,
    backend=GomryBackend,
    endpoints=endpoints,
    rate_limit=Limit(60, 10_000),  # 60 requests per 10 s per API key
    admin_endpoints=admin_endpoints,
    admin_spec=SpecFile("gomry-admin.yaml", "/_admin"),
    contract=contract,
    dashboard=dashboard,
    observer=observer,
    har=har,
    secret_headers=("x-api-key",),
    check_names=("gomry",),
)

__all__ = ["FAKE", "GomryBackend"]
