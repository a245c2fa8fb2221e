"""Idempotency-Key replay, written once for every fake that honours the header.

A key is scoped (Gomry: per API key) and lives `ttl_ms` by the fake clock. The first request with a key
runs; a repeat gets the stored status, headers and body verbatim; a repeat while the first is still
running is told so (the caller renders the vendor's 409). A response that is not stored (5xx) frees the
key, so a retry runs again.
"""

from __future__ import annotations

import base64
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from .clock import Clock

DAY_MS = 24 * 60 * 60 * 1000


@dataclass(slots=True)
class StoredResponse:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


class InFlight:
    """Marker: the first request with this key has not finished."""


IN_FLIGHT = InFlight()


@dataclass(slots=True)
class _Entry:
    expires_at_ms: int
    response: StoredResponse | None  # None while running


class IdempotencyStore:
    def __init__(self, clock: Clock, ttl_ms: int = DAY_MS) -> None:
        self.clock = clock
        self.ttl_ms = ttl_ms
        self._entries: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def begin(self, scope: str, key: str) -> StoredResponse | InFlight | None:
        """None: the caller runs the request and must call `finish`. Otherwise replay or in-flight."""
        now = self.clock.now_ms()
        with self._lock:
            self._purge(now)
            entry = self._entries.get((scope, key))
            if entry is not None and entry.expires_at_ms > now:
                return IN_FLIGHT if entry.response is None else entry.response
            self._entries.pop((scope, key), None)
            self._entries[(scope, key)] = _Entry(now + self.ttl_ms, None)
            return None

    def finish(self, scope: str, key: str, response: StoredResponse | None) -> None:
        """Store the outcome, or forget the key (`response=None`) so a retry runs again."""
        with self._lock:
            if response is None:
                self._entries.pop((scope, key), None)
                return
            entry = self._entries.get((scope, key))
            if entry is not None:
                entry.response = response

    def _purge(self, now: int) -> None:
        # Entries are kept in insertion order with one TTL, so expired ones sit at the front.
        while self._entries:
            key, entry = next(iter(self._entries.items()))
            if entry.expires_at_ms > now or entry.response is None:
                break
            del self._entries[key]

    def clear(self, scope_prefix: str = "") -> None:
        with self._lock:
            for key in [k for k in self._entries if k[0].startswith(scope_prefix)]:
                del self._entries[key]

    def dump(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {
                    "scope": scope,
                    "key": key,
                    "expires_at_ms": entry.expires_at_ms,
                    "status": entry.response.status,
                    "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in entry.response.headers],
                    "body": base64.b64encode(entry.response.body).decode(),
                }
                for (scope, key), entry in self._entries.items()
                if entry.response is not None
            ]

    @staticmethod
    def parse(records: Any) -> OrderedDict[tuple[str, str], _Entry]:
        """Validate a dump (ValueError on a malformed one) without touching the live store."""
        if not isinstance(records, list):
            raise ValueError("idempotency: expected a list")
        entries: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
        for i, record in enumerate(records):
            try:
                response = StoredResponse(
                    int(record["status"]),
                    [(k.encode("latin-1"), v.encode("latin-1")) for k, v in record["headers"]],
                    base64.b64decode(record["body"], validate=True),
                )
                entries[(str(record["scope"]), str(record["key"]))] = _Entry(
                    int(record["expires_at_ms"]), response
                )
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise ValueError(f"idempotency[{i}]: {exc}") from None
        return entries

    def restore(self, entries: OrderedDict[tuple[str, str], _Entry]) -> None:
        with self._lock:
            self._entries = entries
