"""Where the checks send requests, and the record of what they sent.

A `Target` is one vendor's base URL with one credential, reached either over HTTP (a sync
`httpx.Client`) or in-process (starlette's `TestClient`, itself an `httpx.Client`, over the ASGI app:
no socket). Every request goes through `Target.request`, which appends it to the `Recorder` of the
check being run; a failing check renders that sequence as curl lines to reproduce it.
"""

from __future__ import annotations

import json
import threading
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from .reproduce import IN_PROCESS_ROOT, SERVED_ROOT, Recorded

__all__ = ["IN_PROCESS_ROOT", "SERVED_ROOT", "Recorded", "Recorder", "Target"]

# What an in-process run's reproductions point at (a default `ticketfakes serve`): see reproduce.py.
UNSET: Any = object()


class Recorder:
    """The requests of the check being run, in the order they were sent (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[Recorded] = []

    def clear(self) -> None:
        with self._lock:
            self._entries = []

    def add(self, entry: Recorded) -> None:
        with self._lock:
            self._entries.append(entry)

    def snapshot(self) -> list[Recorded]:
        with self._lock:
            return list(self._entries)


def in_process_client(app: Any) -> httpx.Client:
    """An httpx client on the ASGI `app` (server errors come back as responses, as over HTTP)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starlette nudges towards httpx2; httpx is what we have
        from starlette.testclient import TestClient

    return TestClient(app, base_url=IN_PROCESS_ROOT, raise_server_exceptions=False)


def http_client(timeout: float = 30.0) -> httpx.Client:
    return httpx.Client(timeout=timeout, follow_redirects=False)


class Target:
    """One vendor's base URL with one credential; every request is recorded."""

    def __init__(self, client: httpx.Client, base_url: str, headers: Mapping[str, str], recorder: Recorder,
                 observer: Callable[[str, str, int | None], None] | None = None) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.headers = dict(headers)
        self.recorder = recorder
        self.observer = observer  # told (method, path, status) of every `request` (the rules' requests)

    def with_headers(self, headers: Mapping[str, str]) -> Target:
        """The same base URL and recorder with another credential (e.g. another tenant's key)."""
        return Target(self.client, self.base_url, headers, self.recorder, self.observer)

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = UNSET,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str | None] | None = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        """Send `method base_url+path`; `headers` add to the credential (None removes a header)."""
        merged: dict[str, str] = dict(self.headers)
        for name, value in (headers or {}).items():
            for existing in [key for key in merged if key.lower() == name.lower()]:
                del merged[existing]
            if value is not None:
                merged[name] = value
        if json_body is not UNSET:
            content = json.dumps(json_body, separators=(",", ":"), ensure_ascii=False).encode()
            if not any(key.lower() == "content-type" for key in merged):
                merged["Content-Type"] = "application/json"
        response = self.send(method, self.base_url + path, params=params, headers=merged, content=content)
        if self.observer is not None:
            self.observer(method, path.split("?", 1)[0], response.status_code)
        return response

    def send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        """Send to an absolute URL (what a schemathesis case serialises to) and record it."""
        request = self.client.build_request(method, url, params=params, headers=headers, content=content)
        try:
            response = self.client.send(request)
        except httpx.HTTPError:
            self.recorder.add(_recorded(request, None))
            raise
        self.recorder.add(_recorded(request, response.status_code))
        return response

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = UNSET, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, json_body=body, **kwargs)


def _recorded(request: httpx.Request, status: int | None) -> Recorded:
    body = request.content if isinstance(request.stream, httpx.ByteStream) else b""
    return Recorded(request.method, str(request.url), tuple(request.headers.items()), body, status)
