"""The request journal: a bounded ring of what clients sent and got, newest first on read."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .faults import FaultRule
    from .problems import Problem
    from .ratelimit import Verdict

BODY_PREVIEW_BYTES = 64 * 1024
# Bodies over the preview size are kept whole, by reference, while the journal's share of such bodies
# stays under this; past it they are cut to the preview. Cutting means a copy (7 µs for a 100-ticket list
# page, an eighth of its time), keeping them means memory: this bounds it.
BIG_BODY_BUDGET = 64 * 1024 * 1024
# perf_counter() + this = the wall clock (in seconds), fixed at start-up: a journaled request's wall time
# costs no clock call of its own.
_WALL_MINUS_PERF = time.time() - time.perf_counter()


def preview(body: bytes) -> bytes:
    """What is shown of a body: its first 64 KiB, and one byte more to tell that it goes on."""
    return body if len(body) <= BODY_PREVIEW_BYTES else body[: BODY_PREVIEW_BYTES + 1]


_PLAIN_JSON = (b"content-type", b"application/json")


def response_headers(raw: list[tuple[bytes, bytes]], body: bytes) -> list[tuple[bytes, bytes]] | None:
    """What the journal keeps of an answer's headers: None for a plain JSON answer (content-length and
    content-type only), whose headers its body implies; keeping them cost 5% of a small request."""
    if len(raw) == 2 and raw[1] == _PLAIN_JSON and len(body) <= BODY_PREVIEW_BYTES:
        return None
    return raw


def _shown(kept: bytes) -> str | None:
    if not kept:
        return None
    text = kept[:BODY_PREVIEW_BYTES].decode("utf-8", errors="replace")
    return text + ("…" if len(kept) > BODY_PREVIEW_BYTES else "")


@dataclass(slots=True)
class Entry:
    at_ms: int
    vendor: str
    method: str
    path: str
    query: str
    status: int
    duration_ms: float
    validation_errors: dict[str, list[str]] = field(default_factory=dict)
    request_body: bytes = b""
    response_body: bytes = b""
    # Kept by reference, read only when someone reads the journal (docs/dashboard.md): the request's and
    # the response's headers, what the call learned when it explains a refusal or a replay (the fault rule
    # that answered, the rate verdict, the refusing problem, the replayed Idempotency-Key) and the
    # pipeline that served it (its operation's schema finds unknown fields).
    request_headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names, first value wins
    response_headers: Sequence[tuple[bytes, bytes]] | None = ()  # None: a plain JSON answer's two
    source: Any = None
    started: float = 0.0  # time.perf_counter() when the request arrived: the wall time, without a clock call
    # Set after construction, when they explain the answer (every request builds an entry: the fields
    # above are given by position, a fifth of the cost of naming them).
    fault: FaultRule | None = None
    rate: Verdict | None = None
    problem: Problem | None = None
    replay: str | None = None
    big_bytes: int = 0  # set by the journal: what of `BIG_BODY_BUDGET` its whole bodies hold
    id: int = 0  # set by the journal: increases by one per recorded request, never reused

    def answer_headers(self) -> Sequence[tuple[bytes, bytes]]:
        if self.response_headers is None:
            return [(b"content-length", str(len(self.response_body)).encode()), _PLAIN_JSON]
        return self.response_headers

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at_ms": self.at_ms,
            "wall_ms": int((self.started + _WALL_MINUS_PERF) * 1000),
            "vendor": self.vendor,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "status": self.status,
            "duration_ms": round(self.duration_ms, 3),
            "validation_errors": self.validation_errors,
            "request_body": _shown(self.request_body),
            "response_body": _shown(self.response_body),
        }


class Journal:
    def __init__(self, capacity: int = 1000) -> None:
        self._entries: deque[Entry] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self._last_id = 0
        self._big_bytes = 0  # bodies over the preview size kept whole (BIG_BODY_BUDGET)

    def record(self, entry: Entry) -> None:
        """Keep `entry`, its bodies as given (whole); a body over the preview size is cut to it once the
        whole bodies kept pass `BIG_BODY_BUDGET`."""
        with self._lock:
            self._last_id += 1
            entry.id = self._last_id
            entries = self._entries
            if len(entries) == entries.maxlen:
                if not entries:
                    return  # TICKETFAKES_JOURNAL_SIZE=0: nothing is kept
                self._big_bytes -= entries[0].big_bytes  # about to fall out of the ring
            if len(entry.request_body) > BODY_PREVIEW_BYTES or len(entry.response_body) > BODY_PREVIEW_BYTES:
                self._keep_big(entry)
            entries.append(entry)

    def _keep_big(self, entry: Entry) -> None:
        for name in ("request_body", "response_body"):
            body: bytes = getattr(entry, name)
            if len(body) > BODY_PREVIEW_BYTES:
                if self._big_bytes + len(body) <= BIG_BODY_BUDGET:
                    self._big_bytes += len(body)
                    entry.big_bytes += len(body)
                else:
                    setattr(entry, name, preview(body))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._big_bytes = 0

    def query(
        self,
        vendor: str | None = None,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        limit: int = 100,
        after: int = 0,
        status_class: str | None = None,
    ) -> list[Entry]:
        with self._lock:
            entries = list(self._entries)
        found = []
        for entry in reversed(entries):
            if entry.id <= after:
                break  # older entries only from here on
            if vendor and entry.vendor != vendor:
                continue
            if method and entry.method != method.upper():
                continue
            if path and path not in entry.path:
                continue
            if status is not None and entry.status != status:
                continue
            if status_class and str(entry.status)[0] != status_class[0]:
                continue
            found.append(entry)
            if len(found) >= limit:
                break
        return found

    def find(self, predicate: Any, before: int) -> Entry | None:
        """The newest entry older than id `before` that `predicate` accepts."""
        with self._lock:
            entries = list(self._entries)
        for entry in reversed(entries):
            if entry.id < before and predicate(entry):
                return entry
        return None
