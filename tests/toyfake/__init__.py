"""A fourth vendor that lives entirely outside `src/`: the proof that a fake is one folder plus an entry
point (docs/adding-a-vendor.md walks through it).

    [project.entry-points."ticketfakes.fakes"]
    toy = "tests.toyfake:FAKE"
"""

from pathlib import Path

from ticketfakes.fake import Fake
from ticketfakes.specs import SpecFile

from .model import ToyBackend
from .routes import endpoints, toy_error

PREFIX = "/toy"


def contract() -> tuple[object, ...]:
    from .check import CHECK_VENDORS  # the checker imports schemathesis: only when checking

    return CHECK_VENDORS


FAKE = Fake(
    name="toy",
    prefix=PREFIX,
    summary="a toy things API (tests only)",
    specs=(SpecFile("toy.yaml", PREFIX, source=Path(__file__).with_name("toy.yaml")),),
    error_shape=toy_error,
    backend=ToyBackend,
    endpoints=endpoints,
    contract=contract,
    check_names=("toy",),
)

__all__ = ["FAKE", "ToyBackend"]
