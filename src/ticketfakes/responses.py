"""JSON responses serialised with orjson (the fakes' bodies are plain dicts and lists)."""

from __future__ import annotations

import json
from typing import Any

import orjson
from starlette.responses import Response

from .core.jsonbytes import dumps


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        try:
            return dumps(content)
        except orjson.JSONEncodeError:
            # orjson stops at 64-bit integers; a client may store a bigger one in a free-form field
            # (Planhat `custom`), and echoing it back must not be a 500.
            return json.dumps(content, allow_nan=False, separators=(",", ":")).encode()


def json_response(content: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(content, status_code=status_code, headers=headers)
