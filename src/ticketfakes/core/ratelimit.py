"""The vendors' published rate limits, off by default, windows measured on the fake clock."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from .clock import Clock


@dataclass(frozen=True, slots=True)
class Limit:
    requests: int
    window_ms: int


# Gomry: 60 requests per 10 s per API key. Planhat: 200 requests per minute per token.
PUBLISHED_LIMITS = {"gomry": Limit(60, 10_000), "planhat": Limit(200, 60_000)}


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    retry_after_s: int


class RateLimiter:
    """Fixed windows per (vendor, principal); `enabled` is switched per vendor by the control plane."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.enabled: dict[str, bool] = dict.fromkeys(PUBLISHED_LIMITS, False)
        self._windows: dict[tuple[str, str], tuple[int, int]] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self.enabled = dict.fromkeys(PUBLISHED_LIMITS, False)
            self._windows.clear()

    def hit(self, vendor: str, principal: str) -> Verdict | None:
        """Count one request; None when the vendor's limit is off."""
        if not self.enabled.get(vendor):
            return None
        limit = PUBLISHED_LIMITS[vendor]
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
        return Verdict(allowed, limit.requests, limit.requests - count, retry_after_s)
