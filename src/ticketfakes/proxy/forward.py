"""The proxy's ASGI app: forwards each vendor prefix to its upstream and watches the exchange.

A request under a vendor prefix goes to that vendor's upstream unchanged (method, raw path and query,
headers but the hop-by-hop ones and Host, body); the answer streams back unchanged as it arrives. Only
once the client has it all is the exchange judged (spec, passive rules), journaled and recorded, so the
judging adds no latency to the answer. Everything else (`/_admin`, unknown paths) is the normal app's.
"""

from __future__ import annotations

import asyncio
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import httpx
import yarl
from multidict import CIMultiDict
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..bodies import read_body
from ..call import path_and_query
from ..core.journal import Entry, preview
from ..core.paths import under
from ..core.problems import Problem, problem_for_status
from ..core.violations import Violation
from ..errors import render
from ..fakes import by_name, for_path
from ..state import State
from .exchange import Exchange
from .har import HarWriter, entry
from .rules import Found, Observer, observers
from .spec import OperationIndex, check_spec
from .upstreams import Upstream

# RFC 9110 7.6.1: connection-specific headers a proxy must not forward (plus those `Connection` names).
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
                        "te", "trailer", "transfer-encoding", "upgrade"})
MAX_REQUEST_BODY = 32 * 1024 * 1024  # above every vendor's bulk limit (16 MiB): the upstream refuses, not the proxy
MAX_KEPT_ANSWER = 32 * 1024 * 1024  # larger answers stream through unjudged
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})  # an empty body is still sent, with Content-Length: 0


@dataclass(slots=True)
class ProxyEntry(Entry):
    """A journal entry of the proxy: what the exchange broke besides."""

    violations: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {**Entry.as_dict(self), "violations": self.violations}


@dataclass
class Timeouts:
    connect_s: float = 5.0
    read_s: float = 30.0  # each wait for upstream bytes; the client gets 504 when the answer does not start in it

    def aiohttp(self) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(total=None, connect=self.connect_s, sock_connect=self.connect_s,
                                     sock_read=self.read_s)


