"""GC settings of `ticketfakes serve`: what start-up built is frozen, a reset or restore thaws it."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from ticketfakes.core import collector
from ticketfakes.state import State


@pytest.fixture
def serving_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    try:
        collector.tune_for_serving()
        yield
    finally:
        if collector._freeze_survivors in gc.callbacks:
            gc.callbacks.remove(collector._freeze_survivors)
        gc.set_threshold(*threshold)
        gc.unfreeze()


def test_serving_freezes_what_start_up_built_and_collects_young_objects_less_often(serving_gc: None) -> None:
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold()[0] == collector.YOUNG_THRESHOLD
    collector.tune_for_serving()  # twice (the pytest plugin may serve more than once): one callback
    assert gc.callbacks.count(collector._freeze_survivors) == 1


def test_a_full_collection_freezes_its_survivors(serving_gc: None) -> None:
    gc.unfreeze()
    survivor = [object() for _ in range(1000)]
    gc.collect()
    assert gc.get_freeze_count() > len(survivor)
    gc.unfreeze()
    gc.collect(1)  # a younger generation's collection freezes nothing
    assert gc.get_freeze_count() == 0


@pytest.mark.parametrize("replace", ["reset", "restore"])
def test_replacing_the_state_thaws_it_so_old_cycles_can_be_freed(serving_gc: None, replace: str) -> None:
    state = State()
    dump = state.dump()
    gc.collect()
    assert gc.get_freeze_count() > 0
    if replace == "reset":
        state.reset()
    else:
        state.restore(dump)
    assert gc.get_freeze_count() == 0
