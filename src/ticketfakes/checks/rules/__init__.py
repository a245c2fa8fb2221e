"""Business rules as named checks: explicit stateful request sequences over HTTP.

Each rule is a function `(contract) -> None | str` (a note, e.g. what it could not check), registered
with `@rule(name, *vendors)`; its docstring says what it proves. A rule only reasons about what it
created itself (a real org is never empty), finds capacities and seats through the API (a real service
has no control plane), and raises `RuleViolation(rule, message)` when the implementation breaks the
contract. The runner attaches the requests the rule sent, which reproduce the failure in order.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

import httpx

if TYPE_CHECKING:
    from ..contract import Contract
    from ..target import Recorded


class RuleViolation(AssertionError):
    """An implementation broke a named rule; `requests` is the sequence that shows it."""

    def __init__(self, rule: str, message: str, requests: list[Recorded] | None = None) -> None:
        super().__init__(f"{rule}: {message}")
        self.rule = rule
        self.message = message
        self.requests: list[Recorded] = list(requests or [])


class RuleSkipped(Exception):
    """The rule cannot be checked with these parameters (e.g. an event with unlimited capacity)."""


class SetupError(Exception):
    """A `--param` names something the target does not know: not a verdict on the contract. The message
    says which parameter to set, with an example."""

    def __init__(self, param: str, value: str, problem: str, example: str) -> None:
        super().__init__(f"setup: --param {param}={value}: {problem}; set --param {param}=<id>, "
                         f"e.g. --param {param}={example}")
        self.param = param


# Examples for setup messages: what such an id looks like at the vendor.
PARAM_EXAMPLES = {
    "orgId": "org-123", "ticketType": "day-pass", "eventId": "evt_123", "ticketClassId": "tc_456",
    "smallEventId": "evt_789", "smallTicketClassId": "tc_789", "companyExternalId": "acme-ext",
}


@dataclass(frozen=True)
class Rule:
    name: str  # "gomry.capacity"
    vendors: tuple[str, ...]  # the check vendors whose runs include it
    check: Callable[[Contract], str | None]

    @property
    def description(self) -> str:
        """The first paragraph of the rule's docstring: what it proves."""
        doc = inspect.getdoc(self.check) or ""
        return " ".join(doc.split("\n\n", 1)[0].split())

    @property
    def documentation(self) -> str:
        return inspect.getdoc(self.check) or ""


RULES: dict[str, Rule] = {}


RuleFunction = Callable[["Contract"], "str | None"]


def rule(name: str, *vendors: str) -> Callable[[RuleFunction], RuleFunction]:
    """Register `func` as the business rule `name`, run for each of `vendors`."""

    def register(func: RuleFunction) -> RuleFunction:
        RULES[name] = Rule(name, vendors, func)
        return func

    return register


def rules_for(vendor: str) -> list[Rule]:
    _load()
    return [item for item in RULES.values() if vendor in item.vendors]


def all_rules() -> list[Rule]:
    _load()
    return list(RULES.values())


def _load() -> None:
    from . import gomry, planhat, talque  # noqa: F401  (registers the rules)


# -- helpers the rule modules share ---------------------------------------------------------------


class Checker:
    """`fail`/`expect` bound to one rule and its contract: a violation carries the requests sent so far.
    JSON decoding fails the rule, not the runner."""

    def __init__(self, name: str, contract: Contract) -> None:
        self.name = name
        self.contract = contract

    def fail(self, message: str) -> NoReturn:
        raise RuleViolation(self.name, message, self.contract.recorder.snapshot())

    def expect(self, condition: object, message: str) -> None:
        if not condition:
            self.fail(message)

    def known(self, condition: object, value: str, problem: str) -> None:
        """A setup check: unless `condition`, SetupError naming the --param whose value is `value`."""
        if condition:
            return
        names = [name for name, given in self.contract.params.items() if given == value] or ["?"]
        raise SetupError(names[0], value, problem, PARAM_EXAMPLES.get(names[0], "<id>"))

    def status(self, response: httpx.Response, *expected: int) -> None:
        if response.status_code not in expected:
            wanted = " or ".join(str(code) for code in expected)
            self.fail(
                f"{response.request.method} {response.request.url.path} answered {response.status_code}, "
                f"expected {wanted}: {response.text[:300]}"
            )

    def json(self, response: httpx.Response, *expected: int) -> Any:
        if expected:
            self.status(response, *expected)
        try:
            return response.json()
        except ValueError:
            self.fail(f"{response.request.method} {response.request.url.path} answered non-JSON: "
                      f"{response.text[:200]!r}")
