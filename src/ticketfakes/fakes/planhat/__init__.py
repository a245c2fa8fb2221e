"""The Planhat fake: `/tickets` bulk upsert, list and delete (rules in `model.py`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...core.ratelimit import Limit
from ...fake import Fake
from ...specs import SpecFile
from .model import PlanhatBackend
from .routes import endpoints, planhat_error, rate_headers

if TYPE_CHECKING:
    from ...admin.insight.base import VendorInsight
    from ...har.base import VendorRecording
    from ...proxy.rules.base import Observer

PREFIX = "/planhat"


def contract() -> tuple[object, ...]:
    from ...checks.rules.planhat import CHECK_VENDORS  # the checker imports schemathesis: only when checking

    return CHECK_VENDORS


# What the dashboard, the proxy and `fixtures from-har` know of planhat: imported only when that feature runs
# (a server never pays for them, and those features' shared modules ask the registry: no import cycle).
def dashboard() -> VendorInsight:
    from ...admin.insight.planhat import PlanhatInsight

    return PlanhatInsight()


def observer() -> Observer:
    from ...proxy.rules.planhat import PlanhatObserver

    return PlanhatObserver()


def har() -> VendorRecording:
    from ...har.planhat import PlanhatRecording

    return PlanhatRecording()


FAKE = Fake(
    name="planhat",
    prefix=PREFIX,
    summary="Planhat's tickets API",
    specs=(SpecFile("planhat.yaml", PREFIX),),
    error_shape=planhat_error,
    backend=PlanhatBackend,
    endpoints=endpoints,
    rate_limit=Limit(200, 60_000),  # 200 requests per minute per token
    rate_headers=rate_headers,
    contract=contract,
    dashboard=dashboard,
    observer=observer,
    har=har,
    check_names=("planhat",),
)

__all__ = ["FAKE", "PlanhatBackend"]
