"""Contract checks: prove that an implementation of the talque, Gomry or Planhat API keeps its contract.

    from ticketfakes import checks

    report = checks.run("gomry")                                   # the embedded fake, in-process
    report = checks.run("gomry", "http://127.0.0.1:8000/gomry/api/v1")  # any implementation over HTTP
    report = checks.run("gomry", app=my_asgi_app)                  # an ASGI app in-process
    assert report.ok, report.summary()

Three kinds of checks run per vendor: the business rules (`rules/`), schemathesis fuzzing of every
operation with all its built-in checks plus the ticketfakes response checks (`RESPONSE_CHECKS`), and
schemathesis' stateful run over the specs' OpenAPI links. `Contract` gives pytest suites the same
checks one by one (see docs/contract-checks.md).
"""

from __future__ import annotations

from .contract import Contract
from .ledger import Created, Ledger
from .report import CheckResult, Report
from .rules import Rule, RuleSkipped, RuleViolation, all_rules, rules_for
from .runner import DEFAULT_MAX_EXAMPLES, check_contract, run, run_rule
from .target import Recorded, Recorder, Target
from .vendors import ALL, CHOICES, VENDORS, ConfigurationError

# The ticketfakes response checks (`@schemathesis.check`) of each check vendor, by its name.
RESPONSE_CHECKS = {name: vendor.response_checks for name, vendor in VENDORS.items()}

__all__ = [
    "ALL",
    "CHOICES",
    "DEFAULT_MAX_EXAMPLES",
    "RESPONSE_CHECKS",
    "VENDORS",
    "CheckResult",
    "ConfigurationError",
    "Contract",
    "Created",
    "Ledger",
    "Recorded",
    "Recorder",
    "Report",
    "Rule",
    "RuleSkipped",
    "RuleViolation",
    "Target",
    "all_rules",
    "check_contract",
    "rules_for",
    "run",
    "run_rule",
]
