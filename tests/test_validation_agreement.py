"""The fast validators and openapi-core (the reference) accept and reject the same requests.

schemathesis generates valid (positive) and invalid (negative) requests for every operation of every
spec; each is judged by openapi-core and by the compiled jsonschema-rs validators of
`ticketfakes.validation`, and the verdicts must agree. Auth is not compared: the fakes' guards do it
(before validation, as docs/decisions.md orders), so `security` is stripped from both sides.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest
from schemathesis.generation import GenerationMode
from starlette.datastructures import Headers, QueryParams

from ticketfakes.fakes import spec_files
from ticketfakes.resources import spec_file
from ticketfakes.specs import SpecFile, load_document, operations
from ticketfakes.validation import NO_BODY, RequestValidator

HOST = "http://agreement.test"


def _document(spec: SpecFile) -> dict[str, Any]:
    document = load_document(spec.name)
    document["servers"] = [{"url": HOST}]
    document.pop("security", None)
    for item in document.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict):
                operation.pop("security", None)
    return document


SPECS = [spec for specs in spec_files().values() for spec in specs if spec_file(spec.name).is_file()]
CASES = [(spec, op) for spec in SPECS for op in operations(spec)]


class Judge:
    """Both validators for one spec document."""

    def __init__(self, spec: SpecFile) -> None:
        self.document = _document(spec)
        self.reference = OpenAPI.from_dict(self.document)
        self.fast = {(op.method, op.path): RequestValidator(op) for op in operations(spec)}
        self.schema = schemathesis.openapi.from_dict(self.document)


JUDGES: dict[str, Judge] = {}


def judge_for(spec: SpecFile) -> Judge:
    if spec.name not in JUDGES:
        JUDGES[spec.name] = Judge(spec)
    return JUDGES[spec.name]


def _sendable(case: Any) -> bool:
    for value in (case.path_parameters or {}).values():
        text = unquote(str(value))
        if not text or "/" in text or text in (".", ".."):
            return False  # never reaches the operation: the router answers 404
        if any(ord(char) < 32 for char in text):
            return False  # openapi-core's path-template matcher stops at a newline; not a schema rule
        if "?" in text or "#" in text:
            return False  # openapi-core's MockRequest takes a decoded path: there they start a query/fragment
    for name, value in (case.headers or {}).items():
        try:
            str(value).encode("latin-1")
            name.encode("ascii")
        except UnicodeEncodeError:
            return False
        if not name or "\n" in str(value) or "\r" in str(value) or str(value) != str(value).strip():
            return False
    return case.media_type in (None, "application/json")


def verdicts(judge: Judge, method: str, path: str, case: Any) -> tuple[bool, bool, Any]:
    kwargs = case.as_transport_kwargs(base_url=HOST)
    request = httpx.Request(kwargs["method"], kwargs["url"], params=kwargs.get("params"),
                            headers=kwargs.get("headers"), json=kwargs.get("json"))
    query_pairs = list(request.url.params.multi_items())
    headers = {k: v for k, v in (case.headers or {}).items()}
    body_bytes = json.dumps(case.body).encode() if "json" in kwargs else None
    reference_errors = list(
        judge.reference.iter_request_errors(
            MockRequest(HOST, method, request.url.path, args=query_pairs, headers=headers,
                        data=body_bytes, content_type="application/json")
        )
    )
    path_params = {k: unquote(str(v)) for k, v in (case.path_parameters or {}).items()}
    body = json.loads(body_bytes) if body_bytes is not None else NO_BODY
    _, fields = judge.fast[(method.upper(), path)].validate(
        path_params, QueryParams(query_pairs), Headers(headers), body
    )
    return not reference_errors, not fields, (reference_errors, fields, path_params, query_pairs, headers, body)


@pytest.mark.parametrize(("spec", "operation"), CASES, ids=[f"{s.name}:{o.method}:{o.path}" for s, o in CASES])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_fast_validation_agrees_with_openapi_core(spec: SpecFile, operation: Any, mode: GenerationMode) -> None:
    if mode is GenerationMode.NEGATIVE and not (operation.parameters or operation.request_body):
        pytest.skip("nothing in this operation can be made invalid")
    judge = judge_for(spec)
    api_operation = judge.schema[operation.path][operation.method]
    strategy = api_operation.as_strategy(generation_mode=mode)

    @settings(max_examples=60, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def check(data: st.DataObject) -> None:
        case = data.draw(strategy)
        if not _sendable(case):
            return
        reference_ok, fast_ok, detail = verdicts(judge, operation.method.lower(), operation.path, case)
        assert reference_ok == fast_ok, f"openapi-core {'accepts' if reference_ok else 'rejects'}, " \
            f"fast path {'accepts' if fast_ok else 'rejects'}: {detail}"

    try:
        check()
    except Unsatisfiable:
        pytest.skip("no invalid request of this operation can be sent over HTTP (only path parameters)")
