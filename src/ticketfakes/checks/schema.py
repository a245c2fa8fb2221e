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
from typing import TYPE_CHECKING, Any

import httpx
import hypothesis
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.core.transport import Response
from schemathesis.generation.meta import TestPhase

from ..specs import load_document
from .interface import Refusal
from .misreadings import misreading
from .safety import observe, prepare
from .target import Recorded

if TYPE_CHECKING:
    from schemathesis import Case
    from schemathesis.specs.openapi.schemas import OpenApiSchema

    from .interface import CheckVendor, Contract


_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Framing the HTTP client owns: a generated value would contradict the body it sends (h11 refuses it).
_FRAMING = frozenset({"transfer-encoding", "content-length", "host"})


# Contracts by the identity of their schema document: schemathesis clones schemas, never the document.
_BY_DOCUMENT: dict[int, Contract] = {}


class Unsendable(Exception):
    """A generated request that HTTP cannot carry (e.g. a header value outside ASCII)."""


def refusal(status: int, fields: str | None, why: str, when: Callable[[Any], bool] | None = None) -> Refusal:
    return Refusal(status, None if fields is None else frozenset(fields.split()), why, when)


def blamed_fields(body: Any) -> set[str] | None:
    """The fields an error body of any vendor's shape blames (indexes as `[]`); None: not an error body."""
    if not isinstance(body, dict):
        return None
    if "createdErrors" in body:  # a bulk result (per-item errors), also the body of an all-failed 400
        return {"*"}
    if isinstance(body.get("errors"), list):  # a list of errors, each naming its `field`
        names = {str(entry.get("field")) for entry in body["errors"] if isinstance(entry, dict)}
    elif isinstance(body.get("details"), dict):  # field errors keyed by field
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


def documented_refusal(vendor: CheckVendor, case: Case, response: Response) -> Refusal | None:
    return matching_refusal(list(vendor.refusals.get(case.operation.label, ())), case, response)


def load_schema(contract: Contract) -> OpenApiSchema:
    """The contract's spec, normalised in memory (3.0.3 with type arrays), aimed at its target; the
    contract is found again by the schema (`contract_for_schema`) until `forget_schema`."""
    document = load_document(contract.vendor.spec)
    schema = schemathesis.openapi.from_dict(document, config=SchemathesisConfig())
    schema.config.update(base_url=contract.target.base_url, request_timeout=30)
    if contract.app is not None:
        schema.app = contract.app  # schemathesis' own probes (ignored_auth, ...) reach the app in-process
    vendor = contract.vendor

    def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
        from schemathesis.openapi.checks import RejectedPositiveData

        if isinstance(failure, RejectedPositiveData) and documented_refusal(vendor, case, response):
            return False
        return misreading(vendor, failure, case, response) is None

    schema.hooks.register_hook_with_name(filter_failure, "filter_failure")
    _BY_DOCUMENT[id(schema.raw_schema)] = contract
    return schema


def contract_for_schema(schema: Any) -> Contract | None:
    """The contract whose schema `schema` is (or a clone of); None for anyone else's schema."""
    return _BY_DOCUMENT.get(id(getattr(schema, "raw_schema", None)))


def forget_schema(schema: OpenApiSchema) -> None:
    _BY_DOCUMENT.pop(id(schema.raw_schema), None)


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
