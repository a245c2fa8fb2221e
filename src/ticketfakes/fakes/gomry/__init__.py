"""The Gomry fake: attendees (tickets) on events, with capacity, contact upsert and invite upgrades."""

from ...core.ratelimit import Limit
from ...fake import Fake
from ...specs import SpecFile
from .model import GomryBackend
from .routes import PREFIX, admin_endpoints, endpoints, gomry_error


def contract() -> tuple[object, ...]:
    from ...checks.rules.gomry import CHECK_VENDORS  # the checker imports schemathesis: only when checking

    return CHECK_VENDORS


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
    check_names=("gomry",),
)

__all__ = ["FAKE", "GomryBackend"]
