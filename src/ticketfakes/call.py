"""`Call`: one request as a vendor's routes see it, with the JSON body framing rules of DESIGN.md.

Bodies are JSON only: another content type -> 415; malformed JSON, non-UTF-8, a BOM, NaN/Infinity,
duplicate keys, numbers out of range or nesting too deep -> 400. All of that is decided here, once.
"""

from __future__ import annotations

import json
import math
from typing import Any

from starlette.requests import Request

from .core.problems import BadRequest, PayloadTooLarge, UnsupportedMediaType
from .validation import JSON_MEDIA_TYPE, NO_BODY

MiB = 1024 * 1024

_UNPARSED = object()


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate key {key!r}")
            seen.add(key)
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number {text[:20]} is out of range")
    return value


def parse_json(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("Request body is not valid UTF-8", fields={"body": ["not UTF-8"]}) from None
    try:
        return json.loads(
            text,
            object_pairs_hook=_no_duplicate_keys,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
        )
    except RecursionError:
        raise BadRequest("Malformed JSON: nested too deeply", fields={"body": ["nested too deeply"]}) from None
    except ValueError as exc:
        reason = str(exc).splitlines()[0][:200]
        raise BadRequest(f"Malformed JSON: {reason}", fields={"body": [reason]}) from None


def is_json_media_type(content_type: str) -> bool:
    media_type, _, params = content_type.partition(";")
    if media_type.strip().lower() != JSON_MEDIA_TYPE:
        return False
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            return False
    return True


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refusing (413) anything over `limit` before reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise BadRequest("Invalid Content-Length header") from None
        if size > limit:
            raise PayloadTooLarge(f"Request body exceeds {limit} bytes")
    chunks = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise PayloadTooLarge(f"Request body exceeds {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


class Call:
    """A request on its way through auth, validation and the route's handler."""

    __slots__ = ("_json", "context", "path", "path_params", "principal", "query", "raw_body", "request")

    def __init__(self, request: Request, path: str) -> None:
        self.request = request
        self.path = path  # after the vendor prefix
        self.path_params: dict[str, str] = request.path_params
        self.query: dict[str, Any] = {}
        self.raw_body = b""
        self.principal: str | None = None  # who is calling (API key, token): scopes idempotency and limits
        self.context: dict[str, Any] = {}
        self._json: Any = _UNPARSED

    def header(self, name: str) -> str | None:
        return self.request.headers.get(name)

    def json(self) -> Any:
        """The parsed body (NO_BODY when none was sent); 415/400 on a body that is not JSON."""
        if self._json is _UNPARSED:
            if not self.raw_body:
                self._json = NO_BODY
            else:
                content_type = self.request.headers.get("content-type", "")
                if not is_json_media_type(content_type):
                    raise UnsupportedMediaType(
                        f"Content-Type must be application/json, got {content_type[:100] or 'none'}"
                    )
                self._json = parse_json(self.raw_body)
        return self._json

    @property
    def body(self) -> Any:
        """The parsed body, None when none was sent."""
        value = self.json()
        return None if value is NO_BODY else value
