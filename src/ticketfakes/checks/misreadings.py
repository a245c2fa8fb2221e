"""Documented behaviours that a built-in schemathesis check misreads, each excused by name, for one
operation, under one condition (docs/contract-checks.md, "Documented behaviours a built-in check misreads").

A `Misreading` drops exactly one kind of schemathesis failure (by its class name) on one operation, and
only when its condition holds on the request that was sent and the answer it got. Everything else the
same check finds still fails; no check is switched off.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..bodies import is_json_media_type

if TYPE_CHECKING:
    from schemathesis import Case
    from schemathesis.core.transport import Response

MiB = 1024 * 1024
# Request body limits (docs/serving.md): 1 MiB, 16 MiB on Planhat's bulk PUT.
BODY_LIMIT = MiB
PLANHAT_BULK_LIMIT = 16 * MiB


@dataclass(frozen=True)
class Misreading:
    failure: str  # the schemathesis Failure class it excuses, e.g. "UseAfterFree"
    status: int  # the only status it excuses
    when: Callable[[Case, Response], bool]
    why: str


def _sent_body(response: Response) -> bytes:
    body = response.request.body
    if body is None:
        return b""
    return body.encode("utf-8", "surrogatepass") if isinstance(body, str) else bytes(body)


def _soft_deleted(case: Case, response: Response) -> bool:
    """The attendee came back with status `deleted`: DELETE is soft, the record stays readable."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("status") == "deleted"


def _not_json(case: Case, response: Response) -> bool:
    """The request's Content-Type was not JSON (a generated header replaced it), so 415 is the answer."""
    sent = response.request.headers.get("content-type")
    return sent is not None and not is_json_media_type(sent)


def _over(limit: int) -> Callable[[Case, Response], bool]:
    def over(case: Case, response: Response) -> bool:
        return len(_sent_body(response)) > limit

    over.__doc__ = f"the body sent is over {limit} bytes"
    return over


SOFT_DELETE = Misreading("UseAfterFree", 200, _soft_deleted,
                         "DELETE is soft: a deleted attendee stays readable with status `deleted`")
NOT_JSON = Misreading("RejectedPositiveData", 415, _not_json,
                      "a Content-Type that is not JSON is refused with 415, whatever the body")


def _too_large(limit: int) -> list[Misreading]:
    why = f"a body over {limit // MiB} MiB is refused with 413 before it is read"
    return [Misreading("RejectedPositiveData", 413, _over(limit), why),
            Misreading("AcceptedNegativeData", 413, _over(limit), why)]


def _body_rules(limit: int = BODY_LIMIT) -> list[Misreading]:
    return [NOT_JSON, *_too_large(limit)]


MISREADINGS: dict[str, dict[str, list[Misreading]]] = {
    "talque": {
        "POST /api/v1/ticket/read": _body_rules(),
        "POST /api/v1/ticket/list": _body_rules(),
    },
    "talque-webhook": {
        "POST /webhook/org/{orgId}/ticket": _body_rules(),
    },
    "gomry": {
        "GET /events/{eventId}/attendees/{attendeeId}": [SOFT_DELETE],
        "POST /events/{eventId}/attendees": _body_rules(),
        "PATCH /events/{eventId}/attendees/{attendeeId}": _body_rules(),
    },
    "planhat": {
        "PUT /tickets": _body_rules(PLANHAT_BULK_LIMIT),
    },
}


def misreading(vendor: str, failure: Any, case: Case, response: Response) -> Misreading | None:
    """The documented behaviour `failure` misreads on this operation, if its condition holds."""
    name = type(failure).__name__
    for candidate in MISREADINGS.get(vendor, {}).get(case.operation.label, []):
        if candidate.failure == name and candidate.status == response.status_code and candidate.when(case, response):
            return candidate
    return None
