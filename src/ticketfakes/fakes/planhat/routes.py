"""HTTP for the Planhat fake: `PUT/GET /tickets`, `DELETE /tickets/{id}` over `PlanhatBackend`.

Thin on purpose: the guard authenticates, the Pipeline validates against specs/planhat.yaml, and each
handler hands the parsed values to the model and serialises what it returns.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ...call import Call, MiB
from ...core.problems import Problem
from ...core.ratelimit import Verdict
from ...errors import short
from ...fake import Backends
from ...responses import json_response
from ...routing import Endpoint
from .model import DEFAULT_LIMIT, PlanhatBackend

# 5000 tickets with realistic descriptions do not fit in the usual 1 MiB (docs/decisions.md, "Bodies").
BULK_MAX_BODY = 16 * MiB


def rate_headers(verdict: Verdict, response: Response) -> None:
    """Planhat tells every caller its limit and what is left of it."""
    response.headers["X-Rate-Limit-Limit"] = str(verdict.limit)
    response.headers["X-Rate-Limit-Remaining"] = str(max(verdict.remaining, 0))


def endpoints(state: Backends) -> list[Endpoint]:
    """The endpoints, each calling the model of the request's namespace."""
    def backend() -> PlanhatBackend:
        return state.backend("planhat")  # looked up per call: a reset replaces the backend

    def guard(call: Call) -> None:
        call.principal = backend().authenticate(call.header("authorization"))

    def upsert(call: Call) -> Response:
        status, body = backend().upsert_tickets(call.principal or "", call.body)
        return json_response(body, status)

    def list_tickets(call: Call) -> Response:
        query = call.query
        tickets = backend().list_tickets(
            call.principal or "",
            limit=query.get("limit", DEFAULT_LIMIT),
            offset=query.get("offset", 0),
            sort=query.get("sort"),
            company_id=query.get("companyId"),
            email=query.get("email"),
            status=query.get("status"),
            select=query.get("select"),
        )
        return json_response(tickets)

    def delete(call: Call) -> Response:
        return json_response(backend().delete_ticket(call.principal or "", call.path_params["id"]))

    return [
        Endpoint("PUT", "/tickets", upsert, guard=guard, max_body=BULK_MAX_BODY),
        Endpoint("GET", "/tickets", list_tickets, guard=guard),
        Endpoint("DELETE", "/tickets/{id}", delete, guard=guard),
    ]


def planhat_error(problem: Problem) -> dict[str, Any]:
    body: dict[str, Any] = {"message": short(problem.message)}
    if problem.fields:
        body["errors"] = [
            {"field": field, "message": short(message)}
            for field, messages in problem.fields.items()
            for message in messages
        ]
    body.update(problem.extra)
    return body
