"""The dashboard's page and assets (`GET /_admin/ui`), shipped as package data in `admin/ui/`.

Read from the package on first request and kept: a server nobody looks at never touches them. Every
fetch the page makes is relative to its own location, so it works under any prefix (docs/dashboard.md).
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from starlette.responses import Response

from ..call import Call

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


def serve(name: str) -> Response:
    return Response(asset(name), media_type=ASSETS[name], headers={
        "Content-Security-Policy": POLICY,
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-cache",
    })


def page(call: Call) -> Response:
    return serve("index.html")


def script(call: Call) -> Response:
    return serve("app.js")


def stylesheet(call: Call) -> Response:
    return serve("style.css")
