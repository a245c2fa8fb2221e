"""The vendors' specs as schemathesis schemas aimed at a contract's target, and how a case is sent.

`load_schema` builds the schema (base URL, the in-process app for schemathesis' own probes, and the
`filter_failure` hook for documented refusals); `call_and_validate` prepares a case (see `safety`),
sends it through the contract's recording target, notes what it created, and runs every built-in
schemathesis check plus the ticketfakes response checks (`response_checks`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import hypothesis
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.core.transport import Response
from schemathesis.generation.meta import TestPhase

from ..specs import load_document
from . import response_checks  # noqa: F401  (registers the ticketfakes checks with schemathesis)
from .misreadings import misreading
from .safety import observe, prepare
from .target import Recorded

if TYPE_CHECKING:
    from schemathesis import Case
    from schemathesis.specs.openapi.schemas import OpenApiSchema

    from .contract import Contract


_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Framing the HTTP client owns: a generated value would contradict the body it sends (h11 refuses it).
_FRAMING = frozenset({"transfer-encoding", "content-length", "host"})


class Unsendable(Exception):
    """A generated request that HTTP cannot carry (e.g. a header value outside ASCII)."""


@dataclass(frozen=True)
class Refusal:
    """A schema-valid request the contract refuses on a rule no JSON Schema states (docs/talque.md, docs/gomry.md)."""

    status: int
    fields: frozenset[str] | None  # the only fields the error may blame (indexes as `[]`); None: any
    why: str
    # The rule's condition on the request body, where it can be stated: a refusal when it does not hold (a
    # `cursor: null`, a `limit` of 50) is a schema-valid request rejected, not this documented refusal.
    when: Callable[[Any], bool] | None = None


def refusal(status: int, fields: str | None, why: str, when: Callable[[Any], bool] | None = None) -> Refusal:
    return Refusal(status, None if fields is None else frozenset(fields.split()), why, when)


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
REFUSALS: dict[str, dict[str, list[Refusal]]] = {
    "talque": {
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
    },
    "talque-webhook": {
        "POST /webhook/org/{orgId}/ticket": [
            refusal(400, "tickets[].extTicketId", "extTicketId repeated within one request (docs/talque.md: unique)"),
        ],
    },
    "gomry": {
        "PATCH /events/{eventId}/attendees/{attendeeId}": [
            refusal(422, "", "a status transition the workflow forbids (docs/gomry.md), e.g. checked_in -> deleted"),
        ],
    },
    "planhat": {
        "PUT /tickets": [refusal(400, "*", "every item failed (unknown _id or e-mail, no sourceId, bad date)")],
    },
}


def blamed_fields(body: Any) -> set[str] | None:
    """The fields an error body of any vendor's shape blames (indexes as `[]`); None: not an error body."""
    if not isinstance(body, dict):
        return None
    if "createdErrors" in body:  # Planhat's bulk result, also the body of its all-failed 400
        return {"*"}
    if isinstance(body.get("errors"), list):  # talque, Planhat
        names = {str(entry.get("field")) for entry in body["errors"] if isinstance(entry, dict)}
    elif isinstance(body.get("details"), dict):  # Gomry
        names = set(body["details"].get("fieldErrors", body["details"]))
    elif "error" in body or "message" in body:
        names = set()
    else:
        return None
    return {re.sub(r"\[\d+\]|\.\d+(?=\.|$)", "[]", name) for name in names}


def matching_refusal(refusals: list[Refusal], case: Case, response: Response) -> Refusal | None:
    """The refusal of `refusals` this response is exactly (status, blamed fields, condition), if any."""
    try:
        fields = blamed_fields(response.json())
    except ValueError:
        return None
    for candidate in refusals:
        if response.status_code == candidate.status and fields is not None and (
            candidate.fields is None or fields <= candidate.fields
        ) and (candidate.when is None or candidate.when(getattr(case, "body", None))):
            return candidate
    return None


def documented_refusal(vendor: str, case: Case, response: Response) -> Refusal | None:
    return matching_refusal(REFUSALS.get(vendor, {}).get(case.operation.label, []), case, response)


