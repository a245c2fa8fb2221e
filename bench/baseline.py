"""The ceiling: a bare starlette handler answering fixed JSON bytes, under `ticketfakes serve`'s uvicorn.

    python bench/baseline.py --port 8100 [--canned DIR] [--raw]

One route takes every method on every path, reads the request body (as any handler must) and answers a
fixed, pre-serialised JSON body. With `--canned DIR`, the body (and status) is the one ticketfakes gave
for the same benchmark case, picked by the `X-Bench-Case` header the wrk scripts send: then the baseline
moves exactly the bytes ticketfakes moves, and the ratio isolates what ticketfakes adds (auth, parsing,
validation, the model, serialisation, the journal). Without it, or for an unknown case, `{"ok":true}`.

With `--raw` the same bytes come from a plain ASGI callable, no starlette at all: the ceiling of any
Python app under these uvicorn settings (what uvicorn and the event loop cost alone).

The uvicorn settings are `ticketfakes serve`'s (src/ticketfakes/cli.py): a pre-bound socket with the same
backlog, uvicorn's default loop and HTTP parser ("auto": uvloop and httptools when installed), log level
warning, no access log, no server header, one worker. Keep the two in step. (ticketfakes also passes
its own httptools protocol class, which differs only in the answer to a request uvicorn cannot parse.)
"""

from __future__ import annotations

import argparse
import json
import socket
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

DEFAULT = (200, b'{"ok":true}')


def load_canned(directory: str | None) -> dict[str, tuple[int, bytes]]:
    canned: dict[str, tuple[int, bytes]] = {}
    if directory:
        for path in Path(directory).glob("*.json"):
            meta = json.loads(path.read_text())
            canned[meta["case"]] = (meta["status"], Path(path.with_suffix(".body")).read_bytes())
    return canned


def create_app(canned: dict[str, tuple[int, bytes]]) -> Starlette:
    async def handler(request: Request) -> Response:
        await request.body()
        status, body = canned.get(request.headers.get("x-bench-case", ""), DEFAULT)
        return Response(body, status_code=status, media_type="application/json")

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    return Starlette(routes=[Route("/{path:path}", handler, methods=methods)])


def create_raw_app(canned: dict[str, tuple[int, bytes]]) -> ASGIApp:
    answers = {case.encode(): answer for case, answer in canned.items()}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await receive()  # lifespan.startup
            await send({"type": "lifespan.startup.complete"})
            await receive()  # lifespan.shutdown
            await send({"type": "lifespan.shutdown.complete"})
            return
        more = True
        while more:  # read the request body, as any handler must
            more = (await receive()).get("more_body", False)
        case = next((v for k, v in scope["headers"] if k == b"x-bench-case"), b"")
        status, body = answers.get(case, DEFAULT)
        headers = [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def bind(host: str, port: int) -> socket.socket:
    # as ticketfakes.cli._bind
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--canned", default=None, help="directory of <case>.json + <case>.body files")
    parser.add_argument("--raw", action="store_true", help="a plain ASGI app instead of starlette")
    args = parser.parse_args()
    canned = load_canned(args.canned)
    app = create_raw_app(canned) if args.raw else create_app(canned)
    sock = bind(args.host, args.port)
    print(f"baseline serving on http://{args.host}:{sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, timeout_graceful_shutdown=10, server_header=False
    )
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
