"""Contract checks: prove that an implementation of a registered vendor's API keeps its contract.

    from ticketfakes import checks

    report = checks.run(vendor)                    # the embedded fake, in-process (vendor: see checks.CHOICES)
    report = checks.run(vendor, api_base_url)      # any implementation over HTTP
    report = checks.run(vendor, app=my_asgi_app)   # an ASGI app in-process
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
