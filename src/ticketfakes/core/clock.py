"""The fake clock: every timestamp, idempotency expiry and rate window reads it."""

from __future__ import annotations

import threading
import time


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


class Clock:
    """Wall time plus an offset, optionally frozen.

    `advance_ms` moves time forward, `set_ms` jumps to an instant, `freeze` stops it. Time never moves
    backwards on its own; `set_ms` to the past is allowed because tests ask for it explicitly.
    """

    def __init__(self) -> None:
        self._offset_ms = 0
        self._frozen_at: int | None = None
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        frozen = self._frozen_at
        if frozen is not None:
            return frozen
        return wall_ms() + self._offset_ms

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def advance(self, ms: int) -> None:
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += ms
            else:
                self._offset_ms += ms

    def set(self, ms: int) -> None:
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at = ms
            else:
                self._offset_ms = ms - wall_ms()

    def freeze(self, frozen: bool) -> None:
        with self._lock:
            if frozen and self._frozen_at is None:
                self._frozen_at = wall_ms() + self._offset_ms
            elif not frozen and self._frozen_at is not None:
                self._offset_ms = self._frozen_at - wall_ms()
                self._frozen_at = None

    def reset(self) -> None:
        with self._lock:
            self._offset_ms = 0
            self._frozen_at = None

    def snapshot(self) -> dict[str, object]:
        return {"now_ms": self.now_ms(), "frozen": self.frozen}


class Ticker:
    """Gives strictly increasing millisecond stamps from a clock.

    Two writes in the same millisecond (or on a frozen clock) still get distinct, ordered stamps, so
    `mtime` strictly increases on every real change, as the talque contract asks.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._last = 0

    def next_ms(self, after: int = 0) -> int:
        now = max(self.clock.now_ms(), self._last + 1, after + 1)
        self._last = now
        return now
