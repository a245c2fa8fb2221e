"""Schemathesis over every operation of every spec against the served app: zero failures.

Each spec is fuzzed through schemathesis' own engine (the one `schemathesis run` drives): examples,
coverage, fuzzing and stateful phases, positive and negative data, and every built-in check below.
Vendor specs run twice: with valid credentials (so `ignored_auth` can strip them and see the 401/403)
and without any (so a 2xx without credentials fails `ignored_auth`). The server runs with
`--validate-responses`, so a response that drifts from its spec is a 500 and fails `not_a_server_error`.

Profiles (see docs/reliability.md):
- CI (default): `TICKETFAKES_FUZZ_EXAMPLES` = 50 examples per operation and phase, fixed seed.
- deep, local: `TICKETFAKES_FUZZ_EXAMPLES=500 TICKETFAKES_FUZZ_SEED=random python -m pytest tests/test_fuzz.py -s`
"""

from __future__ import annotations

import json
import os
import random
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from schemathesis import openapi
from schemathesis.config import SchemathesisConfig
from schemathesis.core.result import Ok
from schemathesis.engine import Status, StopReason, events, from_schema
from schemathesis.hooks import GLOBAL_HOOK_DISPATCHER
from schemathesis.openapi.checks import RejectedPositiveData, UseAfterFree

from ticketfakes.admin.routes import served_prefixes
from ticketfakes.checks import VENDORS
from ticketfakes.checks.misreadings import misreading
from ticketfakes.checks.schema import Refusal, matching_refusal, refusal
from ticketfakes.core.faults import pattern_mistake
from ticketfakes.fakes import spec_files
from ticketfakes.server import ServedProcess
from ticketfakes.specs import SpecFile, load_document

from .conftest import GOMRY_WRITE, PLANHAT_AUTH, TALQUE_AUTH

EXAMPLES = int(os.environ.get("TICKETFAKES_FUZZ_EXAMPLES", "50"))
_SEED = os.environ.get("TICKETFAKES_FUZZ_SEED", "20240601")
SEED = random.randrange(2**32) if _SEED == "random" else int(_SEED)

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "unsupported_method",
    "allow_header_conformance",
    "ignored_auth",
    "use_after_free",
    "ensure_resource_availability",
)

CREDENTIALS: dict[str, dict[str, str]] = {
    "talque-json-api.yaml": TALQUE_AUTH,
    "talque-webhook.yaml": TALQUE_AUTH,
    "gomry.yaml": GOMRY_WRITE,
    "planhat.yaml": PLANHAT_AUTH,
    "admin.yaml": {},  # no auth: loopback only
    "talque-admin.yaml": {},
    "gomry-admin.yaml": {},
}

# positive_data_acceptance failures are dropped ONLY when the response is exactly such a documented
# refusal: same operation, same status, an error that blames no other field, and the rule's condition.
# The vendors' refusals are the contract checker's own table (one source); the control plane's are here.
SPEC_VENDORS = {
    "talque-json-api.yaml": "talque",
    "talque-webhook.yaml": "talque-webhook",
    "gomry.yaml": "gomry",
    "planhat.yaml": "planhat",
}
def _pattern_never_matches(body: Any) -> bool:
    rules = body.get("rules") if isinstance(body, dict) else None
    return isinstance(rules, list) and any(
        isinstance(rule, dict) and isinstance(rule.get("path_pattern"), str)
        and pattern_mistake(rule["path_pattern"], served_prefixes()) is not None
        for rule in rules
    )


REFUSALS: dict[str, dict[str, list[Refusal]]] = {
    **{spec: dict(VENDORS[vendor].refusals) for spec, vendor in SPEC_VENDORS.items()},
    "admin.yaml": {
        "POST /reset": [refusal(400, "fixtures", "`fixtures` names a file that does not exist or does not load")],
        "PUT /state": [refusal(400, None, "vendor parts that GET /state did not produce (opaque to the spec)")],
        "PUT /faults": [refusal(400, None, "a path_pattern that can never match (docs/control-plane.md)",
                                _pattern_never_matches)],
        "PUT /namespaces/{name}": [
            refusal(400, "fixtures", "`fixtures` names a file that does not exist or does not load"),
            refusal(400, None, "a `state` whose vendor parts GET /state did not produce (opaque to the spec)",
                    lambda body: isinstance(body, dict) and "state" in body),
        ],
    },
}

# Positive talque JSON API bodies name the fixture's org and provider, or every one is a 404/403 and
# the fake's success paths go unfuzzed (the published spec's examples use talque's real ids).
POSITIVE_PINS: dict[str, dict[str, str]] = {
    "talque-json-api.yaml": {"orgId": "org-demo", "provider": "demo-shop"},
}


