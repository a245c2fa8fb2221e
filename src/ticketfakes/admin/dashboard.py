"""The dashboard's page and assets (`GET /_admin/ui`), shipped as package data in `admin/ui/`.

Read from the package on first request and kept: a server nobody looks at never touches them. Every
fetch the page makes is relative to its own location, so it works under any prefix (docs/dashboard.md).
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from starlette.responses import Response

from ..call import Call
from ..fakes import registered

ASSETS = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
# The page loads nothing from elsewhere and no inline script runs: a value that slipped through as markup
# still could not execute.
POLICY = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


@cache
def asset(name: str) -> bytes:
    return files("ticketfakes.admin").joinpath("ui", name).read_bytes()


@cache
def page_html() -> bytes:
    """index.html with the registered fakes' names in `<body data-fakes>`: the page lists them without a
    control-plane call of its own (one would be journaled). Names are [a-z0-9_]: nothing to escape."""
    names = " ".join(fake.name for fake in registered())
    return asset("index.html").replace(b'<body data-fakes="">', f'<body data-fakes="{names}">'.encode(), 1)


def serve(name: str, body: bytes | None = None) -> Response:
    return Response(asset(name) if body is None else body, media_type=ASSETS[name], headers={
        "Content-Security-Policy": POLICY,
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-cache",
    })


def page(call: Call) -> Response:
    return serve("index.html", page_html())


def script(call: Call) -> Response:
    return serve("app.js")


def stylesheet(call: Call) -> Response:
    return serve("style.css")
