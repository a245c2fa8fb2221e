"""JSON request bodies, with the framing rules of docs/decisions.md: read, typed and parsed once.

Bodies are JSON only: another content type -> 415; malformed JSON, non-UTF-8, a BOM, NaN/Infinity,
duplicate keys, lone surrogate escapes, numbers out of range or nesting too deep -> 400. All of that is
decided here, once. Integral numbers (`2.0`) reach the fakes as ints.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from starlette.requests import ClientDisconnect
from starlette.types import Receive

from .core.problems import BadRequest, PayloadTooLarge
from .validation import JSON_MEDIA_TYPE

INT64 = 2**63
# Deeper bodies -> 400. MongoDB (Planhat's store) refuses documents nested over 100 levels; past that, a
# fake's recursive copy or orjson (255 levels) would fail on a stored value, long after it was accepted.
MAX_DEPTH = 100


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


def _finite_float(text: str) -> float | int:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number {text[:20]} is out of range")
    # JSON Schema calls 2.0 an integer, so it passes `type: integer`: hand the models the int it means
    # (a float there breaks range() and slicing, and makes every later timestamp print as 1.7e12-style).
    if value.is_integer() and -INT64 <= value < INT64:
        return int(value)
    return value


# A JSON `\ud800` escape (a UTF-16 surrogate) is the only way a body can smuggle text that is not Unicode.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _has_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:  # iterative: the value may be nested as deep as the parser allowed
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _deeper_than(value: Any, limit: int) -> bool:
    level = [value] if isinstance(value, (dict, list)) else []
    depth = 1
    while level:  # level by level, iteratively: ~20 ms for Planhat's 5000-item bulk body
        if depth > limit:
            return True
        below: list[Any] = []
        for item in level:
            below += [c for c in (item.values() if type(item) is dict else item) if type(c) in (dict, list)]
        level = below
        depth += 1
    return False


def parse_json(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("Request body is not valid UTF-8", fields={"body": ["not UTF-8"]}) from None
    value = _parse_text(text)
    # Bracket count bounds the depth: only bodies with more brackets than MAX_DEPTH pay for the walk.
    if text.count("[") + text.count("{") > MAX_DEPTH and _deeper_than(value, MAX_DEPTH):
        raise BadRequest(f"Malformed JSON: nested deeper than {MAX_DEPTH} levels",
                         fields={"body": [f"nested deeper than {MAX_DEPTH} levels"]})
    # Paired surrogates decode to one character; a lone one would be stored, then break every response
    # that echoes it (UTF-8 cannot encode it). Only bodies that contain such an escape pay for the walk.
    if "\\u" in text and _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(value):
        raise BadRequest("Malformed JSON: lone UTF-16 surrogate in a string",
                         fields={"body": ["lone UTF-16 surrogate escape"]})
    return value


# One decoder for every body: `json.loads` with hooks builds a new one per call (half the parse of a small body).
_DECODER = json.JSONDecoder(
    object_pairs_hook=_no_duplicate_keys, parse_constant=_reject_constant, parse_float=_finite_float
)


def _parse_text(text: str) -> Any:
    try:
        if text.startswith("\ufeff"):  # what json.loads refuses before decoding
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        return _DECODER.decode(text)
    except RecursionError:
        raise BadRequest("Malformed JSON: nested too deeply", fields={"body": ["nested too deeply"]}) from None
    except ValueError as exc:
        reason = str(exc).splitlines()[0][:200]
        raise BadRequest(f"Malformed JSON: {reason}", fields={"body": [reason]}) from None


def is_json_media_type(content_type: str) -> bool:
    if content_type == JSON_MEDIA_TYPE:  # what nearly every client sends: skip the parse
        return True
    media_type, _, params = content_type.partition(";")
    if media_type.strip().lower() != JSON_MEDIA_TYPE:
        return False
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            return False
    return True


async def read_body(receive: Receive, declared_length: str | None, limit: int) -> bytes:
    """The whole body, refusing (413) anything over `limit` before reading it all."""
    if declared_length is not None:
        try:
            size = int(declared_length)
        except ValueError:
            raise BadRequest("Invalid Content-Length header") from None
        if size > limit:
            raise PayloadTooLarge(f"Request body exceeds {limit} bytes")
    chunks = []
    received = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        received += len(chunk)
        if received > limit:
            raise PayloadTooLarge(f"Request body exceeds {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)
