"""The registry of fakes (docs/adding-a-vendor.md): what a `Fake` may be called and served under, and
what the registry refuses from the `ticketfakes.fakes` entry point group, with messages that name it.

The registry over real HTTP, with a fourth vendor installed through an entry point, is in
tests/test_fourth_vendor.py; here the entry points are stood in for, in-process.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

import ticketfakes.fakes as registry
from ticketfakes.errors import admin_error
from ticketfakes.fake import Fake
from ticketfakes.fakes import gomry


def fake(name: str = "zoho", prefix: str = "/zoho") -> Fake:
    return Fake(name=name, prefix=prefix, specs=(), error_shape=admin_error, backend=object,
                endpoints=lambda backends: [])


class Point:
    """What `importlib.metadata.entry_points` hands out, as far as the registry reads it."""

    def __init__(self, name: str, value: Any, error: Exception | None = None) -> None:
        self.name, self.value, self._loaded, self._error = name, f"pkg:{name.upper()}", value, error

    def load(self) -> Any:
        if self._error is not None:
            raise self._error
        return self._loaded


@pytest.fixture
def plugged(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Point]]:
    points: list[Point] = []
    monkeypatch.setattr(registry, "entry_points", lambda group: points if group == "ticketfakes.fakes" else [])
    registry.registered.cache_clear()
    yield points
    registry.registered.cache_clear()


def test_the_built_in_fakes_come_first_in_their_order() -> None:
    assert registry.names()[:3] == ("talque", "gomry", "planhat")
    assert registry.by_name("gomry") is gomry.FAKE
    assert registry.for_path("/gomry/api/v1/events").name == "gomry"
    assert registry.for_path("/gomryx") is None


def test_an_entry_point_adds_a_fake_after_the_built_in_ones(plugged: list[Point]) -> None:
    plugged.append(Point("zoho", fake()))
    assert registry.names() == ("talque", "gomry", "planhat", "zoho")
    assert registry.by_name("zoho").prefix == "/zoho"


@pytest.mark.parametrize(
    ("point", "message"),
    [
        (Point("zoho", object()),
         "entry point zoho = pkg:ZOHO (ticketfakes.fakes) gives 'object', not a ticketfakes.fake.Fake"),
        (Point("zoho", None, ImportError("No module named 'pkg'")),
         "entry point zoho = pkg:ZOHO (ticketfakes.fakes) failed to load: ImportError: No module named 'pkg'"),
        (Point("zoho", fake(name="gomry")), "two fakes are named 'gomry'"),
        (Point("zoho", fake(prefix="/gomry/api")), "fakes gomry and zoho share the prefix /gomry/api"),
        (Point("zoho", fake(prefix="/talque/zoho")), "fakes talque and zoho share the prefix /talque"),
    ],
)
def test_a_bad_entry_point_is_refused_naming_it(plugged: list[Point], point: Point, message: str) -> None:
    plugged.append(point)
    with pytest.raises(registry.RegistryError) as refused:
        registry.registered()
    assert message in str(refused.value)


@pytest.mark.parametrize("name", ["Zoho", "9zoho", "zo-ho", "", "admin", "none", "all", "default", "z" * 33])
def test_a_fake_name_must_be_a_plain_lower_case_word(name: str) -> None:
    with pytest.raises(ValueError, match="fake name"):
        fake(name=name)


@pytest.mark.parametrize("prefix", ["zoho", "/zoho/", "/", "/_admin", "/_admin/zoho", "/ns", "/ns/zoho", "/zo ho",
                                    "/zoho//v1"])
def test_a_prefix_must_be_a_path_outside_the_control_plane_and_namespaces(prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        fake(prefix=prefix)


def test_a_prefix_may_share_a_start_with_a_reserved_one_when_it_is_another_segment() -> None:
    assert fake(prefix="/nsx").prefix == "/nsx"
    assert dataclasses.replace(fake(), prefix="/zoho/api/v2").prefix == "/zoho/api/v2"
