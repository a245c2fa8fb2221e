"""`Admin`: a small typed client for the control plane, for tests and scripts."""

from __future__ import annotations

from typing import Any

import httpx


class AdminError(httpx.HTTPStatusError):
    """The control plane refused a call; the message is the server's own (`rules.0.status: ...`)."""

    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        try:
            self.body: Any = response.json()
        except ValueError:
            self.body = response.text
        detail = self.body.get("error") if isinstance(self.body, dict) else None
        request = response.request
        reason = detail or self.body or response.reason_phrase
        message = f"{request.method} {request.url.path} answered {response.status_code}: {reason}"
        super().__init__(message, request=request, response=response)


class Admin:
    """The control plane of one namespace: `default` (the server's root URL), or `namespace`, or whatever
    namespace a `.../ns/{name}` URL names (docs/namespaces.md)."""

    def __init__(self, url: str, client: httpx.Client | None = None, namespace: str | None = None) -> None:
        self.root = url.rstrip("/")
        if namespace is not None:
            self.root += f"/ns/{namespace}"
        self.url = self.root + "/_admin"
        self.http = client or httpx.Client(timeout=30.0)

    def _call(self, method: str, path: str, json: Any = None, params: Any = None) -> Any:
        response = self.http.request(method, self.url + path, json=json, params=params)
        if response.is_error:
            raise AdminError(response)
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

    def requests(self, **filters: Any) -> list[dict[str, Any]]:
        """The journal, newest first; filters: vendor, method, path, status, limit."""
        return self._call("GET", "/requests", params=filters)["requests"]

    def clear_requests(self) -> None:
        self._call("DELETE", "/requests")

    def outbox(self) -> list[dict[str, Any]]:
        return self._call("GET", "/gomry/outbox")["messages"]

    def profiles(self, org_id: str) -> list[dict[str, str]]:
        return self._call("GET", f"/talque/orgs/{org_id}/profiles")["profiles"]

    def check_in(self, org_id: str, org_ticket_id: str, at_ms: int | None = None) -> dict[str, Any]:
        body = {} if at_ms is None else {"at_ms": at_ms}
        return self._call("POST", f"/talque/orgs/{org_id}/tickets/{org_ticket_id}/check-ins", json=body)

    def faults(self, *rules: dict[str, Any]) -> list[dict[str, Any]]:
        """Replace every fault rule (none: clear them)."""
        return self._call("PUT", "/faults", json={"rules": list(rules)})["rules"]

    def rate_limits(self, **enabled: bool) -> dict[str, bool]:
        return self._call("PUT", "/rate-limits", json=enabled)

    # -- namespaces: the server's, the same from any namespace's control plane -------------------------
    def namespaces(self) -> list[dict[str, Any]]:
        """Every namespace: name, created_ms, last_used_ms, requests, approx_bytes."""
        return self._call("GET", "/namespaces")["namespaces"]

    def put_namespace(
        self, name: str, fixtures: str | None = None, state: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Create namespace `name` (or renew it in place) from the server's fixture file, another fixture
        file the server can read, or a state dump."""
        body = {k: v for k, v in {"fixtures": fixtures, "state": state}.items() if v is not None}
        return self._call("PUT", f"/namespaces/{name}", json=body)

    def delete_namespace(self, name: str) -> None:
        self._call("DELETE", f"/namespaces/{name}")

    def close(self) -> None:
        self.http.close()
