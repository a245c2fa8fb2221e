"""Coverage accounting: per operation, what was sent and what the target let through.

A run that never got a schema-valid request accepted proved nothing: every answer was a 404 or a 401
before any rule could be reached. So after a vendor's phases `runner.coverage_verdict` turns the counts
into a check of its own, `coverage`, which fails for every operation that was sent positive cases
(generated or a rule's) and accepted none (docs/contract-checks.md, "Preflight and coverage").
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .target import Recorded

ACCEPTED = range(200, 400)


@dataclass
class OperationCount:
    label: str
    positive: int = 0  # generated schema-valid cases sent (fuzzing and stateful steps)
    accepted: int = 0  # ... answered 2xx/3xx
    negative: int = 0  # generated schema-violating cases sent
    rejected: int = 0  # ... answered 4xx
    stateful: int = 0  # steps of the stateful phase
    stateful_accepted: int = 0
    rule: int = 0  # the checker's own requests: preflight, business rules, cleanup
    rule_accepted: int = 0
    unsendable: int = 0  # generated cases no HTTP client can send: skipped, counted here
    statuses: Counter[int] = field(default_factory=Counter)
    refused: Recorded | None = None  # the latest schema-valid request that was not accepted

    @property
    def sent(self) -> int:
        return self.positive + self.negative + self.stateful + self.rule

    @property
    def reached(self) -> bool:
        """Something schema-valid got through, or nothing schema-valid was sent at all."""
        return self.accepted + self.stateful_accepted + self.rule_accepted > 0 or self.positive + self.rule == 0

    def statuses_text(self) -> str:
        return ", ".join(f"{status} x{count}" for status, count in self.statuses.most_common(4))


class Coverage:
    """The counts of one vendor's run, by operation label (`GET /events/{eventId}`); thread-safe."""

    def __init__(self, labels: list[str]) -> None:
        self._lock = threading.Lock()
        self.operations = {label: OperationCount(label) for label in labels}
        self._patterns = [(_template(label), label) for label in labels]

    def _get(self, label: str) -> OperationCount:
        return self.operations.setdefault(label, OperationCount(label))

    def case(self, label: str, positive: bool, status: int, sent: Recorded | None = None,
             stateful: bool = False) -> None:
        """A generated case: fuzzed (positive or negative), or a step of a stateful scenario."""
        with self._lock:
            count = self._get(label)
            count.statuses[status] += 1
            if stateful:  # a step's data may hang on an earlier step that failed: judged as a phase
                count.stateful += 1
                count.stateful_accepted += status in ACCEPTED
            elif positive:
                count.positive += 1
                count.accepted += status in ACCEPTED
                if status not in ACCEPTED and sent is not None:
                    count.refused = sent
            else:
                count.negative += 1
                count.rejected += 400 <= status < 500

    def unsendable(self, label: str) -> None:
        with self._lock:
            self._get(label).unsendable += 1

    def rule(self, method: str, path: str, status: int | None, sent: Recorded | None = None) -> None:
        """The checker's own request (preflight, a rule, cleanup), matched to its operation by path."""
        label = self.label_of(method, path)
        if label is None or status is None:
            return
        with self._lock:
            count = self._get(label)
            count.statuses[status] += 1
            count.rule += 1
            count.rule_accepted += status in ACCEPTED
            if status not in ACCEPTED and sent is not None:
                count.refused = sent

    def label_of(self, method: str, path: str) -> str | None:
        for pattern, label in self._patterns:
            if pattern.fullmatch(f"{method.upper()} {path}"):
                return label
        return None

    def unreached(self) -> list[OperationCount]:
        return [count for count in self.operations.values() if not count.reached]

    def accepted(self, label: str) -> bool:
        """Whether any schema-valid fuzzed case of the operation was accepted yet."""
        count = self.operations.get(label)
        return count is not None and count.accepted > 0

    def stateful_reached(self) -> bool:
        counts = self.operations.values()
        return sum(c.stateful_accepted for c in counts) > 0 or sum(c.stateful for c in counts) == 0

    def rows(self) -> list[OperationCount]:
        return [count for count in self.operations.values() if count.sent or count.unsendable]


def _template(label: str) -> re.Pattern[str]:
    method, _, path = label.partition(" ")
    parts = re.split(r"(\{[^}]+\})", path)
    body = "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts)
    return re.compile(re.escape(method) + " " + body)
