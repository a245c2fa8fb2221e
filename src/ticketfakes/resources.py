"""The data files shipped inside the package: the OpenAPI documents and the default fixture.

In the repository they live at the top level (`specs/`, `fixtures/`), where users look for them;
`src/ticketfakes/data/` links to them, and the wheel and sdist carry copies. They are found through
`importlib.resources`, so the same code reads them from a checkout, an installed wheel or a zip.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

DATA: Traversable = files("ticketfakes") / "data"
SPECS: Traversable = DATA / "specs"
FIXTURES: Traversable = DATA / "fixtures"
DEFAULT_FIXTURES: Traversable = FIXTURES / "default.yaml"


def spec_file(name: str) -> Traversable:
    """One of the OpenAPI documents in `specs/`, by file name."""
    return SPECS / name
