"""Preflight: one known-good request per vendor before anything is fuzzed.

A target that answers the simplest correct request with 404 or 401 is misconfigured (`--base-url` not
the API root, a wrong credential, an id that names nothing), and every check after it would only
measure that. So the run stops there, with one line that names the likely cause and the fix
(docs/contract-checks.md, "Preflight and coverage"). `ticketfakes check` exits 2 on it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

from .report import CheckResult
from .rules.talque import LIST, WEBHOOK

if TYPE_CHECKING:
    from .contract import Contract


@dataclass(frozen=True)
class Probe:
    """One request that must succeed; `param` names the --param it depends on (None: the base URL)."""

    method: str
    path: Callable[[Contract], str]
    body: Callable[[Contract], object] | None = None
    query: dict[str, str] | None = None
    param: str | None = None
    example: str = ""
    # Set: sent only when business rules run, and a failure is prefixed with why they need it.
    for_rules: str = ""
    # A 404 that says the route is missing, not that the --param names nothing (None: never).
    route_missing: Callable[[Contract, httpx.Response], bool] | None = None
    # Put what a 2xx answer says the target stored into the ledger (None: the probe creates nothing).
    created: Callable[[Contract, object, httpx.Response], None] | None = None


def _talque_list(contract: Contract) -> object:
    return {"orgId": contract.param("orgId"), "limit": 1}


def _talque_ticket(contract: Contract) -> object:
    # The simplest ticket the webhook takes (no ticket type, no person): its id is in this run's namespace.
    return {"tickets": [{"extTicketId": contract.ids.new("t"), "tickets": []}]}


def _talque_stored(contract: Contract, body: object, response: httpx.Response) -> None:
    answer = response.json()
    results = answer.get("ticketById") if isinstance(answer, dict) else None
    for ticket in body["tickets"]:  # type: ignore[index]
        entry = results.get(ticket["extTicketId"]) if isinstance(results, dict) else None
        if isinstance(entry, dict) and entry.get("success") is True:
            contract.ledger.add("talque", "ticket", ticket["extTicketId"],
                                f"org {contract.param('orgId')}, provider {answer.get('provider')}")


def _talque_route_missing(contract: Contract, response: httpx.Response) -> bool:
    """talque answers an unknown org with its own error shape naming the org; a 404 in any other shape
    (a server's generic "No route") or naming no org means the path, i.e. --base-url, is wrong."""
    try:
        body = response.json()
    except ValueError:
        return True
    if not (isinstance(body, dict) and body.get("success") is False and "reason" in body):
        return True
    return contract.param("orgId") not in response.text and "orgId" not in response.text


_TALQUE_LIST = Probe("POST", lambda c: LIST, _talque_list, param="orgId", example="org-123",
                     route_missing=_talque_route_missing)
PROBES: dict[str, list[Probe]] = {
    "talque": [_TALQUE_LIST],
    "talque-webhook": [
        Probe("POST", lambda c: WEBHOOK.format(org=c.param("orgId")), _talque_ticket, param="orgId",
              example="org-123", route_missing=_talque_route_missing, created=_talque_stored),
        replace(_TALQUE_LIST, for_rules="the webhook rules read tickets back through the JSON API"),
    ],
    "gomry": [
        Probe("GET", lambda c: "/events"),
        Probe("GET", lambda c: f"/events/{c.param('eventId')}", param="eventId", example="evt_123"),
        Probe("GET", lambda c: f"/events/{c.param('smallEventId')}", param="smallEventId", example="evt_789"),
    ],
    "planhat": [Probe("GET", lambda c: "/tickets", query={"limit": "1"})],
}


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
        return (f"{shown} answered {status}: --param {probe.param}={value} names nothing this credential may "
                f"use; set --param {probe.param}=<id>, e.g. --param {probe.param}={probe.example}")
    if status == 404:
        return f"{shown} answered 404: is --base-url the API root, e.g. {_root_example(contract)}?"
    return f"{shown} answered {status}: {response.text[:200]!r}"


def probe(contract: Contract, rules: bool = True) -> None:
    """Send the vendor's known-good requests (those `for_rules` only if `rules` run); PreflightFailed with
    the likely cause on the first failure."""
    for item in PROBES[contract.name]:
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
