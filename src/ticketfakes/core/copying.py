"""Private copies of one object graph, made fast: the graph is pickled once, each copy is an unpickling.

A fixture file's built state is copied for every reset and every new namespace (docs/namespaces.md,
"Cost"). Unpickling rebuilds the graph in C, keeps which objects are shared (a record and the indexes that
point to it stay one object), and, unlike a restore, checks nothing: the graph was built and checked once.

Frozen dataclasses are not copied but shared between all copies: they hold only immutable values here
(ids, tuples, frozensets), and copying them would cost a Python call each. So are `orjson.Fragment`s
(immutable JSON a record may cache), which cannot be pickled.
"""

from __future__ import annotations

import io
import pickle
from typing import Any

import orjson


def _is_shared(obj: Any) -> bool:
    if isinstance(obj, orjson.Fragment):
        return True
    params = getattr(type(obj), "__dataclass_params__", None)
    return params is not None and params.frozen


class _Pickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.shared: list[Any] = []

    def persistent_id(self, obj: Any) -> int | None:  # type: ignore[override]
        if _is_shared(obj):
            self.shared.append(obj)
            return len(self.shared) - 1
        return None


class Copier:
    """Copies of `original` as it is now: later changes to `original` are not seen."""

    def __init__(self, original: Any) -> None:
        buffer = io.BytesIO()
        pickler = _Pickler(buffer)
        pickler.dump(original)
        self._pickled = buffer.getvalue()
        self._shared = pickler.shared

    def copy(self) -> Any:
        unpickler = pickle.Unpickler(io.BytesIO(self._pickled))
        unpickler.persistent_load = self._shared.__getitem__  # type: ignore[assignment]
        return unpickler.load()
