"""`--upstream VENDOR=URL`: which base URL stands in for each vendor prefix (docs/proxy.md)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from ..fakes import by_name, names


class UpstreamError(ValueError):
    """A `--upstream` value that cannot be used; the message says why."""


@dataclass(frozen=True)
class Upstream:
    vendor: str
    prefix: str  # where the proxy serves it
    url: str  # the vendor's base URL, without a trailing slash: `https://www.gomry.com/api/v1`

    def target(self, rest: str, query: bytes) -> str:
        """The upstream URL for `rest` (the path after the prefix, raw) and the raw query string."""
        url = self.url + rest
        return f"{url}?{query.decode('latin-1')}" if query else url


def parse_upstream(text: str) -> Upstream:
    vendor, sep, url = text.partition("=")
    vendor = vendor.strip().lower()
    if not sep or not url:
        raise UpstreamError(f"--upstream must be VENDOR=URL, got {text!r}")
    if vendor not in names():
        raise UpstreamError(f"unknown vendor {vendor!r} in --upstream (one of {', '.join(names())})")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise UpstreamError(f"--upstream {vendor}: invalid URL {url!r}: {exc}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise UpstreamError(f"--upstream {vendor}: {url!r} is not an http(s) URL with a host")
    if parsed.port is not None and not 0 < parsed.port <= 65535:
        raise UpstreamError(f"--upstream {vendor}: port {parsed.port} is out of range")
    if parsed.query or parsed.fragment:
        raise UpstreamError(f"--upstream {vendor}: {url!r} must not have a query or fragment")
    # the prefix `serve` uses: a client of the proxy changes nothing but the port
    return Upstream(vendor, by_name(vendor).prefix, url.rstrip("/"))


def parse_upstreams(values: list[str]) -> dict[str, Upstream]:
    if not values:
        raise UpstreamError("at least one --upstream VENDOR=URL is needed")
    upstreams: dict[str, Upstream] = {}
    for value in values:
        upstream = parse_upstream(value)
        if upstream.vendor in upstreams:
            raise UpstreamError(f"--upstream {upstream.vendor} given twice")
        upstreams[upstream.vendor] = upstream
    return upstreams
