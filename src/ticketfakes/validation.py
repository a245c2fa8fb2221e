"""Request (and test-mode response) validation, compiled once per operation.

openapi-core is the reference for what the specs mean, but it walks the spec on every call. Here each
operation's parameter and body schemas are compiled once, at start-up, into jsonschema-rs validators
(JSON Schema 2020-12: the dialect of OpenAPI 3.1). Parameters are cast from strings exactly as
openapi-core casts them, so both accept and reject the same requests; tests/test_validation_agreement.py
proves it on generated requests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

from .specs import Operation

Fields = dict[str, list[str]]

# openapi-core's boolean words (openapi_core.util), copied because importing openapi-core costs ~0.4 s
# of start-up; tests/test_validation.py proves the copies equal the originals.
BOOLEAN_TRUE_VALUES = ("y", "yes", "t", "true", "on", "1")
BOOLEAN_FALSE_VALUES = ("n", "no", "f", "false", "off", "0")

INTEGER_LIMIT = 2**63

NO_BODY = object()  # distinguishes "no body sent" from a JSON `null`

JSON_MEDIA_TYPE = "application/json"


def _compile(schema: dict[str, Any]) -> Any:
    # Formats are documentation in these specs (patterns enforce): openapi-core and jsonschema-rs
    # disagree on some formats, so the fast path checks none, and the specs never rely on one.
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=False)


def _schema_type(schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        return kinds[0] if len(kinds) == 1 else None
    return kind


def _cast_scalar(kind: str | None, value: str) -> Any:
    """Cast one string the way openapi-core's casters do (int(), float(), its boolean words)."""
    if kind == "integer":
        number = int(value)
        if not -INTEGER_LIMIT <= number < INTEGER_LIMIT:
            # Parameters index and slice (islice() stops at 2**63); every spec bounds its integer
            # parameters below this (tests/test_bad_input.py proves it), so openapi-core agrees.
            raise ValueError("out of range")
        return number
    if kind == "number":
        return float(value)
    if kind == "boolean":
        lowered = value.lower()
        if lowered in BOOLEAN_TRUE_VALUES:
            return True
        if lowered in BOOLEAN_FALSE_VALUES:
            return False
        raise ValueError("not a boolean")
    return value


def _join(base: str, parts: list[Any]) -> str:
    path = ".".join(str(p) for p in parts)
    if base and path:
        return f"{base}.{path}"
    return base or path


def _bounded(message: str, limit: int = 300) -> str:
    # jsonschema-rs quotes the whole instance ("[...5000 items...] has more than 5000 items"): keep the
    # start and the verdict at the end, so an error never echoes a 16 MiB body back.
    if len(message) <= limit:
        return message
    return f"{message[: limit // 3]} … {message[-(limit * 2 // 3):]}"


def schema_errors(validator: Any, instance: Any, base: str = "") -> Fields:
    """Every violation of `instance`, keyed by the dotted path of the offending field."""
    fields: Fields = {}
    if validator.is_valid(instance):  # what nearly every request is: a fifth cheaper than an empty iteration
        return fields
    for error in validator.iter_errors(instance):
        location = list(error.instance_path)
        kind = error.kind
        if isinstance(kind, jsonschema_rs.ValidationErrorKind.Required):
            location.append(kind.property)
            message = "required"
        elif isinstance(kind, jsonschema_rs.ValidationErrorKind.AdditionalProperties):
            for name in kind.unexpected:
                fields.setdefault(_join(base, [*location, name]), []).append("unknown field")
            continue
        else:
            message = _bounded(error.message)
        fields.setdefault(_join(base, location) or "body", []).append(message)
    return fields


@dataclass(slots=True)
class _Parameter:
    name: str
    location: str  # path | query | header
    required: bool
    kind: str | None
    item_kind: str | None
    explode: bool
    allow_empty: bool
    validator: Any

    def read(self, source: Any) -> tuple[bool, Any]:
        """(present, cast value); raises ValueError when a value cannot be cast."""
        if self.location == "query" and self.kind == "array":
            if self.explode:
                raw = source.getlist(self.name)
                if not raw:
                    return False, None
            else:
                if self.name not in source:
                    return False, None
                raw = source[self.name].split(",")
            return True, [_cast_scalar(self.item_kind, item) for item in raw]
        if self.location == "query":
            # given more than once, the first value counts, as openapi-core reads it (docs/validation.md)
            given = source.getlist(self.name)
            value = given[0] if given else None
        else:
            value = source.get(self.name)
        if value is None:
            return False, None
        if value == "" and self.location == "query" and not self.allow_empty:
            # openapi-core refuses `?name=` unless the parameter sets allowEmptyValue
            raise ValueError("must not be empty")
        return True, _cast_scalar(self.kind, value)


