"""What the checker knows of Gomry besides its rules: the contract's parameters and credentials, the
preflight probes, how a generated request is made safe (`prepare`, `observe`), and the documented
refusals and misreadings (docs/contract-checks.md). `rules/gomry.py` describes the contract with them."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ...specs import SpecFile
from ..interface import Misreading, Param, Probe
from ..ledger import ID_PREFIX
from ..misreadings import body_rules
from ..safety import namespaced, ours, pinned, safe_email
from ..schema import refusal

if TYPE_CHECKING:
    from schemathesis import Case
    from schemathesis.core.transport import Response

    from ..interface import Contract

SPEC = SpecFile("gomry.yaml", "/gomry/api/v1")
HEADERS = {"X-API-KEY": "gk_demo_write"}
PARAMS = {
    "eventId": Param("evt_demo", "an event the key may write attendees to", "evt_123"),
    "ticketClassId": Param("tc_general", "a ticket class of eventId with seats left", "tc_456"),
    "smallEventId": Param("evt_small", "a small event the capacity check fills (and empties again)", "evt_789"),
    "smallTicketClassId": Param("tc_small", "a ticket class of smallEventId", "tc_789"),
    "otherApiKey": Param("gk_other", "an API key of another organization (tenant isolation)"),
    "otherEventId": Param(
        "evt_other", "an event otherApiKey may write to (Idempotency-Key scoping; nothing is created there)"
    ),
    "maxFill": Param("20", "the capacity check fills smallEventId only if at most this many seats are left"),
}
# Credentials of the default fixture (shown in reproductions), and where a credential goes (redacted).
FIXTURE_SECRETS = frozenset({"gk_demo_write", "gk_demo_read", "gk_other"})
CREDENTIAL_HEADERS = frozenset({"x-api-key"})
SECRET_PARAMS = frozenset({"otherApiKey"})

PROBES = (
    Probe("GET", lambda c: "/events"),
    Probe("GET", lambda c: f"/events/{c.param('eventId')}", param="eventId"),
    Probe("GET", lambda c: f"/events/{c.param('smallEventId')}", param="smallEventId"),
)


# -- safety: writes only to the configured events, attendees this run created, unique Idempotency-Keys --


def prepare(contract: Contract, case: Case, body: Any) -> Any:
    params = case.path_parameters
    event = params.get("eventId")
    allowed = {contract.param("eventId"), contract.param("smallEventId")}
    if isinstance(event, str) and event not in allowed and not event.startswith(ID_PREFIX) and pinned(event):
        params["eventId"] = event = contract.param("eventId")
    if case.method.upper() != "GET" and isinstance(event, str) and event not in allowed:
        params["eventId"] = event = namespaced(contract, event)  # writes go to the configured events only
    attendee = params.get("attendeeId")
    if isinstance(attendee, str) and not contract.ledger.has("gomry", "attendee", attendee):
        mine = ours(contract, case, "attendee", attendee, f"event {event}")
        if mine is not None:
            params["attendeeId"] = mine
        elif case.method.upper() != "GET":
            params["attendeeId"] = namespaced(contract, attendee)
    key = case.headers.get("Idempotency-Key")
    if isinstance(key, str) and 1 <= len(key) <= 255 and not key.startswith(ID_PREFIX):
        # Unique per request: two generated requests that drew the same key would otherwise replay each
        # other (correctly, but schemathesis' stateful checks would blame the replayed resource).
        unique = contract.ids.new("key") + "-"
        case.headers["Idempotency-Key"] = unique + key[: 255 - len(unique)]
    if isinstance(body, dict) and isinstance(body.get("contact"), dict) and "email" in body["contact"]:
        body["contact"]["email"] = safe_email(contract, body["contact"]["email"])
    return body


def observe(contract: Contract, case: Case, status: int, body: dict[str, Any]) -> None:
    label = f"{case.method.upper()} {case.path}"
    ledger = contract.ledger
    event = str(case.path_parameters.get("eventId"))
    if label == "POST /events/{eventId}/attendees" and status == 201 and isinstance(body.get("data"), list):
        for attendee in body["data"]:
            if isinstance(attendee, dict) and isinstance(attendee.get("id"), str):
                ledger.add("gomry", "attendee", attendee["id"], f"event {event}")
    elif label == "DELETE /events/{eventId}/attendees/{attendeeId}" and status == 200:
        ledger.removed("gomry", "attendee", str(case.path_parameters.get("attendeeId")))


# -- documented refusals and misreadings ----------------------------------------------------------


def _soft_deleted(case: Case, response: Response) -> bool:
    """The attendee came back with status `deleted`: DELETE is soft, the record stays readable."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("status") == "deleted"


SOFT_DELETE = Misreading("UseAfterFree", 200, _soft_deleted,
                         "DELETE is soft: a deleted attendee stays readable with status `deleted`")

REFUSALS = {
    "PATCH /events/{eventId}/attendees/{attendeeId}": [
        refusal(422, "", "a status transition the workflow forbids (docs/gomry.md), e.g. checked_in -> deleted"),
    ],
}
MISREADINGS = {
    "GET /events/{eventId}/attendees/{attendeeId}": [SOFT_DELETE],
    "POST /events/{eventId}/attendees": body_rules(),
    "PATCH /events/{eventId}/attendees/{attendeeId}": body_rules(),
}