def is_documented_refusal(spec: str, failure: Any, case: Any, response: Any) -> bool:
    # A documented behaviour a built-in check misreads (soft delete, 413, 415): the checker's own table,
    # by check, operation, status and condition (docs/contract-checks.md).
    if spec in SPEC_VENDORS and misreading(VENDORS[SPEC_VENDORS[spec]], failure, case, response) is not None:
        return True
    if not isinstance(failure, RejectedPositiveData):
        return False
    return matching_refusal(REFUSALS.get(spec, {}).get(case.operation.label, []), case, response) is not None


def every_spec_file() -> list[SpecFile]:
    return [spec for files in spec_files().values() for spec in files]


@dataclass
class Outcome:
    cases: int = 0
    scenarios: int = 0
    refusals: int = 0  # documented semantic refusals (REFUSALS) that positive data met
    checks: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    stop_reason: StopReason | None = None
    seconds: float = 0.0

    def summary(self, label: str) -> str:
        top = ", ".join(f"{s}: {n}" for s, n in sorted(self.statuses.items()))
        return (f"{label}: {self.cases} cases, {sum(self.checks.values())} check runs, "
                f"{len(self.failures)} failures, {self.refusals} documented refusals, "
                f"{len(self.errors)} errors in {self.seconds:.1f} s (seed {SEED}, {EXAMPLES} examples; "
                f"statuses {top})")


def config_for(spec: SpecFile, base_url: str, headers: dict[str, str], checks: tuple[str, ...]) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict({
        "seed": SEED,
        "base-url": base_url + spec.prefix,
        "headers": headers,
        "request-timeout": 30,
        "checks": {"enabled": False, **{name: {"enabled": True} for name in checks}},
        "generation": {"mode": "all", "max-examples": EXAMPLES, "database": "none"},
    })


def run_schemathesis(spec: SpecFile, base_url: str, headers: dict[str, str],
                     checks: tuple[str, ...] = CHECKS) -> Outcome:
    document = load_document(spec.name)  # the talque document normalised (3.0.3 with 3.1 type arrays)
    schema = openapi.from_dict(document, config=config_for(spec, base_url, headers, checks))
    labels = {result.ok().label for result in schema.get_all_operations() if isinstance(result, Ok)}
    assert set(REFUSALS.get(spec.name, {})) <= labels, "a refusal names no operation of the spec"

    @schema.hook
    def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
        return not is_documented_refusal(spec.name, failure, case, response)

    # map_body/map_headers, not map_case: with any map_case hook schemathesis 4.32 spends a minute on
    # a 100-case operation (and once crashed), while these leave generation as fast as without hooks.
    pins = POSITIVE_PINS.get(spec.name, {})
    if pins:
        @schema.hook
        def map_body(context: Any, body: Any) -> Any:
            # Only string values are swapped for other strings: no case changes from valid to invalid.
            if isinstance(body, dict):
                body.update({k: v for k, v in pins.items() if isinstance(body.get(k), str)})
            return body

    outcome = Outcome()
    started = time.perf_counter()
    GLOBAL_HOOK_DISPATCHER.register_hook_with_name(fresh_idempotency_keys, "before_call")
    try:
        _execute(schema, outcome)
    finally:  # a global hook: other schemathesis runs in this process (the checker's) must not see it
        GLOBAL_HOOK_DISPATCHER.unregister(fresh_idempotency_keys)
    outcome.seconds = time.perf_counter() - started
    return outcome


