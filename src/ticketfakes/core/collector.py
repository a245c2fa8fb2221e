"""Cyclic GC settings for a server whose state is large and long-lived (used by `ticketfakes serve` only).

With CPython's defaults a young collection runs every 700 allocations: in the middle of nearly every
response that builds a page of tickets, promoting the page's objects to older generations, so full
collections, each walking every stored ticket (~300 ms at 100k tickets), came about once a second and
were the whole p99 of a list page. Three changes, measured in docs/performance.md:

- a larger young threshold, so most of a request's objects die before any collection sees them;
- what start-up built (modules, specs, validators, the fixture state) is frozen: never scanned again;
- after each full collection its survivors (the stored state, by then) are frozen too, so the next full
  collection walks only what was stored since.

Frozen objects are only collected by reference counting; a reset or restore thaws everything first, so a
replaced state with reference cycles is freed by the next full collection instead of lingering.
"""

from __future__ import annotations

import gc
from typing import Any

YOUNG_THRESHOLD = 50_000  # CPython's default is 700
OLDEST = 2


def _freeze_survivors(phase: str, info: dict[str, Any]) -> None:
    if phase == "stop" and info.get("generation") == OLDEST:
        gc.freeze()


def tune_for_serving() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, 10, 10)
    if _freeze_survivors not in gc.callbacks:
        gc.callbacks.append(_freeze_survivors)


def thaw() -> None:
    """Give frozen objects back to the collector (a state is about to be replaced)."""
    if gc.get_freeze_count():
        gc.unfreeze()
