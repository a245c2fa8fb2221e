"""HTTP for the talque fake: the ticket webhook and the Ticket JSON API (read, list).

Order of checks (docs/talque.md, docs/decisions.md): the webhook answers an unknown org (404) before auth
(403); the JSON API
authenticates first (401), then checks the org named in the body (404, then 403), then the body (400).
"""

from __future__ import annotations

import re
from typing import Any

from starlette.responses import Response

from ...call import Call
from ...core.problems import Forbidden, Problem, Unauthorized
from ...errors import bracket_path, short
from ...fake import Backends
from ...responses import json_response
from ...routing import Endpoint
from .model import TalqueBackend


def endpoints(state: Backends) -> list[Endpoint]:
    """The endpoints, each calling the model of the request's namespace."""
    def model() -> TalqueBackend:
        return state.backend("talque")

    def client_of(call: Call, problem: type[Unauthorized | Forbidden]) -> Any:
        client = model().authenticate(call.header("x-tq-client-id"), call.header("x-tq-secret"))
        if client is None:
            raise problem("Missing or incorrect X-TQ-CLIENT-ID / X-TQ-SECRET headers")
        call.principal = client.id
        call.caller = client
        return client

    def webhook_guard(call: Call) -> None:
        org_id = call.path_params["orgId"]
        talque = model()
        talque.require_org(org_id)
        talque.require_access(org_id, client_of(call, Forbidden))

    def api_guard(call: Call) -> None:
        client = client_of(call, Unauthorized)
        body = call.body
        org_id = body.get("orgId") if isinstance(body, dict) else None
        if isinstance(org_id, str):  # otherwise validation names the missing or wrong orgId
            talque = model()
            talque.require_org(org_id)
            talque.require_access(org_id, client)

    def webhook(call: Call) -> Response:
        body = call.body
        result = model().upsert_tickets(
            call.path_params["orgId"], call.caller, body["tickets"], body.get("purchaseOrder")
        )
        return json_response(result)

    def read(call: Call) -> Response:
        body = call.body
        result = model().read(body["orgId"], call.caller, body["provider"], body["ticketIdList"])
        return json_response(result)

    def list_tickets(call: Call) -> Response:
        body = call.body
        result = model().list_tickets(
            body["orgId"], call.caller, body.get("limit"), body.get("cursor"), body.get("profileId"),
            encoded=True,
        )
        return json_response(result)

    return [
        Endpoint("POST", "/webhook/org/{orgId}/ticket", webhook, guard=webhook_guard),
        # The published spec leaves the body optional, yet orgId lives in it: none sent -> 400.
        Endpoint("POST", "/api/v1/ticket/read", read, guard=api_guard, body_required=True),
        Endpoint("POST", "/api/v1/ticket/list", list_tickets, guard=api_guard, body_required=True),
    ]


def admin_endpoints(state: Backends) -> list[Endpoint]:
    """Under /_admin (specs/talque-admin.yaml): an org's profiles, and check-ins as the venue would do them."""

    def profiles(call: Call) -> Response:
        return json_response({"profiles": state.backend("talque").profiles(call.path_params["orgId"])})

    def check_in(call: Call) -> Response:
        body = call.body or {}
        model = state.backend("talque").check_in(
            call.path_params["orgId"], call.path_params["orgTicketId"], body.get("at_ms")
        )
        return json_response(model)

    def check_in_reset(call: Call) -> Response:
        model = state.backend("talque").reset_check_ins(call.path_params["orgId"], call.path_params["orgTicketId"])
        return json_response(model)

    return [
        Endpoint("GET", "/talque/orgs/{orgId}/profiles", profiles),
        Endpoint("POST", "/talque/orgs/{orgId}/tickets/{orgTicketId}/check-ins", check_in),
        Endpoint("POST", "/talque/orgs/{orgId}/tickets/{orgTicketId}/check-in-reset", check_in_reset),
    ]


def talque_error(problem: Problem) -> dict[str, Any]:
    body: dict[str, Any] = {"success": False, "reason": problem.code.upper(), "message": short(problem.message)}
    if problem.fields:
        errors = []
        for field, messages in problem.fields.items():
            entry: dict[str, Any] = {"field": bracket_path(field)}
            match = re.match(r"tickets\.(\d+)(\.|$)", field)
            if match:
                entry["ticketIndex"] = int(match.group(1))
            for message in messages:
                errors.append({**entry, "message": short(message)})
        body["errors"] = errors
    body.update(problem.extra)
    return body
