"""`Call`: one request as a vendor's routes see it; its body is read and parsed by `bodies.py`."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from starlette.datastructures import URL
from starlette.types import Receive, Scope

from .bodies import is_json_media_type, parse_json
from .core.problems import Problem, UnsupportedMediaType
from .validation import NO_BODY

if TYPE_CHECKING:
    from .core.faults import FaultRule
    from .core.ratelimit import Verdict

MiB = 1024 * 1024
_UNPARSED = object()


# What makes starlette's `request.url` differ from the raw scope (it escapes or drops these characters).
_URL_SPECIAL_PATH = re.compile(r"[?#\\\t\r\n]")
_URL_SPECIAL_QUERY = re.compile(rb"[#\t\r\n]")


def path_and_query(scope: Scope) -> tuple[str, str]:
    """starlette's `request.url.path` and `.query`, without building the URL (5 µs) when they are plain."""
    path: str = scope["path"]
    query: bytes = scope.get("query_string", b"")
    if _URL_SPECIAL_PATH.search(path) or _URL_SPECIAL_QUERY.search(query):
        url = URL(scope=scope)
        return url.path, url.query
    return path, query.decode("utf-8", "replace")


# Header names and values as text, by their bytes: a client sends the same few on every request (its
# credentials, content type, user agent, host). Decoding each once keeps the journal's header dicts small
# (they share these strings instead of holding their own copies: the dashboard's cost when nobody looks,
# docs/dashboard.md) and halves the work. Cleared when full: values that never repeat cannot grow it.
_NAMES: dict[bytes, str] = {}
_VALUES: dict[bytes, str] = {}
TEXT_CACHE_SIZE = 4096


def _learned(cache: dict[bytes, str], raw: bytes, text: str) -> str:
    if len(cache) >= TEXT_CACHE_SIZE:
        cache.clear()
    cache[raw] = text
    return text


def header_dict(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Request headers by lower-case name; the first of repeated headers wins, as in starlette's `get`."""
    names, values = _NAMES, _VALUES
    headers: dict[str, str] = {}
    for key, value in raw:  # in the order sent: the dashboard's curl line repeats them so
        name = names.get(key) or _learned(names, key, key.decode("latin-1").lower())
        if name not in headers:
            headers[name] = values.get(value) or _learned(values, value, value.decode("latin-1"))
    return headers


class Call:
    """A request on its way through auth, validation and the route's handler.

    Built straight from the ASGI scope: the hot path never builds starlette's `Request`.
    """

    __slots__ = ("_json", "caller", "fault", "headers", "method", "path", "path_params", "principal", "problem",
                 "query", "query_string", "rate", "raw_body", "receive", "replay")

    def __init__(self, scope: Scope, receive: Receive, path: str) -> None:
        self.method: str = scope["method"]
        self.path = path  # after the vendor prefix
        self.path_params: dict[str, str] = scope.get("path_params", {})
        self.headers = header_dict(scope["headers"])
        self.query_string: bytes = scope.get("query_string", b"")
        self.receive = receive
        self.query: dict[str, Any] = {}
        self.raw_body = b""
        self.principal: str | None = None  # who is calling (API key, token): scopes idempotency and limits
        self.caller: Any = None  # what the vendor's guard authenticated (its client, its API key) for the handler
        # What the walk learned (pipeline.py), kept for the journal: the fault rule that answered, the rate
        # verdict, the refusal (its `fields` name the invalid input), the Idempotency-Key of a replay.
        self.fault: FaultRule | None = None
        self.rate: Verdict | None = None
        self.problem: Problem | None = None
        self.replay: str | None = None
        self._json: Any = _UNPARSED

    def header(self, name: str) -> str | None:
        """A request header by lower-case name."""
        return self.headers.get(name)

    def json(self) -> Any:
        """The parsed body (NO_BODY when none was sent); 415/400 on a body that is not JSON."""
        if self._json is _UNPARSED:
            if not self.raw_body:
                self._json = NO_BODY
            else:
                content_type = self.headers.get("content-type", "")
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
