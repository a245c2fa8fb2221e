"""One observed exchange: the request as the client sent it and the answer as the upstream gave it."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import httpx
import orjson

from ..specs import Operation

NOT_JSON = object()


def _json(raw: bytes) -> Any:
    if not raw:
        return NOT_JSON
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return NOT_JSON


@dataclass(eq=False)
class Exchange:
    vendor: str
    method: str
    path: str  # the full path the client asked for, e.g. /gomry/api/v1/events
    rest: str  # the path after the vendor prefix, e.g. /events
    query: str
    request_headers: list[tuple[str, str]]  # as sent, names lower-case
    request_body: bytes
    started_ms: int  # wall clock (HAR's startedDateTime)
    started: float = 0.0  # time.perf_counter() when the request arrived (the journal's wall time)
    status: int = 0
    reason: str = ""
    http_version: str = "HTTP/1.1"
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    response_body: bytes = b""  # decoded (Content-Encoding undone): what rules and validation read
    truncated: bool = False  # the answer was too large to keep whole: nothing judged on its body
    duration_ms: float = 0.0
    upstream_error: str = ""  # why no answer came from the upstream (then status is the proxy's 502/504)
    operation: Operation | None = None
    path_params: dict[str, str] = field(default_factory=dict)
    violations: list[Any] = field(default_factory=list)  # what the proxy found broken (core.violations)

    def header(self, name: str) -> str | None:
        """A request header by lower-case name (the first, as servers read it)."""
        for key, value in self.request_headers:
            if key == name:
                return value
        return None

    def response_header(self, name: str) -> str | None:
        for key, value in self.response_headers:
            if key.lower() == name:
                return value
        return None

    @property
    def label(self) -> str:
        """`POST /events/{eventId}/attendees`: the spec operation, or the raw path when none matched."""
        return f"{self.method} {self.operation.path if self.operation else self.rest}"

    @cached_property
    def request_json(self) -> Any:
        return _json(self.request_body)

    @cached_property
    def response_json(self) -> Any:
        return _json(self.response_body) if not self.truncated else NOT_JSON

    def as_httpx(self) -> httpx.Response:
        """The answer as an httpx response (what the contract checker's rules compare)."""
        # The body is already decoded: its encoding and length headers no longer describe it.
        headers = [(k, v) for k, v in self.response_headers if k.lower() not in ("content-encoding", "content-length")]
        return httpx.Response(self.status, headers=headers, content=self.response_body,
                              request=httpx.Request(self.method, "http://upstream" + self.rest))
