"""`ticketfakes serve | check`: argument parsing only; the work lives in app.py and checks/."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from .fakes import registered
from .listening import bind

DESCRIPTION = """\
Local, stateful fakes of ticket APIs, and contract checks for any implementation of them:
{fakes}

  ticketfakes serve            serve every fake on http://127.0.0.1:8000, each under its prefix above,
                               and the control plane under /_admin
  ticketfakes check VENDOR     check an implementation (the embedded fakes, or --base-url URL) against
                               the vendor's contract: its OpenAPI spec and its business rules
  ticketfakes proxy --upstream VENDOR=URL
                               forward to a real implementation and check its traffic passively
  ticketfakes fixtures from-har FILE.har
                               turn a recorded session into a fixture file the fakes load

The dashboard of a running server is at http://127.0.0.1:8000/_admin/ui.

Run `ticketfakes COMMAND --help` for a command's options. Documentation: the docs/ folder of the
project (README.md, docs/control-plane.md, docs/contract-checks.md, docs/proxy.md).
"""

LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")



def prefixes() -> list[tuple[str, str]]:
    return [*((fake.name, fake.prefix) for fake in registered()), ("admin", "/_admin")]


def check_vendors() -> tuple[str, ...]:
    """What `check` accepts, from each fake's `check_names`, so that `serve` never imports the checker
    (schemathesis costs ~0.3 s of start-up); tests/test_checks.py keeps it equal to checks.CHOICES."""
    return (*(name for fake in registered() for name in fake.check_names), "all")


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0..65535, got {port}")
    return port


def _count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if count < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {count}")
    return count


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .app import create_app
    from .core.collector import tune_for_serving
    from .fixtures import FixtureError
    from .protocol_errors import http_protocol

    try:
        app = create_app(args.fixtures, validate_responses=args.validate_responses, max_namespaces=args.max_namespaces)
    except FixtureError as exc:
        print(f"ticketfakes: bad fixture file: {exc}", file=sys.stderr)
        return 2
    tune_for_serving()
    sock = bind(args.host, args.port)
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    for name, prefix in prefixes():
        print(f"  {name:<8} http://{host}:{port}{prefix}", flush=True)
    print(f"ticketfakes serving on http://{host}:{port} (Ctrl+C to stop)", flush=True)
    config = uvicorn.Config(
        app,
        log_level=args.log_level,
        access_log=args.access_log,
        timeout_graceful_shutdown=10,
        server_header=False,
        http=http_protocol(),  # uvicorn's, but a request it cannot parse gets a JSON 400 (protocol_errors.py)
    )
    if args.access_log:
        # uvicorn logs access lines at INFO: asked for, they show whatever --log-level says for the rest
        logging.getLogger("uvicorn.access").setLevel(logging.INFO)
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


def proxy(args: argparse.Namespace) -> int:
    from .proxy.command import command

    return command(args)


def fixtures_from_har(args: argparse.Namespace) -> int:
    from .har.command import command

    return command(args.har, args.output)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 3600 seconds, got {text}")
    return value


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ticketfakes")
    except PackageNotFoundError:  # imported from a source tree that was never installed
        return "unknown"


def _fakes_listed() -> str:
    return "\n".join(f"  {fake.name:<10} {fake.prefix:<16} {fake.summary}" for fake in registered())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ticketfakes",
        description=DESCRIPTION.format(fakes=_fakes_listed()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"ticketfakes {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "serve",
        help="serve every fake on one port",
        description="Serve every fake and the control plane on one port, starting "
        "from the fixture file's state. Stop with Ctrl+C or SIGTERM: requests in flight are finished first "
        "(at most 10 s).",
    )
    run.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, loopback only)")
    run.add_argument("--port", type=_port, default=8000, help="port to listen on; 0 picks a free one (default: 8000)")
    run.add_argument(
        "--fixtures", default=None, metavar="PATH", help="fixture file with the starting state (default: the "
        "shipped fixtures/default.yaml)"
    )
    run.add_argument(
        "--validate-responses", action="store_true",
        help="also check every answer against the spec; a drift answers 500 (for test suites)",
    )
    run.add_argument(
        "--log-level", default="warning", choices=LOG_LEVELS, type=str.lower,
        help="uvicorn's log level (default: warning)",
    )
    run.add_argument("--access-log", action="store_true", help="print one line per request")
    run.add_argument(
        "--max-namespaces",
        type=_count,
        default=1000,
        help="how many namespaces (/ns/NAME/...) may exist besides `default`; more -> 507 (docs/namespaces.md)",
    )
    run.set_defaults(func=serve)

    contract = commands.add_parser(
        "check",
        help="check an implementation of a vendor's API against its contract (docs/contract-checks.md)",
        description="Run the contract checks: schemathesis (every built-in check, fuzzing, stateful links) plus "
        "the business rules. Exit status 0 only when every check passed.",
    )
    contract.add_argument(
        "vendor", choices=check_vendors(), help=f"whose contract: {', '.join(check_vendors()[:-1])}, or all of them"
    )
    contract.add_argument(
        "--base-url",
        default=None,
        help="the vendor's API base URL (for `all`: a ticketfakes server's root); default: the embedded fakes",
    )
    contract.add_argument(
        "--header", action="append", default=[], metavar="K=V",
        help="a header sent with every request, e.g. a credential: X-API-KEY=... (repeat for more)",
    )
    contract.add_argument(
        "--param", action="append", default=[], metavar="K=V",
        help="an id of the target to work with, e.g. event_id=evt_demo (repeat; docs/contract-checks.md)",
    )
    contract.add_argument("--max-examples", type=int, default=25, help="examples per operation and mode (default: 25)")
    contract.add_argument("--seed", type=int, default=None, help="repeat a run (the summary prints its seed)")
    contract.add_argument("--junit", default=None, metavar="FILE", help="write JUnit XML for CI systems")
    contract.add_argument("--report-html", default=None, metavar="FILE", help="write a self-contained HTML report")
    contract.add_argument(
        "--stateful", action=argparse.BooleanOptionalAction, default=True,
        help="run the OpenAPI-links scenarios (default: on)",
    )
    contract.add_argument(
        "--only", action="append", default=None, metavar="NAME", help="only this rule, or `rules`/`fuzz`/`stateful`"
    )
    contract.set_defaults(func=check)

    forward = commands.add_parser(
        "proxy",
        help="forward to real implementations and watch the traffic (docs/proxy.md)",
        description="Serve the vendors' prefixes like `serve`, forward each request to that vendor's upstream "
        "unchanged, and check both directions against the spec and the business rules passively. "
        "GET /_admin/violations lists what broke; a summary is printed on exit.",
    )
    forward.add_argument("--upstream", action="append", default=[], metavar="VENDOR=URL", required=True,
                         help="a vendor's base URL, e.g. gomry=https://www.gomry.com/api/v1 (repeat per vendor)")
    forward.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    forward.add_argument("--port", type=_port, default=8000, help="port to listen on (8000); 0 picks a free port")
    forward.add_argument(
        "--record", default=None, metavar="FILE.har", help="write the traffic as HAR 1.2 (secrets masked)"
    )
    forward.add_argument("--strict", action="store_true", help="exit status 1 if anything broke")
    forward.add_argument("--timeout", type=_seconds, default=30.0, help="seconds to wait for upstream bytes (30): 504")
    forward.add_argument("--connect-timeout", type=_seconds, default=5.0, help="seconds to connect upstream (5): 504")
    forward.add_argument(
        "--log-level", default="warning", choices=LOG_LEVELS, type=str.lower, help="uvicorn's log level (warning)"
    )
    forward.set_defaults(func=proxy)

    fixtures = commands.add_parser("fixtures", help="fixture files").add_subparsers(
        dest="fixtures_command", required=True
    )
    from_har = fixtures.add_parser(
        "from-har",
        help="turn a recorded HAR file into a fixture file the fakes load (docs/proxy.md)",
        description="Read the records (tickets, events, attendees, companies ...) a HAR recording of "
        "`ticketfakes proxy --record` saw, and write them as a fixture file.",
    )
    from_har.add_argument("har", metavar="FILE.har", help="a recording of `ticketfakes proxy --record`")
    from_har.add_argument("-o", "--output", default=None, metavar="OUT.yaml", help="default: standard output")
    from_har.set_defaults(func=fixtures_from_har)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
