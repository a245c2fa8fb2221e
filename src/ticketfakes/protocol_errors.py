"""Requests uvicorn cannot parse (broken request line, `Content-Length: 2x`, ...) answered in JSON.

uvicorn answers those itself, before any app sees them, with a plain-text 400. `JSONHttpToolsProtocol`
is uvicorn's httptools protocol with only that answer changed: the same 400 and `connection: close`,
with a body in the error shape of the prefix the request line named (when it got that far).
"""

from __future__ import annotations

from typing import Any

from .app import shape_for
from .core.jsonbytes import dumps
from .core.problems import BadRequest

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools missing (uvicorn[standard] could not install it): keep uvicorn's default
    HttpToolsProtocol = None  # type: ignore[assignment,misc]

MESSAGE = "Invalid HTTP request received."


def error_body(raw_target: bytes) -> bytes:
    path = raw_target.split(b"?", 1)[0].decode("latin-1")
    _, shape = shape_for(path)
    problem = BadRequest(MESSAGE, code="bad_request")
    return dumps(shape(problem))


def http_protocol() -> Any:
    """What `uvicorn.Config(http=...)` should get: this module's protocol, or "auto" without httptools."""
    return JSONHttpToolsProtocol if HttpToolsProtocol is not None else "auto"


if HttpToolsProtocol is not None:

    class JSONHttpToolsProtocol(HttpToolsProtocol):  # type: ignore[misc,valid-type]
        def send_400_response(self, msg: str) -> None:
            body = error_body(getattr(self, "url", b"") or b"")
            content = [b"HTTP/1.1 400 Bad Request\r\n"]
            for name, value in self.server_state.default_headers:
                content.extend([name, b": ", value, b"\r\n"])
            content.extend([
                b"content-type: application/json\r\n",
                b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
                b"connection: close\r\n",
                b"\r\n",
                body,
            ])
            self.transport.write(b"".join(content))
            self.transport.close()
