"""HTTP for the control plane: thin handlers over `State` and the shared mechanisms."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ..call import Call
from ..core.problems import BadRequest
from ..errors import admin_error
from ..fixtures import FixtureError
from ..responses import json_response
from ..routing import Endpoint, Vendor
from ..state import State

STATE_MAX_BODY = 256 * 1024 * 1024


def vendor(state: State) -> Vendor:
    def reset(call: Call) -> Response:
        body: dict[str, Any] = call.body or {}
        try:
            done = state.reset(body.get("vendor"), body.get("fixtures"))
        except FixtureError as exc:
            raise BadRequest(str(exc), fields={"fixtures": [str(exc)]}) from None
        return json_response({"reset": done})

    def dump_state(call: Call) -> Response:
        return json_response(state.dump())

    def restore_state(call: Call) -> Response:
        state.restore(call.body)
        return json_response({"restored": True})

    def dump_vendor(call: Call) -> Response:
        return json_response(state.dump(call.path_params["vendor"]))

    def get_clock(call: Call) -> Response:
        return json_response(state.clock.snapshot())

    def set_clock(call: Call) -> Response:
        body = call.body
        if "frozen" in body:
            state.clock.freeze(body["frozen"])
        if "set_ms" in body:
            state.clock.set(body["set_ms"])
        if "advance_ms" in body:
            state.clock.advance(body["advance_ms"])
        return json_response(state.clock.snapshot())

    return Vendor(
        name="admin",
        prefix="/_admin",
        error_shape=admin_error,
        rate_limited=False,
        endpoints=[
            Endpoint("POST", "/reset", reset),
            Endpoint("GET", "/state", dump_state),
            Endpoint("PUT", "/state", restore_state, max_body=STATE_MAX_BODY),
            Endpoint("GET", "/state/{vendor}", dump_vendor),
            Endpoint("GET", "/clock", get_clock),
            Endpoint("POST", "/clock", set_clock),
        ],
    )
