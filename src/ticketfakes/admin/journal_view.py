"""A journal entry as `GET /_admin/requests` shows it: the stored facts plus what is derived from them
when read (the refusing rule, client-bug warnings, masked headers, a curl line, the entities touched).
See docs/dashboard.md.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from functools import cache
from typing import Any

from ..core.journal import BODY_PREVIEW_BYTES, Entry, Journal
from ..fakes import registered
from .client_bugs import client_warnings
from .insight import every_insight, insight_for
from .insight.base import Entity, body_json
from .plain import plain_fields
from .refusals import refusal_rule

# Credentials: shown masked in the header lists (a screenshot or a shared screen must not leak a token),
# these and each fake's `secret_headers`.
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
# Left out of the curl line: curl sets them itself.
CURL_SKIPS = frozenset({"host", "content-length", "connection", "accept-encoding", "user-agent", "accept"})


def mask(value: str) -> str:
    scheme, space, rest = value.partition(" ")
    if space and scheme.lower() in ("bearer", "basic"):
        return f"{scheme} {mask(rest)}"
    return value[:4] + "…" if len(value) > 8 else "…"


@cache
def secret_headers() -> frozenset[str]:
    return SECRET_HEADERS.union(*(fake.secret_headers for fake in registered()))


def headers_view(pairs: Iterable[tuple[str, str]]) -> list[list[str]]:
    secret = secret_headers()
    return [[name, mask(value) if name.lower() in secret else value] for name, value in pairs]


def _decoded(raw: Iterable[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    return [(key.decode("latin-1"), value.decode("latin-1")) for key, value in raw]


def curl_line(entry: Entry) -> str:
    """A command that sends the request again, credentials included (else it would not reproduce it)."""
    host = entry.request_headers.get("host", "127.0.0.1:8000")
    url = f"http://{host}{entry.path}" + (f"?{entry.query}" if entry.query else "")
    parts = ["curl", "-X", entry.method, shlex.quote(url)]
    for name, value in entry.request_headers.items():
        if name not in CURL_SKIPS:
            parts += ["-H", shlex.quote(f"{name}: {value}")]
    if entry.request_body:
        body = entry.request_body[:BODY_PREVIEW_BYTES].decode("utf-8", errors="replace")
        parts += ["--data-raw", shlex.quote(body)]
        if len(entry.request_body) > BODY_PREVIEW_BYTES:
            parts.append("# body cut at 64 KiB in the journal: this repeats only its start")
    return " ".join(parts)


def entities(entry: Entry) -> list[Entity]:
    """What the request created or changed, read from its answer (a replay changed nothing); a control-plane
    request is offered to every fake (their extras under /_admin, e.g. a check-in)."""
    if entry.replay is not None or entry.status >= 400:
        return []
    answer = body_json(entry.response_body)
    if entry.vendor == "admin":
        return [found for insight in every_insight() for found in insight.admin_entities(entry, answer)]
    return insight_for(entry.vendor).entities(entry, answer)


def entry_view(entry: Entry, journal: Journal) -> dict[str, Any]:
    view = entry.as_dict()
    verdict = entry.rate
    view.update(
        replay=entry.replay is not None,
        fault=entry.fault is not None,
        rate_limited=verdict is not None and not verdict.allowed,
        rule=refusal_rule(entry, journal),
        warnings=client_warnings(entry, journal),
        validation_messages=plain_fields(entry.validation_errors),
        request_headers=headers_view(entry.request_headers.items()),
        response_headers=headers_view(_decoded(entry.answer_headers())),
        curl=curl_line(entry),
        entities=entities(entry),
    )
    return view
