"""Cost growth: talque list and read latency at 1k, 10k, 100k stored tickets, and memory per ticket.

Tickets are loaded through the webhook in batches of 1000 (new extTicketIds and holder e-mails: the way
an import fills the org). At each size wrk measures the first list page (100), a page of 100 from a
cursor in the middle, and a read of 10 ids spread over the whole range; O(page) means these stay flat.

Memory per ticket is the growth of the server's resident memory (VmRSS) between two sizes divided by
the tickets added; at the end, the whole org is paged once, and the growth that adds (each listed ticket
keeps its answer caches) divided by the tickets stored is the cache's cost per ticket. The growth server
runs with TICKETFAKES_JOURNAL_SIZE=0: the request journal (up to
1000 entries with 64 KiB body previews each) would otherwise be counted as ticket memory. It still
builds each journal entry, so the per-request work is the same as with the default journal.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from cases import TALQUE_AUTH, WEBHOOK_PATH, dumps, post, webhook_body
from loadgen import Settings, measure, write_script
from procs import Server

OPS = ("list_first_page", "list_middle_page", "read_10")


def load(client: httpx.Client, start: int, stop: int) -> None:
    for first in range(start, stop, 1000):
        ids = [f"g-{i}" for i in range(first, min(first + 1000, stop))]
        post(client, "/talque" + WEBHOOK_PATH, webhook_body(ids), TALQUE_AUTH, 200)


def middle_cursor(client: httpx.Client, size: int) -> str:
    """A cursor pointing half-way through the org's tickets (paged there 1000 at a time)."""
    seen, cursor = 0, None
    while seen < size // 2:
        limit = min(1000, size // 2 - seen)
        body: dict[str, Any] = {"orgId": "org-demo", "limit": limit}
        if cursor:
            body["cursor"] = cursor
        page = post(client, "/talque/api/v1/ticket/list", dumps(body), TALQUE_AUTH, 200)
        seen += len(page["tickets"])
        cursor = page["cursor"]
    assert cursor, "the middle of the org must have a next page"
    return cursor


def list_everything(client: httpx.Client) -> None:
    cursor = None
    while True:
        body: dict[str, Any] = {"orgId": "org-demo", "limit": 1000}
        if cursor:
            body["cursor"] = cursor
        page = post(client, "/talque/api/v1/ticket/list", dumps(body), TALQUE_AUTH, 200)
        cursor = page["cursor"]
        if not page["more"]:
            return


def requests_for(client: httpx.Client, size: int) -> dict[str, bytes]:
    ids = [f"g-{i}" for i in range(0, size, size // 10)]
    return {
        "list_first_page": dumps({"orgId": "org-demo", "limit": 100}),
        "list_middle_page": dumps({"orgId": "org-demo", "limit": 100, "cursor": middle_cursor(client, size)}),
        "read_10": dumps({"orgId": "org-demo", "provider": "demo-shop", "ticketIdList": ids}),
    }


def run_growth(
    make_server: Callable[[dict[str, str]], Server], sizes: list[int], settings: Settings, workdir: Path
) -> dict[str, Any]:
    server = make_server({"TICKETFAKES_JOURNAL_SIZE": "0"})
    server.start()
    result: dict[str, Any] = {"sizes": sizes, "ops": {op: {} for op in OPS}, "rss_mb": {}}
    try:
        with httpx.Client(base_url=server.base, timeout=120) as client:
            stored = 0
            for size in sizes:
                load(client, stored, size)
                stored = size
                result["rss_mb"][str(size)] = server.memory_mb()["rss_mb"]
                bodies = requests_for(client, size)
                for op, body in bodies.items():
                    path = "/talque/api/v1/ticket/" + ("read" if op == "read_10" else "list")
                    headers = {**TALQUE_AUTH, "Content-Type": "application/json"}
                    script = write_script(workdir, f"growth_{op}_{size}", "POST", headers, body)
                    figure = measure(server.base + path, script, settings)
                    result["ops"][op][str(size)] = figure
                    print(f"  growth {op} @ {size}: {figure['rps']:.0f} req/s, p50 {figure['p50_ms']:.2f} ms"
                          f" non2xx={figure['non2xx']}", flush=True)
            # A listed ticket also keeps its JSON API model and that model's JSON (the answer caches):
            # page through the whole org once, and count what that added per ticket.
            before = server.memory_mb()["rss_mb"]
            list_everything(client)
            result["rss_mb_after_listing_all"] = server.memory_mb()["rss_mb"]
            result["cache_bytes_per_listed_ticket"] = round(
                (result["rss_mb_after_listing_all"] - before) * 1024 * 1024 / stored)
    finally:
        server.stop()
    first, last = str(sizes[0]), str(sizes[-1])
    result["p50_ratio_last_vs_first"] = {
        op: round(result["ops"][op][last]["p50_ms"] / result["ops"][op][first]["p50_ms"], 2) for op in OPS
    }
    result["rps_ratio_last_vs_first"] = {
        op: round(result["ops"][op][last]["rps"] / result["ops"][op][first]["rps"], 2) for op in OPS
    }
    per_ticket = {}
    for lower, upper in itertools.pairwise(sizes):
        grown = result["rss_mb"][str(upper)] - result["rss_mb"][str(lower)]
        per_ticket[f"{lower}->{upper}"] = round(grown * 1024 * 1024 / (upper - lower))
    result["bytes_per_ticket"] = per_ticket
    # The widest step is the steadiest figure (dict resizes and allocator arenas average out over it).
    result["bytes_per_ticket_estimate"] = per_ticket[f"{sizes[-2]}->{sizes[-1]}"] if per_ticket else None
    return result
