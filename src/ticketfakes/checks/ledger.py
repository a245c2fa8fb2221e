"""The ids a check run writes and the `Ledger` of what it created: a leaf every check module may import.

Against a real service the checks only ever write ids that start with `ticketfakes-check-<run>-`, and
only ever change or delete what the ledger says this run created (docs/contract-checks.md).
"""

from __future__ import annotations

import secrets
import threading
import zlib
from dataclasses import dataclass

ID_PREFIX = "ticketfakes-check-"


class Ids:
    """Ids and e-mail addresses this run writes: all start with `ticketfakes-check-<run>-`."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.prefix = f"{ID_PREFIX}{run_id}-"
        self._counter = 0
        self._lock = threading.Lock()

    def new(self, kind: str) -> str:
        with self._lock:
            self._counter += 1
            return f"{self.prefix}{kind}-{self._counter}"

    def email(self, seed: str | None = None) -> str:
        """An address at example.com (reserved: nothing is ever delivered), unique per `seed`."""
        if seed is None:
            return f"{self.new('m')}@example.com"
        return f"{self.prefix}{zlib.crc32(seed.encode('utf-8', 'surrogatepass')):08x}@example.com"

    def prefixed(self, value: str) -> str:
        """`value` moved into this run's namespace (unchanged if it already is in a check namespace)."""
        return value if value.startswith(ID_PREFIX) else self.prefix + value


@dataclass
class Created:
    vendor: str
    kind: str
    id: str
    where: str
    removed: bool = False

    @property
    def chosen(self) -> bool:
        """The checker chose this id (prefixed); otherwise the target assigned it (e.g. `tkt_...`)."""
        return self.id.startswith(ID_PREFIX)


class Ledger:
    """What a run created, so that it changes and deletes nothing else, and tells the user (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[tuple[str, str, str], Created] = {}

    def add(self, vendor: str, kind: str, item_id: str, where: str = "") -> None:
        with self._lock:
            self._items.setdefault((vendor, kind, item_id), Created(vendor, kind, item_id, where))

    def removed(self, vendor: str, kind: str, item_id: str) -> None:
        with self._lock:
            item = self._items.get((vendor, kind, item_id))
            if item is not None:
                item.removed = True

    def reset(self, vendor: str) -> None:
        """The vendor's fake was reset to its fixture: nothing this run created there is left."""
        with self._lock:
            for item in self._items.values():
                if item.vendor == vendor:
                    item.removed = True

    def has(self, vendor: str, kind: str, item_id: str) -> bool:
        with self._lock:
            return (vendor, kind, item_id) in self._items

    def live(self, vendor: str, kind: str) -> list[Created]:
        with self._lock:
            return [item for item in self._items.values() if (item.vendor, item.kind) == (vendor, kind)
                    and not item.removed]

    def items(self) -> list[Created]:
        with self._lock:
            return list(self._items.values())


def new_run_id() -> str:
    return secrets.token_hex(4)
