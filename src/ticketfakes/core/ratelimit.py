"""The vendors' published rate limits (`Fake.rate_limit`), off by default, windows measured on the fake clock."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from .clock import Clock


@dataclass(frozen=True, slots=True)
class Limit:
    requests: int
    window_ms: int


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    retry_after_s: int
    window_ms: int


class RateLimiter:
    """Fixed windows per (vendor, principal); `enabled` is switched per vendor by the control plane."""

    def __init__(self, clock: Clock, limits: dict[str, Limit]) -> None:
        self.clock = clock
        self.limits = limits  # each vendor's published limit (its `Fake.rate_limit`)
        self.enabled: dict[str, bool] = dict.fromkeys(limits, False)
        self._windows: dict[tuple[str, str], tuple[int, int]] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self.enabled = dict.fromkeys(self.limits, False)
            self._windows.clear()

    def hit(self, vendor: str, principal: str) -> Verdict | None:
        """Count one request; None when the vendor's limit is off."""
        if not self.enabled.get(vendor):
            return None
        limit = self.limits[vendor]
        now = self.clock.now_ms()
        with self._lock:
            start, count = self._windows.get((vendor, principal), (now, 0))
            if now - start >= limit.window_ms or now < start:
                start, count = now, 0
            allowed = count < limit.requests
            if allowed:
                count += 1
            self._windows[(vendor, principal)] = (start, count)
        retry_after_s = max(1, -(-(start + limit.window_ms - now) // 1000))
        return Verdict(allowed, limit.requests, limit.requests - count, retry_after_s, limit.window_ms)
