"""Instants as the fakes print and read them: `2026-05-26T12:00:00.000Z` (UTC, milliseconds, `Z`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Answers print timestamps by the hundred (two per attendee or ticket in a page) and datetime arithmetic
# was most of a list's cost: the `YYYY-MM-DDTHH:MM:SS` part is memoised per whole second, the `.mmmZ`
# part is a table lookup. A pure function of `ms`, so nothing needs invalidating; the memo is emptied when
# full to stay bounded. (Dict operations are atomic: threads at worst format a second twice.)
_MS_SUFFIX = tuple(f".{n:03d}Z" for n in range(1000))
_SECOND_PREFIX: dict[int, str] = {}
_SECOND_PREFIX_LIMIT = 65_536


def _second_prefix(second: int) -> str:
    t = EPOCH + timedelta(seconds=second)  # OverflowError for an instant datetime cannot hold
    prefix = f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    if len(_SECOND_PREFIX) >= _SECOND_PREFIX_LIMIT:
        _SECOND_PREFIX.clear()
    _SECOND_PREFIX[second] = prefix
    return prefix


def iso_ms(ms: int) -> str:
    """Milliseconds since the epoch -> `2026-05-26T12:00:00.000Z`."""
    second, milli = divmod(ms, 1000)  # floor division: before 1970 the milliseconds still count up
    prefix = _SECOND_PREFIX.get(second)
    if prefix is None:
        prefix = _second_prefix(second)
    return prefix + _MS_SUFFIX[milli]


def iso_datetime(dt: datetime) -> str:
    """An aware UTC datetime -> the same form (sub-millisecond digits dropped)."""
    return (
        f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}"
        f".{dt.microsecond // 1000:03d}Z"
    )


def parse_iso(text: str) -> int:
    """An ISO-8601 instant with a time zone -> ms since the epoch; ValueError otherwise."""
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError("time zone missing")
    return (parsed - EPOCH) // timedelta(milliseconds=1)
