"""The schemathesis phases: fuzzing every operation (positive and negative data) and the stateful run
over the specs' OpenAPI links, each turned into `CheckResult`s with the request sequence that fails."""

from __future__ import annotations

import contextlib
import time
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import hypothesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Flaky, Unsatisfiable
from schemathesis.core.errors import NoLinksFound
from schemathesis.core.failures import Failure
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode

from .report import CheckResult
from .schema import Unsendable, send, validate

if TYPE_CHECKING:
    from schemathesis import APIOperation

    from .interface import Contract
    from .target import Recorded

_REQUESTS = "ticketfakes_requests"
STEPS_PER_SCENARIO = 8
FUZZ_MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


def _settings(max_examples: int, **extra: Any) -> settings:
    return settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        **extra,
    )


class Seen:
    """What a phase has sent and the first failure it met (hypothesis may later replay it flakily)."""

    def __init__(self) -> None:
        self.sent = 0
        self.first: BaseException | None = None

    def failed(self, exc: BaseException, requests: list[Recorded]) -> None:
        _attach(exc, requests)
        if self.first is None:
            self.first = exc


def _is_flaky(exc: BaseException) -> bool:
    """hypothesis could not replay: the target's state changed in between (no reset over HTTP)."""
    if isinstance(exc, Flaky):
        return True
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return isinstance(exc, AssertionError) and tb is not None and tb.tb_frame.f_globals.get(
        "__name__", "").startswith("hypothesis.internal.conjecture")


def _attach(exc: BaseException, requests: list[Recorded]) -> None:
    if not hasattr(exc, _REQUESTS):
        with contextlib.suppress(AttributeError):  # a built-in exception type without __dict__
            setattr(exc, _REQUESTS, requests)


def _leaves(exc: BaseException) -> list[BaseException]:
    """The failures inside hypothesis' and schemathesis' exception groups (Flaky included)."""
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in _leaves(inner)] or [exc]
    return [exc]


def failed_result(contract: Contract, result: CheckResult, exc: BaseException) -> CheckResult:
    """Fill `result` from what a phase raised: which checks failed, why, and the curl lines."""
    requests = getattr(exc, _REQUESTS, None)
    leaves = _leaves(exc)
    for leaf in leaves:
        requests = requests or getattr(leaf, _REQUESTS, None)
    failures = [leaf for leaf in leaves if isinstance(leaf, Failure | AssertionError)]
    result.status = "failed" if failures else "error"
    messages = []
    for leaf in leaves:
        if isinstance(leaf, Failure):
            # The check's own name too (e.g. ignored_auth): what the docs' tables call it.
            names = "/".join(type(leaf).checks)
            result.failed_checks.append(f"{leaf.code} {leaf.title}" + (f" ({names})" if names else ""))
            messages.append(f"[{leaf.title}] {leaf.message}".strip())
        elif isinstance(leaf, AssertionError):
            result.failed_checks.append(type(leaf).__name__)
            messages.append(f"{type(leaf).__name__}: {leaf}")
        else:  # not a verdict on the target: say where it came from
            result.failed_checks.append(type(leaf).__name__)
            messages.append("".join(traceback.format_exception(leaf, limit=-4)).strip())
    result.message = "\n".join(dict.fromkeys(messages))[:4000]
    result.reproduction = contract.reproduce(requests or [])
    return result


def operations(contract: Contract) -> list[APIOperation]:
    return [item.ok() for item in contract.schema.get_all_operations() if isinstance(item, Ok)]


def fuzz_operation(
    contract: Contract, operation: APIOperation, mode: GenerationMode, max_examples: int, seed: int | None
) -> CheckResult:
    """Send generated requests of one operation and mode; every built-in and ticketfakes check must pass."""
    result = CheckResult(contract.name, f"fuzz {operation.label} [{mode.value}]", "fuzz", "passed",
                         description=f"schemathesis {mode.value} data for {operation.label}, all checks")
    strategy = operation.as_strategy(generation_mode=mode)
    if mode is GenerationMode.POSITIVE:
        examples = operation.get_strategies_from_examples()
        if examples:
            strategy = st.one_of(*examples, strategy)
    seen = Seen()

    @_settings(max_examples)
    @given(case=strategy)
    def test(case: Any) -> None:
        contract.recorder.clear()
        try:
            response = send(contract, case)
        except Unsendable:
            hypothesis.reject()
        seen.sent += 1
        try:
            validate(contract, case, response)
        except BaseException as exc:
            seen.failed(exc, contract.recorder.snapshot())
            raise

    return _run(contract, result, hypothesis.seed(seed)(test) if seed is not None else test, seen)


def _run(contract: Contract, result: CheckResult, test: Callable[[], None], seen: Seen) -> CheckResult:
    started = time.perf_counter()
    try:
        test()
    except Unsatisfiable:
        result.status, result.message = "skipped", "no request of this kind can be sent over HTTP"
    except NoLinksFound:
        result.status, result.message = "skipped", "the spec has no OpenAPI links (its rules are checked explicitly)"
    except (Exception, BaseExceptionGroup) as exc:  # every failure becomes a report entry
        if _is_flaky(exc) or any(_is_flaky(leaf) for leaf in _leaves(exc)):
            if seen.first is not None:  # the failure was real; only its replay was not
                failed_result(contract, result, seen.first)
            else:
                result.message = "hypothesis could not replay a scenario (the target's state moved on); no check failed"
        else:
            failed_result(contract, result, exc)
    result.seconds = time.perf_counter() - started
    result.requests = seen.sent
    return result


def state_machine(contract: Contract, seen: Seen | None = None) -> type:
    """schemathesis' state machine for the contract's spec, sending through the contract: each step is
    prepared (credentials, safe ids), recorded, and validated with every built-in and ticketfakes check.
    `Machine.run()` runs it; `Machine.TestCase` is a unittest/pytest test. NoLinksFound without links."""
    seen = seen or Seen()
    base = contract.schema.as_state_machine()

    class Machine(base):  # type: ignore[misc, valid-type]
        def setup(self) -> None:
            contract.recorder.clear()
            contract.reset_fake()  # in-process: each scenario from the fixture state, so shrinking is exact
            super().setup()

        def step(self, input: Any) -> Any:
            try:
                return super().step(input)
            except BaseException as exc:
                seen.failed(exc, contract.recorder.snapshot())
                raise

        def call(self, case: Any, **kwargs: Any) -> Any:
            try:
                response = send(contract, case)
            except Unsendable:
                hypothesis.reject()
            seen.sent += 1
            return response

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {}

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
            validate(contract, case, response, recorder=self.recorder)

    Machine.__name__ = Machine.__qualname__ = f"{contract.name.title().replace('-', '')}StateMachine"
    return Machine


def stateful(contract: Contract, max_examples: int, seed: int | None) -> CheckResult:
    """Scenarios along the spec's OpenAPI links (create -> read/update/delete ...), all checks each step."""
    result = CheckResult(contract.name, "stateful (OpenAPI links)", "stateful", "passed",
                         description="schemathesis scenarios that follow the spec's links, all checks per step")
    seen = Seen()

    def test() -> None:
        machine = state_machine(contract, seen)
        if seed is not None:
            machine._hypothesis_internal_use_seed = seed  # type: ignore[attr-defined]
        machine.run(settings=_settings(max(2, max_examples // 2), stateful_step_count=STEPS_PER_SCENARIO))

    return _run(contract, result, test, seen)
