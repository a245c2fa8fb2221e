"""HTTP for the talque fake: the ticket webhook and the Ticket JSON API (read, list).

Order of checks (docs/talque.md, docs/decisions.md): the webhook answers an unknown org (404) before auth
(403); the JSON API
authenticates first (401), then checks the org named in the body (404, then 403), then the body (400).
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ...call import Call
from ...core.problems import Forbidden, Unauthorized
from ...errors import talque_error
from ...responses import json_response
from ...routing import Endpoint, Vendor
from ...state import State
from .model import TalqueBackend


def vendor(state: State) -> Vendor:
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
        model().require_org(org_id)
        model().require_access(org_id, client_of(call, Forbidden))

    def api_guard(call: Call) -> None:
        client = client_of(call, Unauthorized)
        body = call.body
        org_id = body.get("orgId") if isinstance(body, dict) else None
        if isinstance(org_id, str):  # otherwise validation names the missing or wrong orgId
            model().require_org(org_id)
            model().require_access(org_id, client)

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

    return Vendor(
        name="talque",
        prefix="/talque",
        error_shape=talque_error,
        endpoints=[
            Endpoint("POST", "/webhook/org/{orgId}/ticket", webhook, guard=webhook_guard),
            # The published spec leaves the body optional, yet orgId lives in it: none sent -> 400.
            Endpoint("POST", "/api/v1/ticket/read", read, guard=api_guard, body_required=True),
            Endpoint("POST", "/api/v1/ticket/list", list_tickets, guard=api_guard, body_required=True),
        ],
    )
