"""Preflight: one known-good request per vendor (its `CheckVendor.probes`) before anything is fuzzed.

A target that answers the simplest correct request with 404 or 401 is misconfigured (`--base-url` not
the API root, a wrong credential, an id that names nothing), and every check after it would only
measure that. So the run stops there, with one line that names the likely cause and the fix
(docs/contract-checks.md, "Preflight and coverage"). `ticketfakes check` exits 2 on it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

from .report import CheckResult

if TYPE_CHECKING:
    from .interface import Contract, Probe


class PreflightFailed(Exception):
    """The known-good request failed; the message is the one line to show."""


def _root_example(contract: Contract) -> str:
    parts = urlsplit(contract.target.base_url.replace("http://testserver", "http://127.0.0.1:8000"))
    return f"{parts.scheme}://{parts.netloc}{contract.vendor.prefix}"


def _cause(contract: Contract, probe: Probe, response: httpx.Response) -> str:
    status = response.status_code
    shown = f"{probe.method} {probe.path(contract)}"
    credential = " and ".join(f"--header {name}" for name in contract.vendor.headers)
    if status == 401 or (status == 403 and probe.param is None):
        return f"{shown} answered {status}: check {credential} (the credential the target expects)"
    missing = probe.route_missing is not None and status == 404 and probe.route_missing(contract, response)
    if probe.param is not None and status in (403, 404) and not missing:
        value = contract.param(probe.param)
        example = contract.vendor.params[probe.param].example
        return (f"{shown} answered {status}: --param {probe.param}={value} names nothing this credential may "
                f"use; set --param {probe.param}=<id>, e.g. --param {probe.param}={example}")
    if status == 404:
        return f"{shown} answered 404: is --base-url the API root, e.g. {_root_example(contract)}?"
    return f"{shown} answered {status}: {response.text[:200]!r}"


def probe(contract: Contract, rules: bool = True) -> None:
    """Send the vendor's known-good requests (those `for_rules` only if `rules` run); PreflightFailed with
    the likely cause on the first failure."""
    for item in contract.vendor.probes:
        if item.for_rules and not rules:
            continue
        why = f"{item.for_rules}: " if item.for_rules else ""
        kwargs: dict[str, object] = {"params": item.query}
        body = item.body(contract) if item.body is not None else None
        if body is not None:
            kwargs["json_body"] = body
        try:
            response = contract.target.request(item.method, item.path(contract), **kwargs)  # type: ignore[arg-type]
        except httpx.TransportError as exc:
            raise PreflightFailed(f"cannot reach {contract.target.base_url}: {exc}") from None
        if not 200 <= response.status_code < 300:
            raise PreflightFailed(why + _cause(contract, item, response))
        try:
            response.json()
        except ValueError:
            kind = response.headers.get("content-type", "no content type")
            raise PreflightFailed(
                f"{why}{item.method} {item.path(contract)} answered {response.status_code} with {kind}, not "
                f"JSON: is --base-url the API root, e.g. {_root_example(contract)}?"
            ) from None
        if item.created is not None:
            item.created(contract, body, response)


def preflight(contract: Contract, rules: bool = True) -> CheckResult:
    """The `preflight` check: passed, or failed with the one line and the request that shows it. `rules`:
    business rules will run (some vendors' rules need an API beside the one checked)."""

    result = CheckResult(contract.name, "preflight", "preflight", "passed",
                         description="one known-good request per vendor before anything is fuzzed")
    contract.recorder.clear()
    started = time.perf_counter()
    try:
        probe(contract, rules)
    except PreflightFailed as exc:
        result.status, result.message, result.failed_checks = "failed", str(exc), ["preflight"]
        result.reproduction = contract.reproduce(contract.recorder.snapshot())
    result.seconds = time.perf_counter() - started
    result.requests = len(contract.recorder.snapshot())
    return result
