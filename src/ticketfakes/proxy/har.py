"""`--record FILE.har`: the proxied traffic as HAR 1.2, the format browsers' developer tools import.

Written as it happens (one entry per exchange, flushed), closed on shutdown; secrets are masked
(docs/proxy.md). The URL is the one the client asked for (prefix included: `ticketfakes fixtures from-har`
finds the vendor by it); `_upstream` and `_vendor` (custom fields, allowed by HAR with a leading
underscore) say where it went.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qsl

from ..core.jsonbytes import dumps
from ..fakes import registered
from .exchange import Exchange

MASKED = "[masked by ticketfakes]"
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})  # and each fake's `secret_headers`


@cache
def secret_headers() -> frozenset[str]:
    return SECRET_HEADERS.union(*(fake.secret_headers for fake in registered()))


def masked(headers: list[tuple[str, str]]) -> list[dict[str, str]]:
    secret = secret_headers()
    return [{"name": name, "value": MASKED if name.lower() in secret else value} for name, value in headers]


def _mime(headers: list[tuple[str, str]]) -> str:
    return next((v for k, v in headers if k.lower() == "content-type"), "")


def _content(body: bytes, mime: str) -> dict[str, Any]:
    content: dict[str, Any] = {"size": len(body), "mimeType": mime}
    if body:
        try:
            content["text"] = body.decode("utf-8")
        except UnicodeDecodeError:
            content["text"] = base64.b64encode(body).decode("ascii")
            content["encoding"] = "base64"
    return content


def entry(exchange: Exchange, base_url: str, upstream_url: str, wait_ms: float) -> dict[str, Any]:
    """One HAR 1.2 entry: every field the spec requires (unknown sizes are -1, as it says)."""
    url = base_url + exchange.path + (f"?{exchange.query}" if exchange.query else "")
    request: dict[str, Any] = {
        "method": exchange.method,
        "url": url,
        "httpVersion": exchange.http_version,
        "cookies": [],
        "headers": masked(exchange.request_headers),
        "queryString": [{"name": k, "value": v} for k, v in parse_qsl(exchange.query, keep_blank_values=True)],
        "headersSize": -1,
        "bodySize": len(exchange.request_body),
    }
    if exchange.request_body:
        content = _content(exchange.request_body, _mime(exchange.request_headers))
        request["postData"] = {"mimeType": content["mimeType"], "text": content.get("text", "")}
    receive = max(exchange.duration_ms - wait_ms, 0.0)
    return {
        "startedDateTime": datetime.fromtimestamp(exchange.started_ms / 1000, UTC).isoformat(timespec="milliseconds"),
        "time": round(exchange.duration_ms, 3),
        "request": request,
        "response": {
            "status": exchange.status,
            "statusText": exchange.reason,
            "httpVersion": exchange.http_version,
            "cookies": [],
            "headers": masked(exchange.response_headers),
            "content": _content(exchange.response_body, _mime(exchange.response_headers)),
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1 if exchange.truncated else len(exchange.response_body),
        },
        "cache": {},
        "timings": {"blocked": -1, "dns": -1, "connect": -1, "send": 0, "wait": round(wait_ms, 3),
                    "receive": round(receive, 3), "ssl": -1},
        "_vendor": exchange.vendor,
        "_upstream": upstream_url,
    }


class HarWriter:
    """Streams entries into `path`: the file is a complete HAR document once `close` ran."""

    def __init__(self, path: str | Path, version: str) -> None:
        self.path = Path(path)
        self._file: IO[bytes] | None = self.path.open("wb")
        creator = dumps({"name": "ticketfakes proxy", "version": version})
        self._file.write(b'{"log":{"version":"1.2","creator":' + creator + b',"pages":[],"entries":[\n')
        self._count = 0

    def write(self, item: dict[str, Any]) -> None:
        if self._file is None:
            return
        self._file.write((b",\n" if self._count else b"") + dumps(item))
        self._file.flush()
        self._count += 1

    def close(self) -> None:
        if self._file is not None:
            self._file.write(b"\n]}}\n")
            self._file.close()
            self._file = None

    @property
    def count(self) -> int:
        return self._count
