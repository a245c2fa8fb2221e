"""The talque fake: the ticket webhook and the Ticket JSON API (read, list)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...fake import Fake
from ...specs import SpecFile
from .model import TalqueBackend
from .records import Client
from .routes import admin_endpoints, endpoints, talque_error

if TYPE_CHECKING:
    from ...admin.insight.base import VendorInsight
    from ...har.base import VendorRecording
    from ...proxy.rules.base import Observer

PREFIX = "/talque"


def contract() -> tuple[object, ...]:
    from ...checks.rules.talque import CHECK_VENDORS  # the checker imports schemathesis: only when checking

    return CHECK_VENDORS


# What the dashboard, the proxy and `fixtures from-har` know of talque: imported only when that feature runs
# (a server never pays for them, and those features' shared modules ask the registry: no import cycle).
def dashboard() -> VendorInsight:
    from ...admin.insight.talque import TalqueInsight

    return TalqueInsight()


def observer() -> Observer:
    from ...proxy.rules.talque import TalqueObserver

    return TalqueObserver()


def har() -> VendorRecording:
    from ...har.talque import TalqueRecording

    return TalqueRecording()


FAKE = Fake(
    name="talque",
    prefix=PREFIX,
    summary="talque's ticket webhook and Ticket JSON API",
    specs=(SpecFile("talque-json-api.yaml", PREFIX), SpecFile("talque-webhook.yaml", PREFIX)),
    error_shape=talque_error,
    backend=TalqueBackend,
    endpoints=endpoints,
    admin_endpoints=admin_endpoints,
    admin_spec=SpecFile("talque-admin.yaml", "/_admin"),
    contract=contract,
    dashboard=dashboard,
    observer=observer,
    har=har,
    secret_headers=("x-tq-secret",),
    check_names=("talque", "talque-webhook"),
)

__all__ = ["FAKE", "Client", "TalqueBackend"]
