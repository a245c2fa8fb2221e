"""Copies of a fixture's built state (`fixture_cache.Template`, docs/namespaces.md "Cost") share nothing
mutable with the template or with each other: every reset and every namespace gets a world of its own."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import orjson
import pytest

from ticketfakes.core.clock import Clock
from ticketfakes.core.copying import Copier
from ticketfakes.fakes import names
from ticketfakes.fakes.talque.records import Client
from ticketfakes.fixture_cache import template_for
from ticketfakes.namespaces import Namespaces
from ticketfakes.state import State

VENDORS = names()

BENCH_FIXTURES = Path(__file__).resolve().parent.parent / "bench" / "fixtures.yaml"
ATOMS = (str, bytes, int, float, bool, type(None), type)


def immutable(obj: Any) -> bool:
    params = getattr(type(obj), "__dataclass_params__", None)
    if params is not None and params.frozen:
        return True
    return isinstance(obj, (tuple, frozenset))


def reachable(root: Any) -> dict[int, Any]:
    seen: dict[int, Any] = {}
    stack = [root]
    while stack:
        obj = stack.pop()
        if isinstance(obj, ATOMS) or id(obj) in seen:
            continue
        seen[id(obj)] = obj
        stack.extend(gc.get_referents(obj))
    return seen


@pytest.mark.parametrize("fixtures", [None, BENCH_FIXTURES], ids=["default", "bench"])
@pytest.mark.parametrize("vendor", VENDORS)
def test_a_copy_shares_only_immutable_objects_with_the_template_and_other_copies(
    vendor: str, fixtures: Path | None
) -> None:
    template = template_for(fixtures)
    copied = reachable(template.backend(vendor, Clock()).template_data())
    other = reachable(template.backend(vendor, Clock()).template_data())
    assert len(copied) > 5  # the walk sees the records
    assert [obj for key, obj in copied.items() if key in other and not immutable(obj)] == []


def test_a_copy_holds_the_same_state_as_the_fixture_loaded_afresh() -> None:
    fresh = State(BENCH_FIXTURES)
    copied = State(BENCH_FIXTURES, template=template_for(BENCH_FIXTURES))
    for vendor in VENDORS:
        a, b = fresh.dump(vendor), copied.dump(vendor)
        if vendor == "talque":
            assert a.pop("cursor_secret") != b.pop("cursor_secret")  # a new secret per copy, on purpose
        assert a == b


def test_a_namespace_copies_each_vendor_on_first_use_and_a_reset_starts_over() -> None:
    namespaces = Namespaces(State(BENCH_FIXTURES))
    state = namespaces.open("lazy").state
    untouched_size = state.dump_size()
    assert list(state.backends) == []  # nothing copied yet
    assert state.backend("gomry") is state.backend("gomry")  # copied once, then kept
    assert list(state.backends) == ["gomry"]
    before = namespaces.default.dump()
    dumped = state.dump()  # every vendor, so copied now
    assert sorted(state.backends) == sorted(VENDORS)
    assert state.dump_size() == untouched_size  # the template's sizes stood in for the copies exactly
    del dumped["clock"], before["clock"]
    del dumped["vendors"]["talque"]["cursor_secret"], before["vendors"]["talque"]["cursor_secret"]
    assert dumped == before
    state.reset()
    assert list(state.backends) == []
    state.reset("planhat")
    assert list(state.backends) == ["planhat"]
    with pytest.raises(KeyError):
        state.backend("nope")
    assert list(namespaces.default.backends) == list(VENDORS)  # the bare path's: built at start-up


def test_the_copier_shares_frozen_records_and_json_fragments_and_copies_the_rest() -> None:
    frozen = Client("c", "s", "p", frozenset({"o"}), False)
    fragment = orjson.Fragment(b'{"cached": true}')
    index: list[Any] = [frozen]
    original = {"index": index, "again": index, "records": {"c": frozen}, "cache": fragment}
    copy = Copier(original).copy()
    assert copy == original
    assert copy["records"]["c"] is frozen and copy["cache"] is fragment  # immutable: shared
    assert copy["index"] is not index and copy["again"] is copy["index"]  # mutable: copied, sharing kept
