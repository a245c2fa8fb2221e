"""Opaque identifiers: a vendor-style prefix plus random base62 characters."""

from __future__ import annotations

import os
import random
import string

_ALPHABET = (string.ascii_letters + string.digits).encode()
# Byte -> base62 character in one C-level translate: ids are minted on every write, and a per-character
# `secrets.choice` (one urandom call each) was half the cost of a 100-ticket webhook.
_TO_BASE62 = bytes(_ALPHABET[b % len(_ALPHABET)] for b in range(256))
# Opaque, not secret: a generator seeded from the OS once. `os.urandom` is a system call per id, several
# per created ticket; these bits cost well under half of one.
_BITS = random.Random(os.urandom(32)).getrandbits


def new_id(prefix: str = "", length: int = 16) -> str:
    """`new_id("tkt_")` -> `tkt_4fQ0x...`: 16 random base62 characters (~95 bits), never reused in practice."""
    return prefix + _BITS(length * 8).to_bytes(length, "little").translate(_TO_BASE62).decode("ascii")
