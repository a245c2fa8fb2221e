"""`run`: every check of one vendor (or all) against a base URL, an ASGI app, or the embedded fake."""

from __future__ import annotations

import contextlib
import random
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import httpx

from . import phases
from .contract import Contract
from .ledger import Ids, Ledger, new_run_id
from .preflight import preflight
from .report import CheckResult, Report
from .reproduce import Files
from .rules import Rule, RuleSkipped, RuleViolation, SetupError, rules_for
from .target import IN_PROCESS_ROOT, Recorded, http_client, in_process_client
from .vendors import ConfigurationError, base_url_for, expand, resolve_params

DEFAULT_MAX_EXAMPLES = 25  # the fast CI profile; raise it (--max-examples) for depth
PHASES = ("rules", "fuzz", "stateful")

def cleanup(contract: Contract) -> None:
    """Delete what the run created, where the API can (`CheckVendor.cleanup`; without a delete API, what
    the run created stays)."""
    handler = contract.vendor.cleanup
    if handler is not None:
        with contextlib.suppress(httpx.HTTPError):  # a dead target: the check that met it reports it
            handler(contract)


def run_rule(contract: Contract, rule: Rule) -> CheckResult:
    """Run one business rule; a violation becomes a failed result with the requests that show it."""
    result = CheckResult(contract.name, rule.name, "rule", "passed", description=rule.description)
    contract.recorder.clear()
    shown: list[Recorded] = []
    started = time.perf_counter()
    try:
        note = rule.check(contract)
        if note:
            result.message = note
    except RuleSkipped as exc:
        result.status, result.message = "skipped", str(exc)
    except SetupError as exc:  # the parameters, not the contract: say which --param to set
        result.status, result.message, result.failed_checks = "error", str(exc), ["setup"]
    except RuleViolation as exc:
        result.status, result.message = "failed", exc.message
        result.failed_checks = [exc.rule]
        shown = exc.requests
    except httpx.HTTPError as exc:
        result.status, result.message = "error", f"{type(exc).__name__}: {exc} (is {contract.target.base_url} up?)"
    except Exception as exc:
        result.status = "error"
        result.message = "".join(traceback.format_exception_only(exc)).strip() + "\n" + "".join(
            traceback.format_tb(exc.__traceback__, limit=-3))
    finally:
        result.seconds = time.perf_counter() - started
        requests = contract.recorder.snapshot()
        result.requests = len(requests)
        if result.status in ("failed", "error"):  # up to the violation: its last request shows it
            result.reproduction = contract.reproduce(shown or requests)
        cleanup(contract)
    return result


def check_contract(
    contract: Contract,
    *,
    max_examples: int = DEFAULT_MAX_EXAMPLES,
    stateful: bool = True,
    select: Iterable[str] | None = None,
    progress: Callable[[CheckResult], None] | None = None,
) -> list[CheckResult]:
    """The business rules, then fuzzing of every operation, then the stateful run, for one contract."""
    wanted = set(select) if select is not None else None
    results: list[CheckResult] = []

    def done(items: Iterable[CheckResult]) -> None:
        for item in items:
            results.append(item)
            if progress is not None:
                progress(item)

    rules = [rule for rule in rules_for(contract.name) if wanted is None or rule.name in wanted or "rules" in wanted]
    checked = preflight(contract, rules=bool(rules))
    done([checked])
    if not checked.ok:  # a misconfigured target: every check after it would only measure that
        return results
    for rule in rules:
        done([run_rule(contract, rule)])
    if wanted is None or "fuzz" in wanted:
        for operation in phases.operations(contract):
            for mode in phases.FUZZ_MODES:
                done([phases.fuzz_operation(contract, operation, mode, max_examples, contract.seed)])
        cleanup(contract)
    if stateful and (wanted is None or "stateful" in wanted):
        done([phases.stateful(contract, max_examples, contract.seed)])
        cleanup(contract)
    done([coverage_verdict(contract)])
    return results


