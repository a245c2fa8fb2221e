"""Opaque identifiers: a vendor-style prefix plus random base62 characters."""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str = "", length: int = 16) -> str:
    """`new_id("tkt_")` -> `tkt_4fQ0x...`; unguessable, never reused within a process."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))
