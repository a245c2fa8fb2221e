"""What a fake serves and how a request finds it: `Endpoint`s of a `Vendor`, found by `OperationTable`.

A vendor's `routes.py` only lists `Endpoint`s: the spec path, a guard that authenticates and checks
ownership, and a handler that calls the model. `pipeline.py` runs the operation found here, with every
mechanism the fakes share around it.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.convertors import StringConvertor
from starlette.responses import Response
from starlette.routing import Convertor, compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from .call import Call, MiB
from .core.problems import Problem
from .core.ratelimit import Verdict
from .errors import ErrorShape, render

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


class MethodDispatch:
    """starlette's route for one path: answers 405 with every method the path has in `Allow`."""

    def __init__(self, pipelines: dict[str, ASGIApp]) -> None:
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
        self.static: dict[str, dict[str, ASGIApp]] = {}
        # (regex, its convertors or None when every one is starlette's `str`, which converts nothing)
        self.templated: list[tuple[re.Pattern[str], dict[str, Convertor[Any]] | None, dict[str, ASGIApp]]] = []

    def add(self, path: str, pipelines: dict[str, ASGIApp]) -> None:
        regex, _, convertors = compile_path(path)
        if convertors:
            plain = all(type(c) is StringConvertor for c in convertors.values())
            self.templated.append((regex, None if plain else convertors, pipelines))
        else:
            self.static[path] = pipelines

    def find(self, method: str, path: str) -> tuple[ASGIApp, dict[str, Any]] | None:
        pipelines = self.static.get(path)
        params: dict[str, Any] = {}
        if pipelines is None:
            for regex, convertors, candidates in self.templated:
                match = regex.match(path)
                if match is not None:
                    pipelines = candidates
                    params = match.groupdict()
                    if convertors is not None:
                        params = {name: convertors[name].convert(value) for name, value in params.items()}
                    break
            else:
                return None
        pipeline = pipelines.get(method)
        return None if pipeline is None else (pipeline, params)
