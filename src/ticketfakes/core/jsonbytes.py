"""JSON serialisation for bytes that are kept: answers (the journal and the replay store keep them) and
the answer caches of the fakes."""

from __future__ import annotations

from typing import Any

import orjson

RIGHT_SIZED_UP_TO = 16 * 1024


def dumps(value: Any) -> bytes:
    """`orjson.dumps`, right-sized.

    orjson returns its whole growth buffer as the bytes object: a 700-byte ticket kept ~8 KiB of resident
    memory, a 7-byte `{"a":1}` 4 KiB. A copy of the exact size costs well under a microsecond for the
    usual answer and turns those into what they hold. A big body's spare room is a few percent of it (and
    pages never written stay virtual), while the copy is a pass over fresh memory: those are kept as made.
    """
    encoded = orjson.dumps(value)
    return encoded if len(encoded) > RIGHT_SIZED_UP_TO else memoryview(encoded).tobytes()
