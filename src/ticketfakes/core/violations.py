"""What broke on observed traffic: spec violations and broken business rules, named (docs/proxy.md).

`ticketfakes proxy` fills it; `GET /_admin/violations` lists it (always empty for `serve`, whose fakes
are the contract). Bounded like the journal; the counts per rule survive the bound, for the exit summary.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any

MESSAGE_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class Violation:
    rule: str  # "spec.response", "gomry.idempotency", "proxy.upstream_timeout", ...
    vendor: str
    method: str
    path: str
    status: int  # the status the client got
    message: str
    field: str = ""  # the offending field ("body.tickets.0.email", "query.limit"), when there is one
    at_ms: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "vendor": self.vendor,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "field": self.field or None,
            "message": self.message[:MESSAGE_LIMIT],
            "at_ms": self.at_ms,
        }


class Violations:
    def __init__(self, capacity: int = 10_000) -> None:
        self._items: deque[Violation] = deque(maxlen=capacity)
        self._counts: Counter[str] = Counter()
        # Since the server started, whatever was cleared meanwhile: the exit summary and `--strict` must
        # not miss what broke before a test suite's reset.
        self.lifetime: Counter[str] = Counter()
        self._lock = threading.Lock()

    def add(self, violation: Violation) -> None:
        with self._lock:
            self._items.append(violation)
            self._counts[violation.rule] += 1
            self.lifetime[violation.rule] += 1

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._counts.clear()

    def query(self, rule: str | None = None, vendor: str | None = None, limit: int = 1000) -> list[Violation]:
        """Newest first; `rule` matches a rule name or its vendor part (`gomry` matches `gomry.capacity`)."""
        with self._lock:
            items = list(self._items)
        found = []
        for item in reversed(items):
            if rule and item.rule != rule and not item.rule.startswith(rule + "."):
                continue
            if vendor and item.vendor != vendor:
                continue
            found.append(item)
            if len(found) >= limit:
                break
        return found

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._counts.items()))

    def lifetime_counts(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self.lifetime.items()))
