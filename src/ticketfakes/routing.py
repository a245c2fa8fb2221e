"""Endpoints and the one straight way a request walks through them.

    route -> fault rules -> body size -> guard (auth, tenant) -> rate limit -> parameter validation ->
    idempotency -> JSON framing and body validation -> handler -> (test mode) response validation -> journal

With an Idempotency-Key, the guard's refusal of an authenticated caller waits until the key is claimed,
so that it is stored and replayed like any other completed answer (docs/decisions.md, "Idempotency-Key": 4xx included).

A vendor's `routes.py` only lists `Endpoint`s: the spec path, a guard that authenticates and checks
ownership, and a handler that calls the model. Everything else here is shared by every fake.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
from starlette.datastructures import QueryParams
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.routing import Convertor, Route, compile_path
from starlette.types import Receive, Scope, Send

from .call import Call, MiB, path_and_query
from .core.idempotency import IN_FLIGHT, StoredResponse
from .core.journal import Entry, preview, response_headers
from .core.problems import BadRequest, Conflict, Problem, TooManyRequests, problem_for_status
from .core.ratelimit import Verdict
from .errors import ErrorShape, render
from .responses import JSONResponse
from .specs import Operation
from .validation import NO_BODY, RequestValidator, ResponseValidator


class CurrentState(Protocol):
    """Which namespace's `State` a request is served by (`namespaces.CurrentState`); named here, not imported:
    the state and the namespaces are built from the fakes, whose endpoints are built with this module."""

    def get(self) -> Any: ...


Handler = Callable[[Call], "Response | Awaitable[Response]"]
Guard = Callable[[Call], "Awaitable[None] | None"]


@dataclass
class Endpoint:
    method: str
    path: str  # the spec's path template, relative to the vendor prefix
    handle: Handler
    guard: Guard | None = None
    idempotent: bool = False  # honours Idempotency-Key, scoped by `call.principal`
    max_body: int = MiB
    # The handler needs a body although the spec leaves `requestBody.required` unset (the published talque
    # document does): a request without one is then a 400 at validation, like a spec-required body.
    body_required: bool = False
    journaled: bool = True  # False: not recorded in the request journal (reading the journal itself)


@dataclass
class Vendor:
    name: str
    prefix: str
    error_shape: ErrorShape
    endpoints: list[Endpoint] = field(default_factory=list)
    rate_limited: bool = True
    # Fault rules are the fakes' knob; the control plane that sets and clears them never obeys them
    # (a rule without `vendor` would otherwise also break DELETE /_admin/faults, its own way out).
    faultable: bool = True
    rate_headers: Callable[[Verdict, Response], None] | None = None  # the vendor's rate-limit headers, if any

    def error(self, problem: Problem) -> Response:
        return render(self.error_shape, problem)


async def _maybe_await(value: Any) -> Any:
    if value is None or isinstance(value, Response):  # what guards and handlers nearly always return
        return value
    if inspect.isawaitable(value):
        return await value
    return value


def _to_stored(response: Response) -> StoredResponse:
    return StoredResponse(response.status_code, list(response.raw_headers), bytes(response.body))


def _from_stored(stored: StoredResponse) -> Response:
    response = Response(stored.body, status_code=stored.status)
    headers = [(k, v) for k, v in stored.headers if k.lower() != b"content-length"]
    response.raw_headers = [*headers, (b"content-length", str(len(stored.body)).encode()),
                            (b"idempotent-replay", b"true")]
    return response


_NO_QUERY: dict[str, str] = {}
_NO_CONTEXT: dict[str, Any] = {}
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
        fields: dict[str, list[str]] = {}
        try:
            response = await self._run(call, state)
            fields = call.context.get("fields", fields)
        except Problem as problem:
            fields = problem.fields
            call.context["problem"] = problem.with_traceback(None)  # the refusing rule, named when read
            response = self.vendor.error(problem)
        except ClientDisconnect:
            raise
        except Exception as exc:
            # A bug, never the client's fault: log it for the developer, answer JSON without the trace.
            traceback.print_exception(exc, file=sys.stderr)
            response = self.vendor.error(internal_error())
        if state.validate_responses and "fault" not in call.context:
            response = self._check_response(response)
        if "rate" in call.context:
            response = self._rate_headers(call, response)
        if not self.endpoint.journaled:
            return response
        state.journal.record(
            Entry(
                at_ms=state.clock.now_ms(),
                vendor=self.vendor.name,
                method=call.method,
                path=path,
                query=query,
                status=response.status_code,
                duration_ms=(time.perf_counter() - started) * 1000,
                validation_errors=fields if response.status_code == 400 else _NO_FIELDS,
                request_body=preview(call.raw_body),
                response_body=preview(response.body),
                # Objects the request built anyway, kept by reference (docs/dashboard.md); the call's context only
                # when it says something about the answer (a refusal, a replay).
                request_headers=call.headers,
                response_headers=response_headers(response.raw_headers, response.body),
                context=call.context if response.status_code >= 400 or "replay" in call.context else _NO_CONTEXT,
                source=self,
                started=started,
            )
        )
        return response

    async def _run(self, call: Call, state: Any) -> Response:
        endpoint = self.endpoint
        rule = state.faults.pick(self.vendor.name, call.method, call.path) if self.faultable else None
        if rule is not None and rule.status is not None:
            call.context["fault"] = rule  # deliberate, outside the contract: not checked against the spec
            if rule.latency_ms:
                await asyncio.sleep(rule.latency_ms / 1000)
            raise problem_for_status(rule.status, f"Injected fault: status {rule.status}")
        await call.read_body(endpoint.max_body)
        refusal = await self._guard(call)
        if self.vendor.rate_limited and call.principal is not None:
            verdict = state.rate_limits.hit(self.vendor.name, call.principal)
            if verdict is not None:
                call.context["rate"] = verdict
                if not verdict.allowed:
                    raise TooManyRequests(
                        "Rate limit exceeded", headers={"Retry-After": str(verdict.retry_after_s)}
                    )
        query = QueryParams(call.query_string) if self.validator.query else _NO_QUERY  # parsing costs µs
        call.query, fields = self.validator.validate_params(call.path_params, query, call.headers)
        latency_ms = rule.latency_ms if rule else 0
        key = call.header("idempotency-key") if endpoint.idempotent and call.principal is not None else None
        if key is None or fields:  # no key to store under (an invalid key is itself among the fields)
            if refusal is not None:
                raise refusal
            if fields:
                for name, messages in self._body_errors(call).items():
                    fields.setdefault(name, []).extend(messages)
                raise self._invalid(fields)
            return await self._complete(call, latency_ms)
        # docs/decisions.md: every completed answer is replayed, 4xx included: the tenant's refusals and the body's
        # 400/415 as much as the create's own 404/409. Only 429 (before this) and 5xx are not stored.
        scope = f"{self.vendor.name}:{call.principal}"
        outcome = state.idempotency.begin(scope, key)
        if outcome is IN_FLIGHT:
            raise Conflict("idempotent_request_in_progress", code="idempotent_request_in_progress")
        if isinstance(outcome, StoredResponse):
            call.context["replay"] = key
            return _from_stored(outcome)
        try:
            try:
                if refusal is not None:
                    raise refusal
                response = await self._complete(call, latency_ms)
            except Problem as problem:
                call.context["fields"] = problem.fields  # for the journal
                call.context["problem"] = problem.with_traceback(None)
                response = self.vendor.error(problem)
        except BaseException:
            state.idempotency.finish(scope, key, None)
            raise
        state.idempotency.finish(scope, key, _to_stored(response) if response.status_code < 500 else None)
        return response

    async def _guard(self, call: Call) -> Problem | None:
        """Runs the endpoint's guard; its refusal of an authenticated caller on an idempotent endpoint is
        returned instead of raised, so that the answer can be stored under the Idempotency-Key."""
        if self.endpoint.guard is None:
            return None
        try:
            await _maybe_await(self.endpoint.guard(call))
        except Problem as problem:
            if not self.endpoint.idempotent or call.principal is None:
                raise
            return problem
        return None

    def _body_errors(self, call: Call) -> dict[str, list[str]]:
        body = call.json() if self.validator.accepts_body else NO_BODY
        return self.validator.validate_body(body)

    async def _complete(self, call: Call, latency_ms: int) -> Response:
        """The body's framing and validation, then the handler."""
        fields = self._body_errors(call)
        if fields:
            raise self._invalid(fields)
        return await self._handle(call, latency_ms)

    async def _handle(self, call: Call, latency_ms: int) -> Response:
        if latency_ms:
            await asyncio.sleep(latency_ms / 1000)
        return await _maybe_await(self.endpoint.handle(call))

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
        verdict = call.context.get("rate")
        if verdict is not None and self.vendor.rate_headers is not None:
            self.vendor.rate_headers(verdict, response)
        return response


