"""Pagination shared by the fakes: signed opaque cursors (talque), page numbers (Gomry), offsets (Planhat)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
from dataclasses import dataclass
from typing import Any

import orjson

from .problems import BadRequest


class CursorCodec:
    """Opaque, tamper-evident cursors: base64url(JSON payload) + "." + a 96-bit keyed BLAKE2b tag.

    The payload says where the next page starts and what it belongs to (org, filter, snapshot), so a
    cursor edited by hand, or replayed against another org or filter, is refused with a 400.
    """

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _sign(self, body: bytes) -> str:
        # BLAKE2's keyed mode is a MAC of its own (RFC 7693): a third of HMAC-SHA256 through OpenSSL 3.
        digest = hashlib.blake2b(body, key=self._secret, digest_size=12).digest()
        return base64.urlsafe_b64encode(digest).decode()  # 12 bytes: 16 characters, no padding

    def encode(self, payload: dict[str, Any]) -> str:
        body = base64.urlsafe_b64encode(orjson.dumps(payload)).rstrip(b"=")
        return f"{body.decode()}.{self._sign(body)}"

    def decode(self, cursor: str, field: str = "cursor") -> dict[str, Any]:
        body, _, signature = cursor.partition(".")
        try:
            raw = body.encode("ascii")
        except UnicodeEncodeError:
            raw = b""
        if not raw or not hmac.compare_digest(self._sign(raw), signature):
            raise BadRequest("Invalid cursor", fields={field: ["invalid or tampered cursor"]})
        try:
            payload = json.loads(base64.urlsafe_b64decode(raw + b"=" * (-len(raw) % 4)))
        except ValueError:
            raise BadRequest("Invalid cursor", fields={field: ["invalid cursor"]}) from None
        if not isinstance(payload, dict):
            raise BadRequest("Invalid cursor", fields={field: ["invalid cursor"]})
        return payload


@dataclass(frozen=True)
class PageWindow:
    """Page-number pagination (1-based) over `total` items."""

    page: int
    page_size: int
    total: int

    @property
    def total_pages(self) -> int:
        return math.ceil(self.total / self.page_size) if self.total else 0

    @property
    def start(self) -> int:
        return (self.page - 1) * self.page_size

    @property
    def stop(self) -> int:
        return self.start + self.page_size

    def as_dict(self) -> dict[str, int]:
        return {
            "total": self.total,
            "page": self.page,
            "page_size": self.page_size,
            "total_pages": self.total_pages,
        }