def load_schema(contract: Contract) -> OpenApiSchema:
    """The contract's spec, normalised in memory (talque's 3.0.3-with-type-arrays), aimed at its target."""
    document = load_document(contract.vendor.spec.name)
    schema = schemathesis.openapi.from_dict(document, config=SchemathesisConfig())
    schema.config.update(base_url=contract.target.base_url, request_timeout=30)
    if contract.app is not None:
        schema.app = contract.app  # schemathesis' own probes (ignored_auth, ...) reach the app in-process
    vendor = contract.name

    def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
        from schemathesis.openapi.checks import RejectedPositiveData

        if isinstance(failure, RejectedPositiveData) and documented_refusal(vendor, case, response):
            return False
        return misreading(vendor, failure, case, response) is None

    schema.hooks.register_hook_with_name(filter_failure, "filter_failure")
    return schema


def send(contract: Contract, case: Case, *, prepared: bool = False) -> Response:
    """Prepare `case` (unless it was: a retry sends the very same request), send it through the
    contract's recording target, note what it created."""
    if not prepared:
        prepare(contract, case)
    try:
        response = _send(contract, case)
    except Unsendable:
        contract.coverage.unsendable(case.operation.label)
        raise
    if not prepared:  # a retry is the checks' own request, not a generated case
        meta = getattr(case, "meta", None)
        positive = meta is None or not meta.generation.mode.is_negative
        stateful = meta is not None and meta.phase.name == TestPhase.STATEFUL
        sent = contract.recorder.snapshot()[-1:]
        contract.coverage.case(case.operation.label, positive, response.status_code, sent[0] if sent else None,
                               stateful=stateful)
    return response


def _send(contract: Contract, case: Case) -> Response:
    kwargs = case.as_transport_kwargs(base_url=contract.target.base_url)
    content: bytes | None = None
    if "json" in kwargs:
        content = json.dumps(kwargs["json"], separators=(",", ":"), ensure_ascii=False).encode("utf-8",
                                                                                               "surrogatepass")
    elif kwargs.get("data") is not None:
        data = kwargs["data"]
        content = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    headers = {name: str(value) for name, value in (kwargs.get("headers") or {}).items()}
    for name, value in headers.items():
        # What httpx and h11 refuse to send (an exception, not a response): a name that is no HTTP token,
        # a value that is not ASCII, holds a line break or NUL, or starts or ends with whitespace.
        if not _HEADER_NAME.fullmatch(name) or not value.isascii():
            raise Unsendable(f"header {name!r} cannot be sent over HTTP")
        if "\n" in value or "\r" in value or "\x00" in value or value != value.strip(" \t"):
            raise Unsendable(f"header {name!r} has a line break or surrounding whitespace")
        if name.lower() in _FRAMING:
            raise Unsendable(f"header {name!r} is framing the HTTP client sets itself")
    try:
        response = contract.target.send(kwargs["method"], kwargs["url"], params=kwargs.get("params"),
                                        headers=headers, content=content)
    except httpx.LocalProtocolError as exc:  # anything else h11 refuses to put on the wire
        raise Unsendable(f"the HTTP client refused to send it: {exc}") from None
    try:
        body = response.json()
    except ValueError:
        body = None
    observe(contract, case, response.status_code, body)
    return Response.from_any(response)


def validate(contract: Contract, case: Case, response: Response, recorder: Any = None) -> None:
    """Every built-in schemathesis check plus the ticketfakes response checks; FailureGroup on failure."""
    from schemathesis.engine.recorder import ScenarioRecorder

    transport_kwargs = {} if contract.app is not None else {"base_url": contract.target.base_url}
    recorder = recorder if recorder is not None else ScenarioRecorder(label=case.operation.label)
    before = set(recorder.interactions)
    try:
        case.validate_response(response, headers=dict(contract.headers), transport_kwargs=transport_kwargs,
                               recorder=recorder)
    finally:
        # The checks' own probes (ignored_auth without or with a wrong credential): exactly what they sent
        for case_id, interaction in list(recorder.interactions.items()):
            sent = interaction.response
            if case_id not in before and case_id != case.id and sent is not None:
                contract.recorder.add(_probe_recorded(sent))


def _probe_recorded(response: Response) -> Recorded:
    request = response.request
    body = request.body or b""
    return Recorded(str(request.method), str(request.url), tuple(request.headers.items()),
                    body.encode("utf-8", "surrogatepass") if isinstance(body, str) else bytes(body),
                    response.status_code)


def call_and_validate(contract: Contract, case: Case) -> Response:
    try:
        response = send(contract, case)
    except Unsendable:
        hypothesis.reject()  # no HTTP client can send it: not an example, as in the check phases
    validate(contract, case, response)
    return response
