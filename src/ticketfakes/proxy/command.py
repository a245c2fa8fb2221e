"""`ticketfakes proxy`: serve the proxy until stopped, then print what broke; `--strict` fails on it."""

from __future__ import annotations

import argparse
import signal
import sys
from typing import Any

from .. import __version__
from ..state import State
from .upstreams import UpstreamError, parse_upstreams


class Stopped(Exception):
    """SIGTERM, raised once uvicorn has shut down gracefully (it re-raises the signal it caught)."""


def _stop(signum: int, frame: Any) -> None:
    raise Stopped


def summary(state: State, exchanges: int) -> str:
    counts = state.violations.lifetime_counts()
    total = sum(counts.values())
    lines = [f"ticketfakes proxy: {exchanges} exchange(s) forwarded, {total} violation(s)"]
    # the newest still listed (a reset clears the list, never the counts above)
    lines += [f"  {count:>6}  {rule}" for rule, count in counts.items()]
    for item in state.violations.query(limit=10):
        where = f" [{item.field}]" if item.field else ""
        lines.append(f"  {item.rule}: {item.method} {item.path} -> {item.status}{where}: {item.message[:200]}")
    return "\n".join(lines)


def command(args: argparse.Namespace) -> int:
    import uvicorn

    from ..app import create_app
    from ..listening import bind
    from ..protocol_errors import http_protocol
    from .forward import ProxyApp, Timeouts
    from .har import HarWriter

    try:
        upstreams = parse_upstreams(args.upstream)
    except UpstreamError as exc:
        print(f"ticketfakes proxy: {exc}", file=sys.stderr)
        return 2
    state = State()
    try:
        har = HarWriter(args.record, __version__) if args.record else None
    except OSError as exc:
        print(f"ticketfakes proxy: cannot write {args.record}: {exc.strerror}", file=sys.stderr)
        return 2
    sock = bind(args.host, args.port)
    host = f"[{args.host}]" if ":" in args.host else args.host
    base_url = f"http://{host}:{sock.getsockname()[1]}"
    app = ProxyApp(upstreams, state, create_app(state=state), Timeouts(args.connect_timeout, args.timeout), har,
                   lambda: base_url)
    for upstream in upstreams.values():
        print(f"  {upstream.vendor:<8} {base_url}{upstream.prefix} -> {upstream.url}", flush=True)
    print(f"ticketfakes serving on {base_url} (proxy; Ctrl+C to stop)", flush=True)
    config = uvicorn.Config(app, log_level=args.log_level, timeout_graceful_shutdown=10, server_header=False,
                            date_header=False, http=http_protocol(), lifespan="on")
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except (KeyboardInterrupt, Stopped):
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        if har is not None:
            har.close()
    print(summary(state, app.exchanges), flush=True)
    if args.record:
        print(f"ticketfakes proxy: recorded {har.count if har else 0} exchange(s) in {args.record}", flush=True)
    return 1 if args.strict and state.violations.lifetime_counts() else 0
