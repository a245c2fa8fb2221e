"""Business rules as named checks: explicit stateful request sequences over HTTP.

Each rule is a function `(contract) -> None | str` (a note, e.g. what it could not check), registered
with `@rule(name, *vendors)`; its docstring says what it proves. A rule only reasons about what it
created itself (a real org is never empty), finds capacities and seats through the API (a real service
has no control plane), and raises `RuleViolation(rule, message)` when the implementation breaks the
contract. The runner attaches the requests the rule sent, which reproduce the failure in order.
"""

from __future__ import annotations

from .base import (  # noqa: F401  (the package's names: rules, verdicts, the Checker)
    RULES,
    Checker,
    Rule,
    RuleFunction,
    RuleSkipped,
    RuleViolation,
    SetupError,
    rule,
)


def rules_for(vendor: str) -> list[Rule]:
    _load()
    return [item for item in RULES.values() if vendor in item.vendors]


def all_rules() -> list[Rule]:
    _load()
    return list(RULES.values())


def _load() -> None:
    from ..vendors import registered

    registered()  # imports every vendor's module, which registers its rules
