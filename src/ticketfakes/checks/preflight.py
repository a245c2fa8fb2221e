"""Preflight: one known-good request per vendor before anything is fuzzed.

A target that answers the simplest correct request with 404 or 401 is misconfigured (`--base-url` not
the API root, a wrong credential, an id that names nothing), and every check after it would only
measure that. So the run stops there, with one line that names the likely cause and the fix
(docs/contract-checks.md, "Preflight and coverage"). `ticketfakes check` exits 2 on it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

from .report import CheckResult

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


def _talque_list(contract: Contract) -> object:
    return {"orgId": contract.param("orgId"), "limit": 1}


_TALQUE = [Probe("POST", lambda c: "/api/v1/ticket/list", _talque_list, param="orgId", example="org-123")]
PROBES: dict[str, list[Probe]] = {
    "talque": _TALQUE,
    "talque-webhook": _TALQUE,  # the webhook writes; its org is checked through the JSON API beside it
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
    if probe.param is not None and status in (403, 404):
        value = contract.param(probe.param)
        return (f"{shown} answered {status}: --param {probe.param}={value} names nothing this credential may "
                f"use; set --param {probe.param}=<id>, e.g. --param {probe.param}={probe.example}")
    if status == 404:
        return f"{shown} answered 404: is --base-url the API root, e.g. {_root_example(contract)}?"
    return f"{shown} answered {status}: {response.text[:200]!r}"


def probe(contract: Contract) -> None:
    """Send the vendor's known-good requests; PreflightFailed with the likely cause on the first failure."""
    for item in PROBES[contract.name]:
        kwargs: dict[str, object] = {"params": item.query}
        if item.body is not None:
            kwargs["json_body"] = item.body(contract)
        try:
            response = contract.target.request(item.method, item.path(contract), **kwargs)  # type: ignore[arg-type]
        except httpx.TransportError as exc:
            raise PreflightFailed(f"cannot reach {contract.target.base_url}: {exc}") from None
        if not 200 <= response.status_code < 300:
            raise PreflightFailed(_cause(contract, item, response))
        try:
            response.json()
        except ValueError:
            kind = response.headers.get("content-type", "no content type")
            raise PreflightFailed(
                f"{item.method} {item.path(contract)} answered {response.status_code} with {kind}, not JSON: "
                f"is --base-url the API root, e.g. {_root_example(contract)}?"
            ) from None


def preflight(contract: Contract) -> CheckResult:
    """The `preflight` check: passed, or failed with the one line and the request that shows it."""

    result = CheckResult(contract.name, "preflight", "preflight", "passed",
                         description="one known-good request per vendor before anything is fuzzed")
    contract.recorder.clear()
    started = time.perf_counter()
    try:
        probe(contract)
    except PreflightFailed as exc:
        result.status, result.message, result.failed_checks = "failed", str(exc), ["preflight"]
        result.reproduction = contract.reproduce(contract.recorder.snapshot())
    result.seconds = time.perf_counter() - started
    result.requests = len(contract.recorder.snapshot())
    return result