def fresh_idempotency_keys(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    headers = case.headers if case.headers is not None else {}
    key = headers.get("Idempotency-Key")
    if isinstance(key, str) and 1 <= len(key) <= 255:
        # A fresh key for every request sent. Drawn keys collide ("0" again), and schemathesis sends
        # variants of one case (an invalid body, then the valid one) with the same key: a repeat replays
        # the first answer, a 201 whose attendee is gone or a 400 for a now-valid body. Right by the
        # contract, misread by checks that judge each answer against its own request. Invalid keys stay
        # as drawn; replay is tested in tests/test_gomry_http.py and tests/test_concurrency.py.
        headers["Idempotency-Key"] = (uuid.uuid4().hex + key)[:255]


def _execute(schema: Any, outcome: Outcome) -> None:
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            outcome.scenarios += 1
            recorder = event.recorder
            outcome.cases += len(recorder.cases)
            outcome.refusals += sum(recorder.filtered_failures.values())
            for interaction in recorder.interactions.values():
                if interaction.response is not None:
                    outcome.statuses[interaction.response.status_code] += 1
            for nodes in recorder.checks.values():
                for node in nodes:
                    outcome.checks[node.name] += 1
                    if node.status == Status.FAILURE and node.failure_info is not None:
                        failure = node.failure_info.failure
                        outcome.failures.append(
                            f"{recorder.label} [{node.name}] {failure.title}: {failure.message[:400]}\n"
                            f"    {node.failure_info.code_sample[:1500]}"
                        )
        elif isinstance(event, events.NonFatalError):
            outcome.errors.append(f"{event.label}: {event.value!r}"[:1500])
        elif isinstance(event, events.FatalError):
            outcome.errors.append(f"fatal: {event.exception!r}"[:1500])
        elif isinstance(event, events.EngineFinished):
            outcome.stop_reason = event.stop_reason
            outcome.failures.extend(f"after run: {failure}" for failure in event.failures)


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    # A server of its own: fuzzing the control plane rewrites state, clock, faults and rate limits.
    with ServedProcess(validate_responses=True) as process:
        yield process.url


def reset(url: str) -> None:
    assert httpx.post(url + "/_admin/reset", timeout=30).status_code == 200


def assert_clean(outcome: Outcome, label: str) -> None:
    print(outcome.summary(label))
    assert outcome.stop_reason is StopReason.COMPLETED, outcome.stop_reason
    assert not outcome.errors, "\n".join(outcome.errors)
    assert not outcome.failures, f"{len(outcome.failures)} failures:\n" + "\n".join(outcome.failures[:20])
    assert outcome.cases > 0


@pytest.mark.parametrize("spec", every_spec_file(), ids=lambda spec: spec.name.removesuffix(".yaml"))
def test_every_operation_passes_every_check_with_credentials(served: str, spec: SpecFile) -> None:
    reset(served)
    outcome = run_schemathesis(spec, served, CREDENTIALS[spec.name])
    assert_clean(outcome, f"{spec.name} with credentials")
    assert 500 not in outcome.statuses
    if not spec.name.endswith("admin.yaml"):
        assert any(200 <= status < 300 for status in outcome.statuses), "credentials never got through"
    reset(served)


@pytest.mark.parametrize("spec", [s for s in every_spec_file() if CREDENTIALS[s.name]],
                         ids=lambda spec: spec.name.removesuffix(".yaml"))
def test_without_credentials_nothing_succeeds(served: str, spec: SpecFile) -> None:
    reset(served)
    outcome = run_schemathesis(spec, served, {})
    assert_clean(outcome, f"{spec.name} without credentials")
    assert not any(200 <= status < 300 for status in outcome.statuses), outcome.statuses
    reset(served)


class _Response:
    def __init__(self, status: int, body: Any) -> None:
        self.status_code = status
        self._body = body

    def json(self) -> Any:
        return self._body

    @property
    def content(self) -> bytes:
        return json.dumps(self._body).encode()


class _Case:
    def __init__(self, label: str) -> None:
        self.operation = type("Operation", (), {"label": label})()


def test_only_the_documented_refusal_is_forgiven() -> None:
    """The filter must not swallow anything but the exact refusal: other fields, statuses or checks fail."""
    rejected = RejectedPositiveData(operation="x", message="m", status_code=400, allowed_statuses=["2xx"])
    webhook = _Case("POST /webhook/org/{orgId}/ticket")
    duplicate = {"success": False, "reason": "BAD_REQUEST", "message": "dup",
                 "errors": [{"field": "tickets[3].extTicketId", "message": "duplicate"}]}
    assert is_documented_refusal("talque-webhook.yaml", rejected, webhook, _Response(400, duplicate))
    other_field = {**duplicate, "errors": [*duplicate["errors"], {"field": "tickets[0].email", "message": "x"}]}
    assert not is_documented_refusal("talque-webhook.yaml", rejected, webhook, _Response(400, other_field))
    assert not is_documented_refusal("talque-webhook.yaml", rejected, webhook, _Response(422, duplicate))
    assert not is_documented_refusal("gomry.yaml", rejected, webhook, _Response(400, duplicate))
    assert not is_documented_refusal("talque-webhook.yaml", AssertionError("other check"), webhook,
                                     _Response(400, duplicate))
    patch = _Case("PATCH /events/{eventId}/attendees/{attendeeId}")
    transition = {"error": "Cannot change status", "current_status": "checked_in", "allowed_statuses": []}
    assert is_documented_refusal("gomry.yaml", rejected, patch, _Response(422, transition))
    invalid = {"error": "Validation failed", "details": {"fieldErrors": {"status": ["bad"]}}}
    assert not is_documented_refusal("gomry.yaml", rejected, patch, _Response(422, invalid))
    assert not is_documented_refusal("gomry.yaml", rejected, patch, _Response(422, ["not an error body"]))
    # The soft delete (a misreading the checker excuses by name): only a deleted attendee, only UseAfterFree.
    read = _Case("GET /events/{eventId}/attendees/{attendeeId}")
    freed = UseAfterFree(operation="x", message="m", free="DELETE ...", usage="GET ...")
    assert is_documented_refusal("gomry.yaml", freed, read, _Response(200, {"id": "tkt_1", "status": "deleted"}))
    assert not is_documented_refusal("gomry.yaml", freed, read, _Response(200, {"id": "tkt_1", "status": "valid"}))
    assert not is_documented_refusal("gomry.yaml", freed, patch, _Response(200, {"status": "deleted"}))
