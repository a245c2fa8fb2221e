"""The registry: every fake this server runs, built in or registered by another package.

`BUILT_IN` is the only place that names ticketfakes' own fakes. Another package adds one by declaring an
entry point in the group `ticketfakes.fakes` whose object is a `ticketfakes.fake.Fake`:

    [project.entry-points."ticketfakes.fakes"]
    zoho = "zohofake:FAKE"

(docs/adding-a-vendor.md). Everything shared (server, state, fixtures, CLI, plugin, control plane,
checker) asks `registered()`.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from ..core.paths import under
from ..core.ratelimit import Limit
from ..fake import Fake
from ..specs import ADMIN, SpecFile
from . import gomry, planhat, talque

ENTRY_POINT_GROUP = "ticketfakes.fakes"
BUILT_IN: tuple[Fake, ...] = (talque.FAKE, gomry.FAKE, planhat.FAKE)


class RegistryError(RuntimeError):
    """A registered fake that cannot be served (not a `Fake`, a name or prefix already taken)."""


def _plugged_in() -> list[Fake]:
    found = []
    for point in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda point: point.name):
        try:
            fake = point.load()
        except Exception as exc:  # a third party's import error: say whose it is
            raise RegistryError(f"entry point {point.name} = {point.value} ({ENTRY_POINT_GROUP}) "
                                f"failed to load: {type(exc).__name__}: {exc}") from exc
        if not isinstance(fake, Fake):
            raise RegistryError(f"entry point {point.name} = {point.value} ({ENTRY_POINT_GROUP}) gives "
                                f"{type(fake).__name__!r}, not a ticketfakes.fake.Fake")
        found.append(fake)
    return found


@cache
def registered() -> tuple[Fake, ...]:
    """Every fake: the built-in ones first, then those of entry points, by entry point name."""
    fakes = [*BUILT_IN, *_plugged_in()]
    names: dict[str, Fake] = {}
    for fake in fakes:
        if fake.name in names:
            raise RegistryError(f"two fakes are named {fake.name!r}")
        for other in names.values():
            if _overlap(fake.prefix, other.prefix):
                raise RegistryError(f"fakes {other.name} and {fake.name} share the prefix "
                                    f"{min(fake.prefix, other.prefix, key=len)}")
        names[fake.name] = fake
    return tuple(fakes)


def _overlap(a: str, b: str) -> bool:
    return under(a, b) or under(b, a)


def names() -> tuple[str, ...]:
    return tuple(fake.name for fake in registered())


def by_name(name: str) -> Fake:
    """The fake called `name`; KeyError naming the registered ones otherwise."""
    for fake in registered():
        if fake.name == name:
            return fake
    raise KeyError(f"no fake {name!r} (registered: {', '.join(names())})")


def for_path(path: str) -> Fake | None:
    """The fake whose prefix the path is under."""
    for fake in registered():
        if under(path, fake.prefix):
            return fake
    return None


def published_limits() -> dict[str, Limit]:
    """Each rate-limited fake's published limit."""
    return {fake.name: fake.rate_limit for fake in registered() if fake.rate_limit is not None}


def spec_files() -> dict[str, tuple[SpecFile, ...]]:
    """Every document served, by fake, and the control plane's (`admin`: admin.yaml and the fakes' extras)."""
    documents = {fake.name: fake.specs for fake in registered()}
    documents["admin"] = (ADMIN, *(fake.admin_spec for fake in registered() if fake.admin_spec is not None))
    return documents
