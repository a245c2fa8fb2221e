"""Unit tests of the shared request machinery: JSON framing, casting, compiled validators."""

from __future__ import annotations

import pytest
from openapi_core import util as openapi_core_util
from starlette.datastructures import Headers, QueryParams

from ticketfakes.bodies import is_json_media_type, parse_json
from ticketfakes.core.problems import BadRequest
from ticketfakes.specs import Operation
from ticketfakes.validation import (
    BOOLEAN_FALSE_VALUES,
    BOOLEAN_TRUE_VALUES,
    NO_BODY,
    RequestValidator,
    ResponseValidator,
)


def test_boolean_words_are_openapi_cores() -> None:
    assert openapi_core_util.BOOLEAN_TRUE_VALUES == BOOLEAN_TRUE_VALUES
    assert openapi_core_util.BOOLEAN_FALSE_VALUES == BOOLEAN_FALSE_VALUES


@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b'{"a": 1,}',
        b"\xff\xfe{}",
        b'\xef\xbb\xbf{"a": 1}',  # a UTF-8 BOM
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b'{"a": -Infinity}',
        b'{"a": 1e999}',
        b'{"a": 1, "a": 2}',
        b"[" * 10_000 + b"]" * 10_000,
        b'{"a": ' + b"9" * 5000 + b"}",
        b"",
    ],
    ids=["truncated", "trailing-comma", "utf16", "bom", "nan", "inf", "-inf", "overflow", "dup-key", "deep",
         "huge-int", "empty"],
)
def test_malformed_json_is_a_400(raw: bytes) -> None:
    with pytest.raises(BadRequest):
        parse_json(raw)


def test_well_formed_json_parses() -> None:
    assert parse_json('{"name": "Zoë", "n": [1, 2.5, null, true]}'.encode()) == {
        "name": "Zoë",
        "n": [1, 2.5, None, True],
    }


@pytest.mark.parametrize(
    ("content_type", "ok"),
    [
        ("application/json", True),
        ("application/json; charset=utf-8", True),
        ("Application/JSON;charset=UTF-8", True),
        ("application/json; charset=latin-1", False),
        ("text/plain", False),
        ("application/x-www-form-urlencoded", False),
        ("", False),
    ],
)
def test_only_json_media_types_are_accepted(content_type: str, ok: bool) -> None:
    assert is_json_media_type(content_type) is ok


def _operation(**kwargs: object) -> Operation:
    defaults: dict = {
        "spec": "x.yaml", "prefix": "/x", "method": "GET", "path": "/things/{id}", "operation_id": "op",
        "parameters": [], "request_body": None, "responses": {},
    }
    defaults.update(kwargs)
    return Operation(**defaults)


def test_query_parameters_are_cast_like_openapi_core_and_named_when_wrong() -> None:
    validator = RequestValidator(
        _operation(
            parameters=[
                {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "minLength": 2}},
                {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                {"name": "flag", "in": "query", "schema": {"type": "boolean"}},
                {"name": "status", "in": "query", "style": "form", "explode": False,
                 "schema": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}}},
                {"name": "X-Key", "in": "header", "required": True, "schema": {"type": "string"}},
            ]
        )
    )
    values, fields = validator.validate(
        {"id": "ab"}, QueryParams("page=3&flag=yes&status=a,b"), Headers({"x-key": "k"})
    )
    assert fields == {}
    assert values == {"page": 3, "flag": True, "status": ["a", "b"]}
    _, fields = validator.validate({"id": "a"}, QueryParams("page=0&flag=maybe&status=a,c"), Headers({}))
    assert set(fields) == {"id", "page", "flag", "status.1", "x-key"}


def test_body_errors_name_the_field_path() -> None:
    schema = {
        "type": "object",
        "required": ["tickets"],
        "properties": {
            "tickets": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["extTicketId"],
                    "properties": {"extTicketId": {"type": "string", "minLength": 1}},
                    "dependentRequired": {"firstName": ["email"]},
                },
            }
        },
    }
    validator = RequestValidator(
        _operation(method="POST", request_body={"required": True, "content": {"application/json": {"schema": schema}}})
    )
    _, fields = validator.validate({}, QueryParams(""), Headers({}), {"tickets": [{"extTicketId": "x"},
                                                                               {"firstName": "A"}]})
    assert set(fields) == {"tickets.1.extTicketId", "tickets.1.email"}
    _, fields = validator.validate({}, QueryParams(""), Headers({}), NO_BODY)
    assert fields == {"body": ["request body is required"]}


def test_response_validator_flags_undocumented_status_and_drift() -> None:
    validator = ResponseValidator(
        _operation(responses={"200": {"description": "ok", "content": {"application/json": {"schema": {
            "type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}}}},
            "404": {"description": "none"}})
    )
    assert validator.problems(200, {"id": "a"}) == []
    assert validator.problems(200, {"id": 1})
    assert validator.problems(404, {"anything": True}) == []
    assert validator.problems(500, {}) != []


def test_a_repeated_query_parameter_counts_with_its_first_value_as_openapi_core_reads_it() -> None:
    from starlette.datastructures import QueryParams

    from ticketfakes.fakes import by_name
    from ticketfakes.specs import operations_of
    from ticketfakes.validation import RequestValidator

    (operation,) = [op for op in operations_of(by_name("gomry").specs)
                    if op.method == "GET" and op.path == "/events/{eventId}/attendees"]
    validator = RequestValidator(operation)
    headers = {"x-api-key": "k"}
    path = {"eventId": "evt_demo"}
    values, fields = validator.validate_params(path, QueryParams("page=1&page="), headers)
    assert fields == {} and values["page"] == 1
    _, fields = validator.validate_params(path, QueryParams("page=&page=1"), headers)
    assert "page" in fields
    values, _ = validator.validate_params(path, QueryParams("page=2&page=abc"), headers)
    assert values["page"] == 2
