"""The Planhat fake: `/tickets` bulk upsert, list and delete (rules in `model.py`)."""

from ...core.ratelimit import Limit
from ...fake import Fake
from ...specs import SpecFile
from .model import PlanhatBackend
from .routes import endpoints, planhat_error, rate_headers

PREFIX = "/planhat"


def contract() -> tuple[object, ...]:
    from ...checks.rules.planhat import CHECK_VENDORS  # the checker imports schemathesis: only when checking

    return CHECK_VENDORS


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
    check_names=("planhat",),
)

__all__ = ["FAKE", "PlanhatBackend"]
