"""What the passive rule modules share: `Observer`, `PassiveChecker`, bounded memory, JSON helpers.

The vendor modules import this leaf; each fake's `observer` hook builds its vendor's observer, and the
package `__init__` asks the registry for them, never the other way round (tests/test_imports.py).

Passive business-rule checks: what the proxy can judge from traffic it only watches (docs/proxy.md).

`ticketfakes check` drives a target with request sequences of its own; here the client's traffic is all
there is. Each observer remembers what it saw (a stored orgTicketId, an Idempotency-Key's first answer, a
cursor's pages) and judges later answers against it. A rule is named like the checker's rule that proves
the same thing, and reuses that rule's assertions where they apply to one observed answer: the proxy
and the checker name a broken rule the same way.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Generic, NoReturn, TypeVar

from ...checks.rules.base import RuleViolation
from ..exchange import NOT_JSON, Exchange

Found = list[tuple[str, str, str]]  # (rule, field, message)

K = TypeVar("K")
V = TypeVar("V")


class Bounded(OrderedDict[K, V], Generic[K, V]):
    """A dict that forgets its least recently written entries beyond `limit`: memory stays bounded
    however long the proxy runs (a forgotten entry only means a later answer is not judged)."""

    def __init__(self, limit: int = 100_000) -> None:
        super().__init__()
        self.limit = limit

    def __setitem__(self, key: K, value: V) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        if len(self) > self.limit:
            self.popitem(last=False)


class PassiveChecker:
    """The checker's `Checker` interface (`fail`, `expect`) for one rule, without a contract: the
    checker's rule helpers run unchanged on observed answers, and their failures are collected."""

    def __init__(self, name: str, found: Found, field: str = "") -> None:
        self.name = name
        self.found = found
        self.field = field

    def fail(self, message: str) -> NoReturn:
        raise RuleViolation(self.name, message)

    def expect(self, condition: object, message: str) -> None:
        if not condition:
            self.fail(message)

    @contextmanager
    def judging(self, field: str = "") -> Iterator[PassiveChecker]:
        """Runs one judgement: its first failure is recorded and the observer goes on with the next."""
        try:
            yield self
        except RuleViolation as violation:
            self.found.append((self.name, field or self.field, violation.message))


def json_object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def json_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def anonymous(exchange: Exchange, credentials: tuple[str, ...]) -> bool:
    return not any(exchange.header(name) for name in credentials)


def anonymous_served(exchange: Exchange, credentials: tuple[str, ...], found: Found) -> None:
    """`<vendor>.tenant_isolation`: an operation that requires credentials never serves a request that
    sends none (the checker's tenant rules send such requests: 401/403/404 are the only answers)."""
    operation = exchange.operation
    if (credentials and operation is not None and operation.security and exchange.status < 300
            and anonymous(exchange, credentials)):
        names = "/".join(credentials)
        found.append((f"{exchange.vendor}.tenant_isolation", f"header.{names}",
                      f"{exchange.label} without credentials answered {exchange.status}, not 401/403"))


class Observer:
    """Watches one vendor's exchanges; `observe` returns what they broke."""

    vendor = ""
    rules: tuple[str, ...] = ()  # every rule it reports (docs/proxy.md lists them; a test keeps both equal)
    credentials: tuple[str, ...] = ()  # the vendor's credential headers: a request with none is anonymous

    def observe(self, exchange: Exchange) -> Found:
        found: Found = []
        anonymous_served(exchange, self.credentials, found)
        body = exchange.response_json
        if exchange.operation is not None and body is not NOT_JSON:
            self.judge(exchange, body, found)
        return found

    def judge(self, exchange: Exchange, body: Any, found: Found) -> None:
        raise NotImplementedError
