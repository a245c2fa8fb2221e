"""Whether a path lies under a prefix: the one rule the fakes, the registry, the proxy and fault rules share."""

from __future__ import annotations


def under(path: str, prefix: str) -> bool:
    """`/gomry/api/v1/events` is under `/gomry/api/v1`, and so is the prefix itself; `/gomryx` is not."""
    return path == prefix or path.startswith(prefix + "/")
