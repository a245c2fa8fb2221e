"""JSON responses serialised with orjson (the fakes' bodies are plain dicts and lists)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import orjson
from starlette.responses import Response

from .core.jsonbytes import dumps

_CONTENT_TYPE = (b"content-type", b"application/json")


class JSONResponse(Response):
    media_type = "application/json"

    def __init__(self, content: Any, status_code: int = 200, headers: Mapping[str, str] | None = None) -> None:
        if headers is not None:
            super().__init__(content, status_code, headers)
            return
        # starlette's `init_headers` for the one case every answer of a fake is: the same two headers, in
        # its order (the journal's `response_headers` counts on it), without its general path.
        self.status_code = status_code
        self.background = None
        body = self.body = self.render(content)
        if status_code < 200 or status_code in (204, 304):
            self.raw_headers = [_CONTENT_TYPE]
        else:
            self.raw_headers = [(b"content-length", str(len(body)).encode()), _CONTENT_TYPE]

    def render(self, content: Any) -> bytes:
        try:
            return dumps(content)
        except orjson.JSONEncodeError:
            # orjson stops at 64-bit integers; a client may store a bigger one in a free-form field
            # (Planhat `custom`), and echoing it back must not be a 500.
            return json.dumps(content, allow_nan=False, separators=(",", ":")).encode()


# What every handler calls: the class itself (a wrapper function passing keywords on was a fifth of a small
# answer's cost).
json_response = JSONResponse