def _forwardable(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    named = {token.strip().lower() for k, v in headers if k == "connection" for token in v.split(",")}
    # Host names the proxy; httpx sets the upstream's from the URL.
    return [(k, v) for k, v in headers if k not in HOP_BY_HOP and k not in named and k != "host"]


class ProxyApp:
    def __init__(self, upstreams: dict[str, Upstream], state: State, fallback: ASGIApp, timeouts: Timeouts,
                 har: HarWriter | None = None, base_url: Callable[[], str] = lambda: "") -> None:
        self.upstreams = upstreams
        self.state = state
        self.fallback = fallback
        self.timeouts = timeouts
        self.har = har
        self.base_url = base_url
        self.exchanges = 0
        self.indexes = {vendor: OperationIndex(vendor) for vendor in upstreams}
        self.observers: dict[str, Observer] = observers()
        self.prefixes = sorted(((u.prefix, u) for u in upstreams.values()), key=lambda p: -len(p[0]))
        self.client: aiohttp.ClientSession | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        upstream = self._upstream_for(scope["path"]) if scope["type"] == "http" else None
        if upstream is None and scope["type"] == "http":
            fake = for_path(scope["path"])
            if fake is not None:  # never the local fake in its place: the client believes it talks to the real one
                problem = problem_for_status(502, f"No --upstream for {fake.name}: this proxy does not serve it")
                problem.code = "no_upstream"
                await render(fake.error_shape, problem)(scope, receive, send)
                return
        if upstream is None:
            if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == "/_admin/reset":
                send = self._forget_on_success(send)
            await self.fallback(scope, receive, send)
            return
        try:
            await self._forward(scope, receive, send, upstream)
        except ClientDisconnect:
            return

    def _forget_on_success(self, send: Send) -> Send:
        """`POST /_admin/reset` also makes the rule observers forget what they saw (docs/proxy.md): after
        a test resets its upstream, the same ids mean new things."""

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                self.observers = observers()
            await send(message)

        return sending

    def _upstream_for(self, path: str) -> Upstream | None:
        for prefix, upstream in self.prefixes:
            if under(path, prefix):
                return upstream
        return None

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def aclose(self) -> None:
        if self.client is not None:
            await self.client.close()
        if self.har is not None:
            self.har.close()

    async def _forward(self, scope: Scope, receive: Receive, send: Send, upstream: Upstream) -> None:
        started = time.perf_counter()
        path, query = path_and_query(scope)
        headers = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope["headers"]]
        exchange = Exchange(upstream.vendor, scope["method"], path, path[len(upstream.prefix):] or "/", query,
                            headers, b"", int(time.time() * 1000),
                            http_version=f"HTTP/{scope.get('http_version', '1.1')}", started=started)
        # The raw path, as the client encoded it: forwarded unchanged, not re-encoded from the decoded one.
        raw_path: bytes = scope.get("raw_path") or path.encode()
        rest = raw_path[len(upstream.prefix):].decode("latin-1") or "/"
        url = upstream.target(rest, scope.get("query_string", b""))
        wait_ms = 0.0
        try:
            exchange.request_body = await read_body(receive, exchange.header("content-length"), MAX_REQUEST_BODY)
            rule = self.state.faults.pick(upstream.vendor, exchange.method, exchange.rest)
            if rule is not None and rule.latency_ms:
                await asyncio.sleep(rule.latency_ms / 1000)
            if rule is not None and rule.status is not None:  # the control plane's fault: the upstream is not asked
                await self._answer(exchange, problem_for_status(rule.status, f"Injected fault: status {rule.status}"),
                                   scope, receive, send)
                exchange.upstream_error = "fault"
            else:
                wait_ms = await self._relay(exchange, url, scope, send, started)
        except Problem as problem:  # the request body could not be read (too large, bad Content-Length)
            await self._answer(exchange, problem, scope, receive, send)
            exchange.upstream_error = "refused"
        exchange.duration_ms = (time.perf_counter() - started) * 1000
        self._judge(exchange, url, wait_ms)

    async def _relay(self, exchange: Exchange, url: str, scope: Scope, send: Send, started: float) -> float:
        """Sends the request upstream and streams its answer back; returns the ms until its headers came."""
        session = await self._session()
        try:
            response = await session.request(
                exchange.method,
                yarl.URL(url, encoded=True),  # the raw path and query as the client encoded them
                headers=CIMultiDict(_forwardable(exchange.request_headers)),
                data=exchange.request_body if exchange.request_body or exchange.method in BODY_METHODS else None,
                allow_redirects=False,
            )
        except TimeoutError as exc:
            return await self._unavailable(exchange, 504, type(exc).__name__, scope, send)
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            return await self._unavailable(exchange, 502, f"{type(exc).__name__}: {exc}", scope, send)
        wait_ms = (time.perf_counter() - started) * 1000
        try:
            exchange.status, exchange.reason = response.status, response.reason or ""
            exchange.http_version = f"HTTP/{response.version.major}.{response.version.minor}"
            raw_headers = [(k, v) for k, v in response.raw_headers if k.lower().decode("latin-1") not in HOP_BY_HOP]
            exchange.response_headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw_headers]
            await send({"type": "http.response.start", "status": response.status, "headers": raw_headers})
            kept: list[bytes] = []
            size = 0
            async for chunk in response.content.iter_any():
                size += len(chunk)
                if size <= MAX_KEPT_ANSWER:
                    kept.append(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except (aiohttp.ClientError, TimeoutError) as exc:
            # The answer broke off after it began: the client's connection is closed mid-answer, as the
            # upstream's was; nothing of it is judged.
            exchange.upstream_error = f"the answer broke off: {type(exc).__name__}"
            exchange.truncated = True
            self._violation(exchange, "proxy.upstream_timeout" if isinstance(exc, TimeoutError)
                            else "proxy.upstream_unreachable", "", exchange.upstream_error)
            return wait_ms
        finally:
            response.release()
        exchange.truncated = size > MAX_KEPT_ANSWER
        if not exchange.truncated:
            exchange.response_body = _decoded(exchange.response_headers, b"".join(kept))
        return wait_ms

    async def _session(self) -> aiohttp.ClientSession:
        """One session (connection pool) for every upstream, made on the server's event loop."""
        if self.client is None:
            self.client = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=200),
                timeout=self.timeouts.aiohttp(),
                auto_decompress=False,  # the answer goes back as it came, still compressed
                cookie_jar=aiohttp.DummyCookieJar(),  # cookies are the client's business, never the proxy's
                # Forward only the client's headers: no User-Agent, Accept or Content-Type of aiohttp's own.
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
            )
        return self.client

    async def _unavailable(self, exchange: Exchange, status: int, why: str, scope: Scope, send: Send) -> float:
        vendor = exchange.vendor
        what = "did not answer in time" if status == 504 else "is unreachable"
        problem = problem_for_status(status, f"The {vendor} upstream {what} ({why})")
        problem.code = "upstream_timeout" if status == 504 else "upstream_unreachable"
        exchange.upstream_error = why
        await self._answer(exchange, problem, scope, None, send)
        self._violation(exchange, f"proxy.{problem.code}", "", problem.message)
        return 0.0

    async def _answer(self, exchange: Exchange, problem: Problem, scope: Scope, receive: Any, send: Send) -> None:
        """The proxy's own answer (upstream down, fault rule, unreadable request) in the vendor's error shape."""
        response = render(by_name(exchange.vendor).error_shape, problem)
        exchange.status, exchange.reason = response.status_code, ""
        exchange.response_headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.raw_headers]
        exchange.response_body = bytes(response.body)

        async def no_receive() -> Message:
            return {"type": "http.disconnect"}

        await response(scope, receive or no_receive, send)

    def _judge(self, exchange: Exchange, url: str, wait_ms: float) -> None:
        self.exchanges += 1
        found: Found = []
        if not exchange.upstream_error:
            try:
                found = check_spec(self.indexes[exchange.vendor], exchange)
                observer = self.observers.get(exchange.vendor)  # a fake without one: the spec checks only
                if observer is not None:
                    found += observer.observe(exchange)
            except Exception as exc:  # a bug in judging must never cost the client its answer
                traceback.print_exception(exc, file=sys.stderr)
        for rule, field_name, message in found:
            self._violation(exchange, rule, field_name, message)
        request_errors: dict[str, list[str]] = {}
        for rule, field_name, message in found:
            if rule == "spec.request":
                request_errors.setdefault(field_name, []).append(message)
        self.state.journal.record(ProxyEntry(
            at_ms=self.state.clock.now_ms(), vendor=exchange.vendor, method=exchange.method, path=exchange.path,
            query=exchange.query, status=exchange.status, duration_ms=exchange.duration_ms,
            validation_errors=request_errors, request_body=preview(exchange.request_body),
            response_body=preview(exchange.response_body), violations=[v.as_dict() for v in exchange.violations],
            started=exchange.started,
        ))
        if self.har is not None:
            self.har.write(entry(exchange, self.base_url(), url, wait_ms))

    def _violation(self, exchange: Exchange, rule: str, field_name: str, message: str) -> None:
        violation = Violation(rule, exchange.vendor, exchange.method, exchange.path, exchange.status, message,
                              field_name, self.state.clock.now_ms())
        self.state.violations.add(violation)
        exchange.violations.append(violation)


def _decoded(headers: list[tuple[str, str]], raw: bytes) -> bytes:
    """The body with its Content-Encoding undone (what validation reads); raw when it cannot be decoded."""
    if not any(k.lower() == "content-encoding" for k, _ in headers):
        return raw
    try:
        return httpx.Response(200, headers=headers, content=raw).content
    except httpx.DecodingError:
        return raw
