"""The one straight way a request walks through an operation that `routing.py` found.

    route -> fault rules -> body size -> guard (auth, tenant) -> rate limit -> parameter validation ->
    idempotency -> JSON framing and body validation -> handler -> (test mode) response validation -> journal

With an Idempotency-Key, the guard's refusal of an authenticated caller waits until the key is claimed,
so that it is stored and replayed like any other completed answer (docs/decisions.md, "Idempotency-Key": 4xx included).

Everything here is shared by every fake; what the walk learns on the way (the fault rule, the rate verdict,
the refusal, the replayed key) is kept on the `Call` and, for refusals and replays, in the journal.
`build_routes` is here because it builds the pipelines: `routing.py` (the `Endpoint`s and `Vendor` this
module runs) stays below it, so that the two import each other in one direction only.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
import time
import traceback
from typing import TYPE_CHECKING, Any

import orjson
from starlette.datastructures import QueryParams
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from .bodies import read_body
from .call import Call, path_and_query
from .core.idempotency import IN_FLIGHT, StoredResponse
from .core.journal import Entry, response_headers
from .core.problems import BadRequest, Conflict, Problem, TooManyRequests, problem_for_status
from .responses import JSONResponse
from .routing import Endpoint, MethodDispatch, OperationTable, Vendor
from .specs import Operation
from .validation import NO_BODY, RequestValidator, ResponseValidator

if TYPE_CHECKING:
    from .core.faults import FaultRule
    from .namespaces import CurrentState
    from .state import State


async def _awaited(value: Any) -> Any:
    """A guard's or handler's result: nearly always plain (None, a Response), awaited only when it is not."""
    return await value if inspect.isawaitable(value) else value


def _to_stored(response: Response) -> StoredResponse:
    return StoredResponse(response.status_code, list(response.raw_headers), bytes(response.body))


def _from_stored(stored: StoredResponse) -> Response:
    response = Response(stored.body, status_code=stored.status)
    headers = [(k, v) for k, v in stored.headers if k.lower() != b"content-length"]
    response.raw_headers = [*headers, (b"content-length", str(len(stored.body)).encode()),
                            (b"idempotent-replay", b"true")]
    return response


_NO_QUERY: dict[str, str] = {}
_NO_FIELDS: dict[str, list[str]] = {}  # shared by every entry without validation errors: one dict less each


class Pipeline:
    """The ASGI app of one operation: runs an `Endpoint` with every shared mechanism around it."""

    def __init__(self, vendor: Vendor, endpoint: Endpoint, operation: Operation, current: CurrentState) -> None:
        self.vendor = vendor
        self.endpoint = endpoint
        self.operation = operation
        self.current = current  # the State of the request's namespace (docs/namespaces.md)
        self.validator = RequestValidator(operation)
        if endpoint.body_required:
            self.validator.body_required = True
        self.response_validator = ResponseValidator(operation)
        self.prefix_length = len(vendor.prefix)
        self.faultable = vendor.faultable

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            response = await self.respond(scope, receive)
        except ClientDisconnect:
            return  # nobody is left to answer
        await response(scope, receive, send)

    async def respond(self, scope: Scope, receive: Receive) -> Response:
        started = time.perf_counter()
        state = self.current.get()
        path, query = path_and_query(scope)
        call = Call(scope, receive, path[self.prefix_length :] or "/")
        try:
            response = await self._run(call, state)
        except Problem as problem:
            response = self._refuse(call, problem)
        except ClientDisconnect:
            raise
        except Exception as exc:
            # A bug, never the client's fault: log it for the developer, answer JSON without the trace.
            traceback.print_exception(exc, file=sys.stderr)
            response = self.vendor.error(internal_error())
        if state.validate_responses and call.fault is None:
            response = self._check_response(response)
        if call.rate is not None:
            response = self._rate_headers(call, response)
        if not self.endpoint.journaled:
            return response
        status, problem = response.status_code, call.problem
        entry = Entry(  # by position, in the field order of `Entry`
            state.clock.now_ms(),
            self.vendor.name,
            call.method,
            path,
            query,
            status,
            (time.perf_counter() - started) * 1000,
            problem.fields if status == 400 and problem is not None else _NO_FIELDS,
            call.raw_body,  # the journal cuts what it cannot keep whole
            response.body,
            # Objects the request built anyway, kept by reference (docs/dashboard.md).
            call.headers,
            response_headers(response.raw_headers, response.body),
            self,
            started,
        )
        if status >= 400 or call.replay is not None:  # what the call learned, when it explains the answer
            entry.fault, entry.rate, entry.problem, entry.replay = call.fault, call.rate, problem, call.replay
        state.journal.record(entry)
        return response

    async def _run(self, call: Call, state: State) -> Response:
        endpoint = self.endpoint
        rule = state.faults.pick(self.vendor.name, call.method, call.path) if self.faultable else None
        if rule is not None and rule.status is not None:
            await self._inject(call, rule, rule.status)
        call.raw_body = await read_body(call.receive, call.headers.get("content-length"), endpoint.max_body)
        refusal = self._guard(call)
        if refusal is not None and not isinstance(refusal, Problem):
            refusal = await refusal
        if self.vendor.rate_limited and call.principal is not None:
            verdict = state.rate_limits.hit(self.vendor.name, call.principal)
            if verdict is not None:
                call.rate = verdict
                if not verdict.allowed:
                    raise TooManyRequests(
                        "Rate limit exceeded", headers={"Retry-After": str(verdict.retry_after_s)}
                    )
        query = QueryParams(call.query_string) if self.validator.query else _NO_QUERY  # parsing costs µs
        call.query, fields = self.validator.validate_params(call.path_params, query, call.headers)
        latency_ms = rule.latency_ms if rule else 0
        key = call.header("idempotency-key") if endpoint.idempotent and call.principal is not None else None
        if key is not None and not fields:  # an invalid key is itself among the fields: nothing to store under
            return await self._idempotent(call, state, key, refusal, latency_ms)
        if refusal is not None:
            raise refusal
        if fields:
            for name, messages in self._body_errors(call).items():
                fields.setdefault(name, []).extend(messages)
            raise self._invalid(fields)
        response = self._complete(call, latency_ms)
        return response if isinstance(response, Response) else await response

    async def _inject(self, call: Call, rule: FaultRule, status: int) -> None:
        """A fault rule's status: after its latency, the answer the rule forces instead of the operation's."""
        call.fault = rule  # deliberate, outside the contract: not checked against the spec
        if rule.latency_ms:
            await asyncio.sleep(rule.latency_ms / 1000)
        raise problem_for_status(status, f"Injected fault: status {status}")

    async def _idempotent(
        self, call: Call, state: State, key: str, refusal: Problem | None, latency_ms: int
    ) -> Response:
        """The rest of the walk under an Idempotency-Key: the stored answer of a repeat, or the answer stored.

        docs/decisions.md: every completed answer is replayed, 4xx included: the tenant's refusals and the
        body's 400/415 as much as the create's own 404/409. Only 429 (before this) and 5xx are not stored.
        """
        scope = f"{self.vendor.name}:{call.principal}"
        outcome = state.idempotency.begin(scope, key)
        if outcome is IN_FLIGHT:
            raise Conflict("idempotent_request_in_progress", code="idempotent_request_in_progress")
        if isinstance(outcome, StoredResponse):
            call.replay = key
            return _from_stored(outcome)
        try:
            try:
                if refusal is not None:
                    raise refusal
                response = self._complete(call, latency_ms)
                if not isinstance(response, Response):
                    response = await response
            except Problem as problem:
                response = self._refuse(call, problem)
        except BaseException:
            state.idempotency.finish(scope, key, None)
            raise
        state.idempotency.finish(scope, key, _to_stored(response) if response.status_code < 500 else None)
        return response

    def _refuse(self, call: Call, problem: Problem) -> Response:
        """The vendor's error answer; the problem (and the fields it names) stays on the call for the journal."""
        call.problem = problem.with_traceback(None)  # the refusing rule, named when the journal is read
        return self.vendor.error(problem)

    def _guard(self, call: Call) -> Any:
        """Runs the endpoint's guard; its refusal of an authenticated caller on an idempotent endpoint is
        returned instead of raised, so that the answer can be stored under the Idempotency-Key. A guard that
        is a coroutine function gives back an awaitable that does the same (sync guards save a coroutine)."""
        guard = self.endpoint.guard
        if guard is None:
            return None
        try:
            result = guard(call)
        except Problem as problem:
            return self._kept(call, problem)
        if result is not None and inspect.isawaitable(result):
            return self._guard_later(call, result)
        return None

    async def _guard_later(self, call: Call, pending: Any) -> Problem | None:
        try:
            await pending
        except Problem as problem:
            return self._kept(call, problem)
        return None

    def _kept(self, call: Call, problem: Problem) -> Problem:
        if not self.endpoint.idempotent or call.principal is None:
            raise problem
        return problem

    def _body_errors(self, call: Call) -> dict[str, list[str]]:
        body = call.json() if self.validator.accepts_body else NO_BODY
        return self.validator.validate_body(body)

    def _complete(self, call: Call, latency_ms: int) -> Any:
        """The body's framing and validation, then the handler: its Response, or an awaitable of it (an
        async handler, a fault rule's latency); a sync handler's answer needs no coroutine."""
        fields = self._body_errors(call)
        if fields:
            raise self._invalid(fields)
        if latency_ms:
            return self._handle_later(call, latency_ms)
        return self.endpoint.handle(call)

    async def _handle_later(self, call: Call, latency_ms: int) -> Response:
        await asyncio.sleep(latency_ms / 1000)
        return await _awaited(self.endpoint.handle(call))

    def _invalid(self, fields: dict[str, list[str]]) -> Problem:
        summary = "; ".join(f"{name}: {', '.join(msgs)}" for name, msgs in list(fields.items())[:5])
        return BadRequest(f"Validation failed: {summary}", fields=fields)

    def _check_response(self, response: Response) -> Response:
        body: Any = NO_BODY
        if response.media_type is not None and not response.media_type.startswith("application/json"):
            return response  # the dashboard's page and assets (specs/admin.yaml documents them as such)
        if response.body:
            try:
                body = orjson.loads(response.body)
            except orjson.JSONDecodeError:
                problems = ["response body is not JSON"]
                return self._drift(problems)
        problems = self.response_validator.problems(response.status_code, body)
        return self._drift(problems) if problems else response

    def _drift(self, problems: list[str]) -> Response:
        # Loud on purpose: with --validate-responses a fake that drifts from its spec is a bug to fix.
        message = f"RESPONSE DRIFT {self.operation.method} {self.operation.full_path}: {problems}"
        print(message, file=sys.stderr, flush=True)
        return JSONResponse(
            {"error": "response does not match the spec", "operation": self.operation.operation_id,
             "problems": problems},
            status_code=500,
            headers={"X-Ticketfakes-Drift": "1"},
        )

    def _rate_headers(self, call: Call, response: Response) -> Response:
        verdict = call.rate
        if verdict is not None and self.vendor.rate_headers is not None:
            self.vendor.rate_headers(verdict, response)
        return response


def internal_error() -> Problem:
    problem = problem_for_status(500, "Internal error in ticketfakes (see the server log)")
    problem.code = "internal_error"
    return problem


def build_routes(
    vendor: Vendor, operations: list[Operation], current: CurrentState, table: OperationTable
) -> list[Route]:
    """Starlette routes for a vendor's endpoints, also entered in `table`; each must be an operation of its spec."""
    by_key = {(op.method, op.path): op for op in operations}
    paths: dict[str, dict[str, ASGIApp]] = {}
    for endpoint in vendor.endpoints:
        operation = by_key.get((endpoint.method, endpoint.path))
        if operation is None:
            raise LookupError(f"{vendor.name}: {endpoint.method} {endpoint.path} is not in the spec")
        paths.setdefault(endpoint.path, {})[endpoint.method] = Pipeline(vendor, endpoint, operation, current)
    routes = []
    for path, pipelines in paths.items():
        table.add(vendor.prefix + path, pipelines)
        route = Route(vendor.prefix + path, MethodDispatch(pipelines), methods=list(pipelines))
        if "HEAD" not in pipelines:
            route.methods.discard("HEAD")  # starlette adds HEAD to GET; the specs do not document it
        routes.append(route)
    return routes
