"""`ticketfakes fixtures from-har FILE.har`: a recorded session becomes a local starting state.

What the answers in the recording showed is written as a fixture file: the base fixture's vendors
(credentials, orgs, ticket types) plus what was seen, the records under each vendor's `records:` in the
form of the vendor's state dump. The newest sighting of each record wins. Each fake with a `har` hook
collects and writes its own section (har/<vendor>.py); a fake without one keeps the base's section.
docs/proxy.md says what is exact and what is inferred.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from ..fakes import registered
from ..fixtures import DEFAULT_FIXTURES
from .reader import HarError, read_har


def fixture_from_har(path: str | Path, base: str | Path | None = None) -> dict[str, Any]:
    recordings = {fake.name: fake.har() for fake in registered() if fake.har is not None}
    for seen in read_har(path):
        recording = recordings.get(seen.vendor)
        if recording is not None and 200 <= seen.status < 300 and seen.response is not None:
            recording.add(seen)
    source = Path(base) if base else DEFAULT_FIXTURES  # a Path, or a packaged resource
    fixture = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    for recording in recordings.values():
        recording.write(fixture)
    return fixture


def command(har: str, output: str | None) -> int:
    try:
        fixture = fixture_from_har(har)
    except HarError as exc:
        print(f"ticketfakes fixtures from-har: {exc}", file=sys.stderr)
        return 2
    text = "# Written by `ticketfakes fixtures from-har` (docs/proxy.md)\n" + yaml.safe_dump(
        fixture, sort_keys=False, allow_unicode=True, width=120)
    if output is None:
        sys.stdout.write(text)
    else:
        Path(output).write_text(text, encoding="utf-8")
        print(f"ticketfakes fixtures from-har: wrote {output}", file=sys.stderr)
    return 0
