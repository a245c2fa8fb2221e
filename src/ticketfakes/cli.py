"""`ticketfakes serve | check`: argument parsing only; the work lives in app.py and checks/."""

from __future__ import annotations

import argparse
import socket
import sys
from collections.abc import Sequence

PREFIXES = (("talque", "/talque"), ("gomry", "/gomry/api/v1"), ("planhat", "/planhat"), ("admin", "/_admin"))


# What `check` accepts, spelled here so that `serve` never imports the checker (schemathesis costs
# ~0.3 s of start-up); tests/test_checks.py keeps it equal to ticketfakes.checks.vendors.CHOICES.
CHECK_VENDORS = ("talque", "talque-webhook", "gomry", "planhat", "all")


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise SystemExit(f"ticketfakes: cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0..65535, got {port}")
    return port


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .app import create_app
    from .core.collector import tune_for_serving
    from .fixtures import FixtureError
    from .framing import http_protocol

    try:
        app = create_app(args.fixtures, validate_responses=args.validate_responses)
    except FixtureError as exc:
        print(f"ticketfakes: bad fixture file: {exc}", file=sys.stderr)
        return 2
    tune_for_serving()
    sock = _bind(args.host, args.port)
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    for name, prefix in PREFIXES:
        print(f"  {name:<8} http://{host}:{port}{prefix}", flush=True)
    print(f"ticketfakes serving on http://{host}:{port} (Ctrl+C to stop)", flush=True)
    config = uvicorn.Config(
        app,
        log_level=args.log_level,
        access_log=args.access_log,
        timeout_graceful_shutdown=10,
        server_header=False,
        http=http_protocol(),  # uvicorn's, but a request it cannot parse gets a JSON 400 (framing.py)
    )
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        # uvicorn re-raises Ctrl+C after its graceful shutdown (in-flight requests done): a normal stop
        print("ticketfakes stopped", file=sys.stderr)
    return 0


def check(args: argparse.Namespace) -> int:
    from .checks.command import command

    return command(
        args.vendor,
        base_url=args.base_url,
        headers=args.header,
        params=args.param,
        max_examples=args.max_examples,
        seed=args.seed,
        junit=args.junit,
        report_html=args.report_html,
        stateful=args.stateful,
        select=args.only,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ticketfakes", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("serve", help="serve every fake on one port")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=_port, default=8000, help="0 picks a free port")
    run.add_argument("--fixtures", default=None, help="fixture file (default: fixtures/default.yaml)")
    run.add_argument(
        "--validate-responses", action="store_true", help="check every response against the spec (tests)"
    )
    run.add_argument("--log-level", default="warning")
    run.add_argument("--access-log", action="store_true")
    run.set_defaults(func=serve)

    contract = commands.add_parser(
        "check",
        help="check an implementation of a vendor's API against its contract (docs/contract-checks.md)",
        description="Run the contract checks: schemathesis (every built-in check, fuzzing, stateful links) plus "
        "the business rules. Exit status 0 only when every check passed.",
    )
    contract.add_argument("vendor", choices=CHECK_VENDORS)
    contract.add_argument(
        "--base-url",
        default=None,
        help="the vendor's API base URL (for `all`: a ticketfakes server's root); default: the embedded fakes",
    )
    contract.add_argument("--header", action="append", default=[], metavar="K=V", help="credential header (repeat)")
    contract.add_argument("--param", action="append", default=[], metavar="K=V", help="id to use (repeat)")
    contract.add_argument("--max-examples", type=int, default=25, help="examples per operation and mode (25)")
    contract.add_argument("--seed", type=int, default=None, help="repeat a run (the summary prints its seed)")
    contract.add_argument("--junit", default=None, metavar="FILE", help="write JUnit XML for CI systems")
    contract.add_argument("--report-html", default=None, metavar="FILE", help="write a self-contained HTML report")
    contract.add_argument(
        "--stateful", action=argparse.BooleanOptionalAction, default=True, help="run the OpenAPI-links scenarios"
    )
    contract.add_argument(
        "--only", action="append", default=None, metavar="NAME", help="only this rule, or `rules`/`fuzz`/`stateful`"
    )
    contract.set_defaults(func=check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