def internal_error() -> Problem:
    problem = problem_for_status(500, "Internal error in ticketfakes (see the server log)")
    problem.code = "internal_error"
    return problem


class MethodDispatch:
    """starlette's route for one path: answers 405 with every method the path has in `Allow`."""

    def __init__(self, pipelines: dict[str, Pipeline]) -> None:
        self.pipelines = pipelines

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.pipelines[scope["method"]](scope, receive, send)


class OperationTable:
    """Finds the pipeline of a request by a dict lookup on its path (or one regex per templated path).

    starlette's router tries each route's regex in turn and wraps every request in its middleware; for the
    fakes' operations that was a quarter of the time of a small request. Anything not found here (unknown
    paths, wrong methods, other prefixes) is left to starlette, which answers 404/405 as before.
    """

    def __init__(self) -> None:
        self.static: dict[str, dict[str, Pipeline]] = {}
        self.templated: list[tuple[re.Pattern[str], dict[str, Convertor[Any]], dict[str, Pipeline]]] = []

    def add(self, path: str, pipelines: dict[str, Pipeline]) -> None:
        regex, _, convertors = compile_path(path)
        if convertors:
            self.templated.append((regex, convertors, pipelines))
        else:
            self.static[path] = pipelines

    def find(self, method: str, path: str) -> tuple[Pipeline, dict[str, Any]] | None:
        pipelines = self.static.get(path)
        params: dict[str, Any] = {}
        if pipelines is None:
            for regex, convertors, candidates in self.templated:
                match = regex.match(path)
                if match is not None:
                    pipelines = candidates
                    params = {name: convertors[name].convert(value) for name, value in match.groupdict().items()}
                    break
            else:
                return None
        pipeline = pipelines.get(method)
        return None if pipeline is None else (pipeline, params)


def build_routes(
    vendor: Vendor, operations: list[Operation], current: CurrentState, table: OperationTable
) -> list[Route]:
    """Starlette routes for a vendor's endpoints, also entered in `table`; each must be an operation of its spec."""
    by_key = {(op.method, op.path): op for op in operations}
    paths: dict[str, dict[str, Pipeline]] = {}
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
