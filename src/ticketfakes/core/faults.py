"""Fault injection: rules that delay a request or force a status, set through the control plane."""

from __future__ import annotations

import fnmatch
import random
import threading
from dataclasses import asdict, dataclass
from typing import Any

from .paths import under

_RANDOM = random.Random()


@dataclass(slots=True)
class FaultRule:
    vendor: str | None = None
    method: str | None = None
    path_pattern: str | None = None  # glob on the path after the vendor prefix
    latency_ms: int = 0
    status: int | None = None
    ratio: float = 1.0
    times: int | None = None  # then the rule expires

    def matches(self, vendor: str, method: str, path: str) -> bool:
        if self.vendor is not None and self.vendor != vendor:
            return False
        if self.method is not None and self.method.upper() != method:
            return False
        return self.path_pattern is None or fnmatch.fnmatchcase(path, self.path_pattern)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def pattern_mistake(pattern: str, prefixes: tuple[str, ...]) -> str | None:
    """Why a `path_pattern` can never match a request, with the fix; None when it can.

    The pattern is matched against the path *after* the vendor prefix (docs/control-plane.md), which
    always starts with `/`: a pattern without it, or one that repeats a vendor prefix, matches nothing.
    """
    for prefix in sorted(prefixes, key=len, reverse=True):
        if under(pattern, prefix):
            rest = pattern[len(prefix):] or "/*"
            return (f"{pattern!r} repeats the vendor prefix {prefix}; the pattern is matched against the path "
                    f"after the prefix: write {rest!r}")
    if not pattern.startswith(("/", "*", "?", "[")):
        return (f"{pattern!r} can never match: paths after the vendor prefix start with '/': "
                f"write {'/' + pattern!r}")
    return None


class Faults:
    def __init__(self) -> None:
        self.rules: list[FaultRule] = []
        self._lock = threading.Lock()
        self._random = _RANDOM  # shared: seeding one per Faults costs a third of creating a namespace

    def replace(self, rules: list[FaultRule]) -> None:
        with self._lock:
            self.rules = list(rules)

    def clear(self) -> None:
        self.replace([])

    def pick(self, vendor: str, method: str, path: str) -> FaultRule | None:
        """The first rule that applies to this request (consuming one of its `times`), if any."""
        if not self.rules:
            return None
        with self._lock:
            for rule in self.rules:
                if not rule.matches(vendor, method, path):
                    continue
                if rule.ratio < 1.0 and self._random.random() >= rule.ratio:
                    continue
                if rule.times is not None:
                    rule.times -= 1
                    if rule.times <= 0:
                        self.rules.remove(rule)
                return rule
        return None
