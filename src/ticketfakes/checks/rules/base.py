"""What the business-rule modules share: `Rule`, the `@rule` registry, `Checker` and its verdicts.

The vendor modules (`rules/<vendor>.py`) import this leaf; the registry (`checks.vendors.registered`)
imports them, which registers their rules, never the other way round (tests/test_imports.py).

Business rules as named checks: explicit stateful request sequences over HTTP.

Each rule is a function `(contract) -> None | str` (a note, e.g. what it could not check), registered
with `@rule(name, *vendors)`; its docstring says what it proves. A rule only reasons about what it
created itself (a real org is never empty), finds capacities and seats through the API (a real service
has no control plane), and raises `RuleViolation(rule, message)` when the implementation breaks the
contract. The runner attaches the requests the rule sent, which reproduce the failure in order.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

import httpx

if TYPE_CHECKING:
    from ..interface import Contract
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


@dataclass(frozen=True)
class Rule:
    name: str  # "<vendor>.<rule>", e.g. "<vendor>.capacity"
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
        param = self.contract.vendor.params.get(names[0])  # its example: what such an id looks like there
        raise SetupError(names[0], value, problem, param.example if param is not None and param.example else "<id>")

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


# -- checks of one response that the active rules and the proxy's passive ones both apply ---------

# Headers a server may legitimately set anew on a replay; everything else must come back verbatim.
VOLATILE_HEADERS = frozenset(
    {"date", "server", "connection", "keep-alive", "transfer-encoding", "x-request-id", "cf-ray", "idempotent-replay"}
)
SEATS = re.compile(r"(\d+) seats? remaining")
COUNTS = ("created", "updated", "nonupdates")


def remaining(check: Checker, what: str, limit: Any, taken: Any, remaining: Any) -> int | None:
    check.expect(isinstance(taken, int) and taken >= 0, f"{what}: seats taken is {taken!r}")
    if limit is None:
        check.expect(remaining is None, f"{what}: unlimited but {remaining!r} remaining")
        return None
    check.expect(taken <= limit, f"{what} is oversold: {taken} seats taken of {limit}")
    check.expect(remaining == limit - taken, f"{what}: {remaining} remaining != {limit} - {taken}")
    return remaining


def same_response(check: Checker, first: httpx.Response, again: httpx.Response, what: str) -> None:
    check.expect(again.headers.get("idempotent-replay") == "true", f"{what}: the repeat lacks Idempotent-Replay: true")
    check.expect(again.status_code == first.status_code, f"{what}: replayed {again.status_code}, first was "
                                                         f"{first.status_code}")
    check.expect(again.content == first.content, f"{what}: the replayed body differs:\nfirst  {first.text[:300]}\n"
                                                 f"replay {again.text[:300]}")
    ours = {(k, v) for k, v in first.headers.items() if k.lower() not in VOLATILE_HEADERS}
    theirs = {(k, v) for k, v in again.headers.items() if k.lower() not in VOLATILE_HEADERS}
    check.expect(ours == theirs, f"{what}: replayed headers differ: {sorted(ours ^ theirs)}")


def counted(check: Checker, body: dict[str, Any], sent: int, dropped: int) -> int:
    """Assert the bulk counts add up to the items sent minus those dropped; returns the error count."""
    errors = len(body.get("createdErrors") or []) + len(body.get("updatedErrors") or [])
    total = sum(body.get(name, 0) for name in COUNTS) + errors
    check.expect(total == sent - dropped, f"created+updated+nonupdates+errors = {total}, but {sent} items were sent "
                                          f"and {dropped} dropped: {body}")
    check.expect(len(body.get("insertsKeys") or []) == body.get("created") == len(body.get("upsertedIds") or []),
                 f"created={body.get('created')} disagrees with insertsKeys/upsertedIds: {body}")
    check.expect(len(body.get("updatesKeys") or []) == body.get("updated"),
                 f"updated={body.get('updated')} disagrees with updatesKeys: {body}")
    return errors


def categorised(check: Checker, model: dict[str, Any]) -> None:
    """`category` is the first of `categories`, and null (present, not left out) when there is none."""
    categories = model.get("categories")
    first = categories[0] if isinstance(categories, list) and categories else None
    check.expect("category" in model and model["category"] == first,
                 f"ticket {model.get('ticketId')!r}: category {model.get('category', '<missing>')!r} with categories "
                 f"{categories!r}; it must be the first category, or null when there is none")
