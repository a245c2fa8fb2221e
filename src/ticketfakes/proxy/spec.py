"""Both directions of an exchange against the vendor's spec, with the validators `serve` compiles.

The request is judged as the fakes judge it (framing, parameters, body), the answer as
`--validate-responses` judges a fake's (documented status, body schema). Violations name the field:
`body.tickets.0.email`, `query.limit`, `response.data.0.status`.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.datastructures import QueryParams
from starlette.routing import compile_path

from ..bodies import is_json_media_type, parse_json
from ..core.problems import Problem
from ..fakes import by_name
from ..specs import Operation, operations_of
from ..validation import NO_BODY, RequestValidator, ResponseValidator
from .exchange import NOT_JSON, Exchange

Found = list[tuple[str, str, str]]  # (rule, field, message)


class OperationIndex:
    """A vendor's operations by method and path, each with its compiled request and response validators."""

    def __init__(self, vendor: str) -> None:
        self.static: dict[tuple[str, str], Operation] = {}
        self.templated: list[tuple[re.Pattern[str], str, Operation]] = []
        self.validators: dict[int, tuple[RequestValidator, ResponseValidator]] = {}
        for operation in operations_of(by_name(vendor).specs):
            self.validators[id(operation)] = (RequestValidator(operation), ResponseValidator(operation))
            regex, _, convertors = compile_path(operation.path)
            if convertors:
                self.templated.append((regex, operation.method, operation))
            else:
                self.static[(operation.method, operation.path)] = operation

    def find(self, method: str, rest: str) -> tuple[Operation, dict[str, str]] | None:
        operation = self.static.get((method, rest))
        if operation is not None:
            return operation, {}
        for regex, op_method, candidate in self.templated:
            if op_method == method:
                match = regex.match(rest)
                if match is not None:
                    return candidate, match.groupdict()
        return None


def _request_fields(validator: RequestValidator, exchange: Exchange) -> dict[str, list[str]]:
    headers: dict[str, str] = {}
    for key, value in exchange.request_headers:
        headers.setdefault(key, value)
    _, fields = validator.validate_params(exchange.path_params, QueryParams(exchange.query), headers)
    where = {p.name: p.location for p in (*validator.path, *validator.query, *validator.headers)}
    located = {f"{where.get(name.split('.')[0], 'request')}.{name}": messages for name, messages in fields.items()}
    body: Any = NO_BODY
    if exchange.request_body and validator.accepts_body:
        content_type = headers.get("content-type", "")
        if not is_json_media_type(content_type):
            located["header.content-type"] = [f"{content_type[:100] or 'none'} is not application/json"]
            return located
        try:
            body = parse_json(exchange.request_body)
        except Problem as problem:
            located.update({f"body{'' if k == 'body' else '.' + k}": v for k, v in problem.fields.items()})
            return located
    for key, messages in validator.validate_body(body).items():
        located[key if key == "body" else f"body.{key}"] = messages
    return located


def check_spec(index: OperationIndex, exchange: Exchange) -> Found:
    """Locates the exchange's operation (sets `exchange.operation`) and returns what breaks the spec."""
    found = index.find(exchange.method, exchange.rest)
    if found is None:
        if exchange.status < 400:
            return [("spec.response", "path",
                     f"{exchange.method} {exchange.rest} is no operation of the spec, yet answered {exchange.status}")]
        return []  # the upstream refused an undocumented request: what a spec-true service does
    exchange.operation, exchange.path_params = found
    request_validator, response_validator = index.validators[id(exchange.operation)]
    violations: Found = []
    for name, messages in _request_fields(request_validator, exchange).items():
        violations.extend(("spec.request", name, message) for message in messages)
    if exchange.truncated:
        return violations
    body = exchange.response_json
    if body is NOT_JSON:
        if exchange.response_body:
            violations.append(("spec.response", "response.body", "the answer is not JSON"))
        body = NO_BODY
    for name, messages in response_validator.fields(exchange.status, body).items():
        violations.extend(("spec.response", name, message) for message in messages)
    return violations
