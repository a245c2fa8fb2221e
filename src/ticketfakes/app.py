"""Builds the one starlette app: every vendor under its prefix, plus the control plane."""

from __future__ import annotations

import sys
import time
import traceback
from pathlib import Path
from typing import Any, cast

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from .admin import namespaces as namespace_routes
from .admin import routes as admin_routes
from .admin.spec import admin_operations
from .call import header_dict
from .core.journal import Entry
from .core.paths import under
from .core.problems import Problem, problem_for_status
from .errors import ErrorShape, admin_error, render
from .fakes import for_path, registered
from .namespaces import DEFAULT_MAX_NAMESPACES, PREFIX, Namespaces
from .pipeline import build_routes, internal_error
from .routing import OperationTable, Vendor
from .specs import operations_of
from .state import State


def shape_for(path: str) -> tuple[str, ErrorShape]:
    """The vendor and error shape of the prefix a path is under: errors outside any endpoint (unknown path,
    wrong method) still speak that vendor's shape."""
    if path.startswith(PREFIX):  # `/ns/{name}/gomry/...` speaks Gomry's shape too (a request uvicorn refused)
        end = path.find("/", len(PREFIX))
        path = path[end:] if end >= 0 else "/"
    fake = for_path(path)
    if fake is not None:
        return fake.name, fake.error_shape
    if under(path, "/_admin"):
        return "admin", admin_error
    return "none", admin_error


def _record(request: Request, response: Response, state: State) -> None:
    vendor, _ = shape_for(request.url.path)
    state.journal.record(
        Entry(state.clock.now_ms(), vendor, request.method, request.url.path, request.url.query,
              response.status_code, 0.0, request_headers=header_dict(request.scope["headers"]),
              started=time.perf_counter())
    )


class App(Starlette):
    """starlette, with the fakes' operations found by `OperationTable` before its router and middleware."""

    def __init__(self, table: OperationTable, namespaces: Namespaces, **options: Any) -> None:
        super().__init__(**options)
        self.table = table
        self.namespaces = namespaces
        self.enter, self.leave = namespaces.current.enter, namespaces.current.leave
        self.namespace_state, self.namespace_state_slowly = namespaces.route, namespaces.route_slowly
        self.state.ticketfakes = namespaces.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get("root_path"):
            if scope["path"].startswith(PREFIX):  # `/ns/{name}/...`: that namespace's State (docs/namespaces.md)
                state = self.namespace_state(scope) or self.namespace_state_slowly(scope, shape_for)
                if isinstance(state, Response):  # a bad name, or the cap reached
                    await state(scope, receive, send)
                    return
                token = self.enter(state)  # inline, not a method: a coroutine more was a tenth of the lookup
                try:
                    found = self.table.find(scope["method"], scope["path"])
                    if found is not None:
                        pipeline, scope["path_params"] = found
                        scope["app"] = self
                        await pipeline(scope, receive, send)
                    else:  # starlette's 404/405 (`/ns/a/ns/b/...` too: no namespace nests in another)
                        await super().__call__(scope, receive, send)
                finally:
                    self.leave(token)
                return
            found = self.table.find(scope["method"], scope["path"])
            if found is not None:
                pipeline, scope["path_params"] = found
                scope["app"] = self
                await pipeline(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def create_app(
    fixtures: str | Path | None = None,
    validate_responses: bool = False,
    state: State | None = None,
    max_namespaces: int = DEFAULT_MAX_NAMESPACES,
) -> App:
    namespaces = Namespaces(state or State(fixtures, validate_responses), max_namespaces)
    # The routes are built once and serve every namespace: `current` is the State of the request's.
    current = cast(State, namespaces.current)
    routes = []
    table = OperationTable()
    for fake in registered():
        vendor = Vendor(fake.name, fake.prefix, fake.error_shape, fake.endpoints(current),
                        rate_limited=fake.rate_limit is not None, rate_headers=fake.rate_headers)
        routes.extend(build_routes(vendor, operations_of(fake.specs), namespaces.current, table))
    control_plane = admin_operations()
    for admin in (admin_routes.vendor(current), namespace_routes.vendor(namespaces)):
        routes.extend(build_routes(admin, control_plane, namespaces.current, table))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        _, shape = shape_for(request.url.path)
        if exc.status_code == 404:
            problem: Problem = problem_for_status(404, f"No route for {request.url.path[:200]}")
            problem.code = "not_found"
        elif exc.status_code == 405:
            problem = problem_for_status(405, f"Method {request.method} not allowed")
            problem.code = "method_not_allowed"
            problem.headers = dict(exc.headers or {})
        else:
            problem = problem_for_status(exc.status_code, exc.detail or "HTTP error")
        response = render(shape, problem)
        _record(request, response, namespaces.current.get())
        return response

    async def server_error(request: Request, exc: Exception) -> Response:
        # A bug, never the client's fault: log it for the developer, answer JSON without the trace.
        traceback.print_exception(exc, file=sys.stderr)
        _, shape = shape_for(request.url.path)
        return render(shape, internal_error())

    return App(
        table, namespaces, routes=routes, exception_handlers={HTTPException: http_error, Exception: server_error}
    )
