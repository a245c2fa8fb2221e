"""HTTP for the toy: `POST /things`, `GET /things/{id}` over `ToyBackend`, and its error shape."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ticketfakes.call import Call
from ticketfakes.core.problems import Problem
from ticketfakes.errors import short
from ticketfakes.fake import Backends
from ticketfakes.responses import json_response
from ticketfakes.routing import Endpoint

from .model import ToyBackend


def endpoints(state: Backends) -> list[Endpoint]:
    def backend() -> ToyBackend:
        return state.backend("toy")  # looked up per call: a reset replaces the backend

    def guard(call: Call) -> None:
        call.principal = backend().tenant(call.header("x-toy-key"))

    def create(call: Call) -> Response:
        return json_response(backend().create(call.principal or "", call.body["name"]), 201)

    def read(call: Call) -> Response:
        return json_response(backend().read(call.principal or "", call.path_params["id"]))

    return [
        Endpoint("POST", "/things", create, guard=guard),
        Endpoint("GET", "/things/{id}", read, guard=guard),
    ]


def toy_error(problem: Problem) -> dict[str, Any]:
    """`{"fault": {"code", "text"}}`, as toy.yaml documents it."""
    return {"fault": {"code": problem.code, "text": short(problem.message)}}
