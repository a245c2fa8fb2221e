"""What the checker knows of talque besides its rules: the two contracts (the Ticket JSON API and the
webhook, both under talque's host), their parameters and credentials, the preflight probes, how a
generated request is made safe (`prepare_*`, `observe_webhook`), and the documented refusals and
misreadings (docs/contract-checks.md). `rules/talque.py` describes the contracts with them."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ...specs import SpecFile
from ..interface import Param, Probe
from ..misreadings import body_rules
from ..safety import namespaced, pinned, safe_email
from ..schema import refusal

if TYPE_CHECKING:
    import httpx
    from schemathesis import Case

    from ..interface import Contract

WEBHOOK = "/webhook/org/{org}/ticket"
READ = "/api/v1/ticket/read"
LIST = "/api/v1/ticket/list"

API_SPEC = SpecFile("talque-json-api.yaml", "/talque")
WEBHOOK_SPEC = SpecFile("talque-webhook.yaml", "/talque")
HEADERS = {"X-TQ-CLIENT-ID": "demo-client", "X-TQ-SECRET": "demo-secret"}
PARAMS = {
    "orgId": Param("org-demo", "the talque organization (event) the checks write test tickets into", "org-123"),
    "provider": Param("demo-shop", "the API client's provider"),
    "ticketType": Param("day-pass", "a ticket type identifier the organization knows", "day-pass"),
    "sessionId": Param("sess-keynote", "a session id of the organization (empty: not used)"),
    "extSessionId": Param("ext-workshop", "an external session id the organization maps (empty: not used)"),
    "vendorId": Param("vendor-acme", "a vendor id of the organization (empty: not used)"),
    "otherClientId": Param("other-client", "a second API client, not permitted for orgId (tenant isolation)"),
    "otherSecret": Param("other-secret", "the second API client's secret"),
    "otherOrgId": Param("org-other", "an organization the main client is not permitted for"),
    "pageLimit": Param("3", "page size of the paging check (small pages, many requests)"),
}
# Credentials of the default fixture (shown in reproductions), and where a credential goes (redacted).
FIXTURE_SECRETS = frozenset({"demo-secret", "other-secret"})
CREDENTIAL_HEADERS = frozenset({"x-tq-secret"})
SECRET_PARAMS = frozenset({"otherSecret"})


# -- preflight ------------------------------------------------------------------------------------


def _talque_list(contract: Contract) -> object:
    return {"orgId": contract.param("orgId"), "limit": 1}


def _talque_ticket(contract: Contract) -> object:
    # The simplest ticket the webhook takes (no ticket type, no person): its id is in this run's namespace.
    return {"tickets": [{"extTicketId": contract.ids.new("t"), "tickets": []}]}


def _talque_stored(contract: Contract, body: object, response: httpx.Response) -> None:
    answer = response.json()
    results = answer.get("ticketById") if isinstance(answer, dict) else None
    for ticket in body["tickets"]:  # type: ignore[index]
        entry = results.get(ticket["extTicketId"]) if isinstance(results, dict) else None
        if isinstance(entry, dict) and entry.get("success") is True:
            contract.ledger.add("talque", "ticket", ticket["extTicketId"],
                                f"org {contract.param('orgId')}, provider {answer.get('provider')}")


def _talque_route_missing(contract: Contract, response: httpx.Response) -> bool:
    """talque answers an unknown org with its own error shape naming the org; a 404 in any other shape
    (a server's generic "No route") or naming no org means the path, i.e. --base-url, is wrong."""
    try:
        body = response.json()
    except ValueError:
        return True
    if not (isinstance(body, dict) and body.get("success") is False and "reason" in body):
        return True
    return contract.param("orgId") not in response.text and "orgId" not in response.text


_LIST_PROBE = Probe("POST", lambda c: LIST, _talque_list, param="orgId", route_missing=_talque_route_missing)
API_PROBES = (_LIST_PROBE,)
WEBHOOK_PROBES = (
    Probe("POST", lambda c: WEBHOOK.format(org=c.param("orgId")), _talque_ticket, param="orgId",
          route_missing=_talque_route_missing, created=_talque_stored),
    replace(_LIST_PROBE, for_rules="the webhook rules read tickets back through the JSON API"),
)


# -- safety: generated requests pinned to the org and provider, written ids in the run's namespace ----


def prepare_api(contract: Contract, case: Case, body: Any) -> Any:
    if isinstance(body, dict) and pinned(body):
        if isinstance(body.get("orgId"), str):
            body["orgId"] = contract.param("orgId")
        if isinstance(body.get("provider"), str):
            body["provider"] = contract.param("provider")
        if isinstance(body.get("cursor"), str):
            body["cursor"] = None  # only the server issues cursors; an invented one is a documented 400
    return body


def prepare_webhook(contract: Contract, case: Case, body: Any) -> Any:
    org = case.path_parameters.get("orgId")
    if isinstance(org, str) and pinned(org):
        case.path_parameters["orgId"] = contract.param("orgId")
    if not isinstance(body, dict):
        return body
    tickets = body.get("tickets")
    for ticket in tickets if isinstance(tickets, list) else []:
        if isinstance(ticket, dict):
            if "extTicketId" in ticket:
                ticket["extTicketId"] = namespaced(contract, ticket["extTicketId"])
            if "email" in ticket:
                ticket["email"] = safe_email(contract, ticket["email"])
    order = body.get("purchaseOrder")
    if isinstance(order, dict):
        if "extPurchaseId" in order:
            order["extPurchaseId"] = namespaced(contract, order["extPurchaseId"])
        if "email" in order:
            order["email"] = safe_email(contract, order["email"])
    return body


def observe_webhook(contract: Contract, case: Case, status: int, body: dict[str, Any]) -> None:
    if status == 200 and isinstance(body.get("ticketById"), dict):
        where = f"org {body.get('orgId')}, provider {body.get('provider')}"
        for ticket_id, result in body["ticketById"].items():
            if isinstance(result, dict) and result.get("reason") == "CREATED":
                contract.ledger.add("talque", "ticket", ticket_id, where)


# -- documented refusals and misreadings ----------------------------------------------------------


def _field(body: Any, name: str) -> Any:
    return body.get(name) if isinstance(body, dict) else None


def _too_many_ids(body: Any) -> bool:
    ids = _field(body, "ticketIdList")
    return isinstance(ids, list) and len(ids) > 1000


def _limit_out_of_range(body: Any) -> bool:
    limit = _field(body, "limit")
    return isinstance(limit, int | float) and not isinstance(limit, bool) and not 1 <= limit <= 1000


def _cursor_given(body: Any) -> bool:
    return isinstance(_field(body, "cursor"), str)


# schemathesis' positive_data_acceptance failure is dropped ONLY for exactly these answers: same operation,
# same status, an error that blames no other field. Everything else a schema-valid request meets fails.
API_REFUSALS = {
    "POST /api/v1/ticket/read": [
        refusal(400, "body", "no body: the published spec leaves it optional, yet orgId is required in it"),
        refusal(400, "ticketIdList", "more than 1000 ids (docs/talque.md: at most 1000)", _too_many_ids),
    ],
    "POST /api/v1/ticket/list": [
        refusal(400, "body", "no body: the published spec leaves it optional, yet orgId is required in it"),
        refusal(400, "limit", "limit outside 1..1000 (docs/talque.md), which the published spec does not bound",
                _limit_out_of_range),
        refusal(400, "cursor", "a cursor the server never issued (null is no cursor: never refused)",
                _cursor_given),
    ],
}
WEBHOOK_REFUSALS = {
    "POST /webhook/org/{orgId}/ticket": [
        refusal(400, "tickets[].extTicketId", "extTicketId repeated within one request (docs/talque.md: unique)"),
    ],
}
API_MISREADINGS = {
    "POST /api/v1/ticket/read": body_rules(),
    "POST /api/v1/ticket/list": body_rules(),
}
WEBHOOK_MISREADINGS = {
    "POST /webhook/org/{orgId}/ticket": body_rules(),
}