def coverage_verdict(contract: Contract) -> CheckResult:
    """`coverage`: failed when an operation's schema-valid requests were never accepted; the reproduction
    is one such request per operation."""
    coverage = contract.coverage
    result = CheckResult(contract.name, "coverage", "coverage", "passed",
                         description="every operation sent schema-valid requests got at least one accepted")
    result.coverage = coverage.rows()
    result.requests = sum(count.sent for count in result.coverage)
    unreached = coverage.unreached()
    problems = [f"{count.label}: {count.positive + count.rule} schema-valid request(s), none accepted "
                f"({count.statuses_text()})" for count in unreached]
    if not coverage.stateful_reached():
        problems.append("no step of any stateful scenario was accepted")
    if problems:
        result.status = "failed"
        result.failed_checks = ["coverage"]
        result.message = "nothing reached the rules: " + "; ".join(problems)
        result.reproduction = contract.reproduce([count.refused for count in unreached if count.refused])
    unsendable = sum(count.unsendable for count in result.coverage)
    if unsendable and result.ok:
        result.message = f"{unsendable} generated request(s) no HTTP client can send were skipped"
    return result


def _reachable(client: httpx.Client, base_url: str) -> None:
    """Fail fast with a clear message instead of a report full of connection errors."""
    try:
        client.get(base_url)
    except httpx.TransportError as exc:
        client.close()
        raise ConfigurationError(f"cannot reach {base_url}: {exc}") from None


def run(
    vendor: str,
    base_url: str | None = None,
    *,
    app: Any = None,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    max_examples: int = DEFAULT_MAX_EXAMPLES,
    seed: int | None = None,
    stateful: bool = True,
    select: Iterable[str] | None = None,
    progress: Callable[[CheckResult], None] | None = None,
    timeout: float = 30.0,
    files: Files | None = None,
) -> Report:
    """Check `vendor` (a check vendor's name, see `VENDORS`, or all) and return the `Report`.

    Without `base_url` and `app` the embedded fakes are checked in-process, from the default fixture.
    With `base_url` only, over HTTP: for one vendor its API base URL (e.g.
    `https://api.example.com/api/v1`), for `all` the root of a ticketfakes server (prefixes appended).
    With `app`, that ASGI app in-process (a ticketfakes app's state is reset first); `base_url` then
    says where the app serves the vendor (e.g. `http://testserver/api/v1`), default the ticketfakes
    prefix. Reproductions write bodies too long for a line into `files` (default: the temp directory).
    """
    vendors = expand(vendor)
    if max_examples < 1:
        raise ValueError("max_examples must be at least 1")
    param_sets = resolve_params(vendors, params)
    if select is not None:
        select = list(select)
        known = {*PHASES, *(rule.name for name in vendors for rule in rules_for(name))}
        unknown = sorted(set(select) - known)
        if unknown:
            raise ConfigurationError(f"unknown check {', '.join(unknown)}; choose from {', '.join(sorted(known))}")
    seed = seed if seed is not None else random.randrange(2**32)
    report = Report(seed=seed, run_id=new_run_id())
    ledger = Ledger()
    ids = Ids(report.run_id)  # one namespace and counter for every vendor of the run
    started = time.perf_counter()
    in_process = app is not None or base_url is None
    if app is None and in_process:
        from ..app import create_app

        app = create_app()
    urls = {name: base_url_for(name, base_url, len(vendors) == 1) for name in vendors}  # validates them
    client = in_process_client(app) if in_process else http_client(timeout)
    if not in_process:
        _reachable(client, urls[vendors[0]] or "")
    try:
        reset = set()
        for name in vendors:
            contract = Contract(
                name, base_url=urls[name],
                app=app, headers=headers, params=param_sets[name], seed=seed,
                ids=ids, ledger=ledger, client=client, files=files,
            )
            where = contract.target.base_url.removeprefix(IN_PROCESS_ROOT)
            report.targets[name] = f"in-process {where}" if in_process else contract.target.base_url
            if in_process and contract.vendor.fake not in reset:
                contract.reset_fake()
                reset.add(contract.vendor.fake)
            try:
                report.results.extend(check_contract(
                    contract, max_examples=max_examples, stateful=stateful, select=select, progress=progress
                ))
            finally:
                contract.close()
    finally:
        client.close()
    report.created = ledger.items()
    report.seconds = time.perf_counter() - started
    return report
