"""`Admin`: a small typed client for the control plane, for tests and scripts."""

from __future__ import annotations

from typing import Any

import httpx


class Admin:
    def __init__(self, url: str, client: httpx.Client | None = None) -> None:
        self.url = url.rstrip("/") + "/_admin"
        self.http = client or httpx.Client(timeout=30.0)

    def _call(self, method: str, path: str, json: Any = None, params: Any = None) -> Any:
        response = self.http.request(method, self.url + path, json=json, params=params)
        response.raise_for_status()
        return response.json() if response.content else None

    def reset(self, vendor: str | None = None, fixtures: str | None = None) -> list[str]:
        body = {k: v for k, v in {"vendor": vendor, "fixtures": fixtures}.items() if v is not None}
        return self._call("POST", "/reset", json=body)["reset"]

    def state(self, vendor: str | None = None) -> dict[str, Any]:
        return self._call("GET", f"/state/{vendor}" if vendor else "/state")

    def restore(self, dump: dict[str, Any]) -> None:
        self._call("PUT", "/state", json=dump)

    def clock(self) -> dict[str, Any]:
        return self._call("GET", "/clock")

    def advance(self, ms: int) -> dict[str, Any]:
        return self._call("POST", "/clock", json={"advance_ms": ms})

    def set_clock(self, ms: int) -> dict[str, Any]:
        return self._call("POST", "/clock", json={"set_ms": ms})

    def freeze(self, frozen: bool = True) -> dict[str, Any]:
        return self._call("POST", "/clock", json={"frozen": frozen})

    def close(self) -> None:
        self.http.close()