def _parameter(spec: dict[str, Any]) -> _Parameter:
    schema = spec.get("schema", {})
    location = spec["in"]
    style = spec.get("style", "form" if location == "query" else "simple")
    items = schema.get("items", {}) if isinstance(schema.get("items"), dict) else {}
    return _Parameter(
        name=spec["name"].lower() if location == "header" else spec["name"],
        location=location,
        required=bool(spec.get("required", location == "path")),
        kind=_schema_type(schema),
        item_kind=_schema_type(items),
        explode=bool(spec.get("explode", style == "form")),
        allow_empty=bool(spec.get("allowEmptyValue", False)),
        validator=_compile(schema),
    )


class RequestValidator:
    """Everything an operation requires of a request, compiled once."""

    def __init__(self, operation: Operation) -> None:
        self.operation = operation
        params = [_parameter(p) for p in operation.parameters if p.get("in") in ("path", "query", "header")]
        self.path = [p for p in params if p.location == "path"]
        self.query = [p for p in params if p.location == "query"]
        self.headers = [p for p in params if p.location == "header"]
        body = operation.request_body or {}
        self.body_required = bool(body.get("required", False))
        content = body.get("content", {})
        self.accepts_body = bool(content)
        json_content = next((v for k, v in content.items() if k.split(";")[0].strip() == JSON_MEDIA_TYPE), None)
        schema = (json_content or {}).get("schema")
        self.body = _compile(schema) if schema is not None else None

    def validate(
        self,
        path_params: Mapping[str, str],
        query: Any,
        headers: Mapping[str, str],
        body: Any = NO_BODY,
    ) -> tuple[dict[str, Any], Fields]:
        """Returns the typed query values and the violations (empty when the request is valid)."""
        values, fields = self.validate_params(path_params, query, headers)
        for key, messages in self.validate_body(body).items():
            fields.setdefault(key, []).extend(messages)
        return values, fields

    def validate_params(
        self, path_params: Mapping[str, str], query: Any, headers: Mapping[str, str]
    ) -> tuple[dict[str, Any], Fields]:
        """The path, query and header parameters: the typed query values and the violations."""
        fields: Fields = {}
        values: dict[str, Any] = {}
        for group, source in ((self.path, path_params), (self.query, query), (self.headers, headers)):
            for param in group:
                try:
                    present, value = param.read(source)
                except ValueError as exc:
                    own = str(exc) in ("must not be empty", "out of range")
                    reason = str(exc) if own else f"invalid {param.kind or 'value'}"
                    fields.setdefault(param.name, []).append(reason)
                    continue
                if not present:
                    if param.required:
                        fields.setdefault(param.name, []).append("required")
                    continue
                errors = schema_errors(param.validator, value, param.name)
                if errors:
                    for key, messages in errors.items():
                        fields.setdefault(key, []).extend(messages)
                    continue
                if param.location == "query":
                    values[param.name] = value
        return values, fields

    def validate_body(self, body: Any) -> Fields:
        """The body's violations (NO_BODY: none was sent)."""
        if body is NO_BODY:
            return {"body": ["request body is required"]} if self.body_required else {}
        if self.body is not None:
            return schema_errors(self.body, body)
        return {}


# Answers of the shared body framing (too large, not JSON). The published talque spec predates them, so
# they count as documented everywhere; the hand-written specs list them explicitly anyway.
FRAMING_STATUSES = frozenset({413, 415})


class ResponseValidator:
    """Test-mode check that a fake's response is one its spec documents (status, type, body)."""

    def __init__(self, operation: Operation) -> None:
        self.operation = operation
        self.by_status: dict[str, Any] = {}
        for status, response in operation.responses.items():
            content = response.get("content")
            if not content:
                self.by_status[str(status)] = None
                continue
            json_content = next(
                (v for k, v in content.items() if k.split(";")[0].strip() == JSON_MEDIA_TYPE), None
            )
            schema = (json_content or {}).get("schema")
            self.by_status[str(status)] = _compile(schema) if schema is not None else None

    def problems(self, status: int, body: Any) -> list[str]:
        undocumented, validator = self._lookup(status)
        if undocumented:
            return [undocumented]
        if validator is None or body is NO_BODY:
            return []
        return [f"{field}: {'; '.join(msgs)}" for field, msgs in schema_errors(validator, body).items()]

    def fields(self, status: int, body: Any, base: str = "response") -> Fields:
        """The answer's violations keyed by field under `base`; an undocumented status under `status`."""
        undocumented, validator = self._lookup(status)
        if undocumented:
            return {"status": [undocumented]}
        if validator is None or body is NO_BODY:
            return {}
        return schema_errors(validator, body, base)

    def _lookup(self, status: int) -> tuple[str, Any]:
        """(why the status is not documented or "", the body validator of the status or None)."""
        key = str(status)
        if key not in self.by_status:
            key = f"{key[0]}XX"
        if key not in self.by_status:
            key = "default"
        if key not in self.by_status:
            if status in FRAMING_STATUSES:
                return "", None
            return f"status {status} is not documented for {self.operation.operation_id}", None
        return "", self.by_status[key]
