"""The talque fake: the ticket webhook and the Ticket JSON API (read, list)."""

from ...fake import Fake
from ...specs import SpecFile
from .model import TalqueBackend
from .records import Client
from .routes import admin_endpoints, endpoints, talque_error

PREFIX = "/talque"


def contract() -> tuple[object, ...]:
    from ...checks.rules.talque import CHECK_VENDORS  # the checker imports schemathesis: only when checking

    return CHECK_VENDORS


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
    check_names=("talque", "talque-webhook"),
)

__all__ = ["FAKE", "Client", "TalqueBackend"]
