"""What `fixtures from-har` shares with each vendor's part: one observed answer (`Seen`), the
`VendorRecording` a vendor collects them in, and the helpers that merge sightings.

A leaf module: the vendor modules import it; `reader.py` and `command.py` ask the registry.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from datetime import datetime
from typing import Any, TypeVar

Record = TypeVar("Record")


class Seen:
    """One observed answer: the vendor, the path after its prefix, the request and the response."""

    def __init__(self, vendor: str, method: str, rest: str, query: dict[str, list[str]], request: Any,
                 status: int, response: Any) -> None:
        self.vendor, self.method, self.rest, self.query = vendor, method, rest, query
        self.request, self.status, self.response = request, status, response


def ms(iso: Any) -> int:
    """An ISO 8601 timestamp of an answer, in epoch milliseconds (the dumps' unit)."""
    return int(datetime.fromisoformat(str(iso).replace("Z", "+00:00")).timestamp() * 1000)


def newest_by_key(records: Iterable[Record], key: Callable[[Record], Hashable],
                  age: Callable[[Record], Any]) -> dict[Hashable, Record]:
    """One record per natural key (the key the local state keeps unique): the newest sighting, the later
    one on a tie. A recording can show one key under two ids, e.g. across a reset of the upstream."""
    kept: dict[Hashable, Record] = {}
    for record in records:
        known = kept.get(key(record))
        if known is None or age(known) <= age(record):
            kept[key(record)] = record
    return kept


def objects(value: Any) -> list[dict[str, Any]]:
    """The objects of a JSON list (none of anything else): answers are judged, never trusted."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


class VendorRecording:
    """What a recording showed of one vendor, and that vendor's fixture section written from it."""

    def add(self, seen: Seen) -> None:
        """One successful answer with a JSON body, in the recording's order."""
        raise NotImplementedError

    def write(self, fixture: dict[str, Any]) -> None:
        """Writes the vendor's section into `fixture` (the base fixture, parsed): the base's own entries
        (credentials, orgs, ticket types) plus what was seen, the records under `records:`."""
        raise NotImplementedError
