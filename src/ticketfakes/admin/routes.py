"""HTTP for the control plane: thin handlers over `State` and the shared mechanisms."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ..call import Call
from ..core.faults import FaultRule, pattern_mistake
from ..core.problems import BadRequest
from ..errors import admin_error
from ..fakes import registered
from ..fixtures import FixtureError
from ..responses import json_response
from ..routing import Endpoint, Vendor
from ..state import State
from . import dashboard
from .journal_view import entry_view

STATE_MAX_BODY = 256 * 1024 * 1024


def served_prefixes() -> tuple[str, ...]:
    """Every prefix a fault rule's path_pattern must not repeat (it is matched after the prefix)."""
    return ("/_admin", *(fake.prefix for fake in registered()))


def control_plane(endpoints: list[Endpoint]) -> Vendor:
    """The control plane's endpoints under `/_admin`, in its error shape, never rate limited."""
    return Vendor(name="admin", prefix="/_admin", error_shape=admin_error, rate_limited=False, faultable=False,
                  endpoints=endpoints)


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

    def list_requests(call: Call) -> Response:
        query = call.query
        entries = state.journal.query(
            vendor=query.get("vendor"),
            method=query.get("method"),
            path=query.get("path"),
            status=query.get("status"),
            limit=query.get("limit", 100),
            after=query.get("after", 0),
            status_class=query.get("status_class"),
        )
        return json_response({"requests": [entry_view(entry, state.journal) for entry in entries]})

    def clear_requests(call: Call) -> Response:
        state.journal.clear()
        return json_response({"cleared": True})

    def list_violations(call: Call) -> Response:
        query = call.query
        found = state.violations.query(query.get("rule"), query.get("vendor"), query.get("limit", 1000))
        return json_response({"violations": [item.as_dict() for item in found], "counts": state.violations.counts()})

    def clear_violations(call: Call) -> Response:
        state.violations.clear()
        return json_response({"cleared": True})

    def faults_body() -> dict[str, Any]:
        return {"rules": [rule.as_dict() for rule in state.faults.rules]}

    def get_faults(call: Call) -> Response:
        return json_response(faults_body())

    def put_faults(call: Call) -> Response:
        for index, rule in enumerate(call.body["rules"]):
            mistake = pattern_mistake(rule.get("path_pattern") or "/", served_prefixes())
            if mistake:
                field = f"rules.{index}.path_pattern"
                raise BadRequest(f"{field}: {mistake}", fields={field: [mistake]})
        state.faults.replace([FaultRule(**rule) for rule in call.body["rules"]])
        return json_response(faults_body())

    def clear_faults(call: Call) -> Response:
        state.faults.clear()
        return json_response(faults_body())

    def get_rate_limits(call: Call) -> Response:
        return json_response(state.rate_limits.enabled)

    def put_rate_limits(call: Call) -> Response:
        state.rate_limits.enabled.update(call.body)
        return json_response(state.rate_limits.enabled)

    return control_plane([
            Endpoint("POST", "/reset", reset),
            Endpoint("GET", "/state", dump_state),
            Endpoint("PUT", "/state", restore_state, max_body=STATE_MAX_BODY),
            Endpoint("GET", "/state/{vendor}", dump_vendor),
            Endpoint("GET", "/clock", get_clock),
            Endpoint("POST", "/clock", set_clock),
            # Reading the journal is not journaled: each listing would nest the ones before it.
            Endpoint("GET", "/requests", list_requests, journaled=False),
            Endpoint("DELETE", "/requests", clear_requests),
            Endpoint("GET", "/violations", list_violations, journaled=False),
            Endpoint("DELETE", "/violations", clear_violations),
            Endpoint("GET", "/faults", get_faults),
            Endpoint("PUT", "/faults", put_faults),
            Endpoint("DELETE", "/faults", clear_faults),
            Endpoint("GET", "/rate-limits", get_rate_limits),
            Endpoint("PUT", "/rate-limits", put_rate_limits),
            # The dashboard (docs/dashboard.md): looking at it leaves no trace in the journal it shows.
            Endpoint("GET", "/ui", dashboard.page, journaled=False),
            Endpoint("GET", "/ui/app.js", dashboard.script, journaled=False),
            Endpoint("GET", "/ui/style.css", dashboard.stylesheet, journaled=False),
            *(endpoint for fake in registered() if fake.admin_endpoints for endpoint in fake.admin_endpoints(state)),
    ])
