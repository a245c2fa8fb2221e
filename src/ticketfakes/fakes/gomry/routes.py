"""HTTP for the Gomry fake: thin endpoints over `GomryBackend` (the rules live in model.py).

Each endpoint's guard does the early checks of docs/decisions.md ("Order of checks") before the Pipeline
validates the body: the API key
(401), the scope the operation needs (403 `insufficient_scope`), then the event's ownership (404 for an
event of another org). The create endpoint honours Idempotency-Key through the Pipeline, scoped by the
API key that the guard puts in `call.principal`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.responses import Response

from ...call import Call
from ...core.problems import Problem
from ...errors import short, short_fields
from ...fake import Backends
from ...responses import json_response
from ...routing import Endpoint
from .model import DEFAULT_STATUS_FILTER, GomryBackend
from .records import ApiKey

PREFIX = "/gomry/api/v1"
DEFAULT_PAGE_SIZE = 50

Guard = Callable[[Call], None]


def endpoints(state: Backends) -> list[Endpoint]:
    """The endpoints, each calling the model of the request's namespace."""
    def backend() -> GomryBackend:
        return state.backend("gomry")  # looked up per call: a reset replaces the backend

    def guard(resource: str, access: str, owns_event: bool = True) -> Guard:
        def check(call: Call) -> None:
            model = backend()
            key = model.authenticate(call.header("x-api-key"))
            call.principal = key.key
            model.require_scope(key, resource, access)
            if owns_event:
                model.event_for(key, call.path_params["eventId"])
            call.caller = key

        return check

    def key_of(call: Call) -> ApiKey:
        return call.caller

    def page_args(call: Call) -> dict[str, Any]:
        return {"page": call.query.get("page", 1), "page_size": call.query.get("page_size", DEFAULT_PAGE_SIZE)}

    def create_attendees(call: Call) -> Response:
        body = backend().create_attendees(key_of(call), call.path_params["eventId"], call.body)
        return json_response(body, 201)

    def list_attendees(call: Call) -> Response:
        statuses = call.query.get("status") or list(DEFAULT_STATUS_FILTER)
        body = backend().list_attendees(
            key_of(call), call.path_params["eventId"], statuses=statuses, encoded=True, **page_args(call)
        )
        return json_response(body)

    def get_attendee(call: Call) -> Response:
        params = call.path_params
        return json_response(backend().get_attendee(key_of(call), params["eventId"], params["attendeeId"]))

    def update_attendee(call: Call) -> Response:
        params = call.path_params
        body = backend().update_attendee(key_of(call), params["eventId"], params["attendeeId"], call.body)
        return json_response(body)

    def delete_attendee(call: Call) -> Response:
        params = call.path_params
        return json_response(backend().delete_attendee(key_of(call), params["eventId"], params["attendeeId"]))

    def list_events(call: Call) -> Response:
        return json_response(backend().list_events(key_of(call), **page_args(call)))

    def get_event(call: Call) -> Response:
        return json_response(backend().get_event(key_of(call), call.path_params["eventId"]))

    def list_ticket_classes(call: Call) -> Response:
        return json_response(backend().list_ticket_classes(key_of(call), call.path_params["eventId"]))

    attendees = "/events/{eventId}/attendees"
    attendee = "/events/{eventId}/attendees/{attendeeId}"
    return [
        Endpoint("POST", attendees, create_attendees, guard=guard("attendees", "write"), idempotent=True),
        Endpoint("GET", attendees, list_attendees, guard=guard("attendees", "read")),
        Endpoint("GET", attendee, get_attendee, guard=guard("attendees", "read")),
        Endpoint("PATCH", attendee, update_attendee, guard=guard("attendees", "write")),
        Endpoint("DELETE", attendee, delete_attendee, guard=guard("attendees", "write")),
        Endpoint("GET", "/events", list_events, guard=guard("events", "read", owns_event=False)),
        Endpoint("GET", "/events/{eventId}", get_event, guard=guard("events", "read")),
        Endpoint(
            "GET", "/events/{eventId}/ticket-classes", list_ticket_classes, guard=guard("ticket_classes", "read")
        ),
    ]


def admin_endpoints(state: Backends) -> list[Endpoint]:
    """Under /_admin (specs/gomry-admin.yaml): the e-mails the fake would have sent."""

    def outbox(call: Call) -> Response:
        return json_response({"messages": state.backend("gomry").outbox()})

    return [Endpoint("GET", "/gomry/outbox", outbox)]


def gomry_error(problem: Problem) -> dict[str, Any]:
    message = short(problem.message)
    if problem.fields and message.startswith("Validation failed"):
        message = "Validation failed"  # Gomry's exact wording; `details.fieldErrors` carries the specifics
    body: dict[str, Any] = {"error": message}
    if problem.fields:
        body["details"] = {"fieldErrors": short_fields(problem.fields)}
    body.update(problem.extra)
    return body
