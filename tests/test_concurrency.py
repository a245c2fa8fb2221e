"""The rules that must hold under concurrency, over real HTTP with many parallel clients.

Each scenario releases its clients together (a barrier), checks the rule on the responses and on the
state read back, and repeats from a fresh state: `TICKETFAKES_CONCURRENCY_ROUNDS` rounds (default 8)
of `TICKETFAKES_CONCURRENCY_CLIENTS` clients (default 24), stopping early once a scenario has spent
`TICKETFAKES_CONCURRENCY_SECONDS` (default 12) so the file stays bounded on a busy machine.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from ticketfakes.pytest_plugin import Fakes

from .conftest import GOMRY_WRITE, PLANHAT_AUTH, TALQUE_AUTH

ROUNDS = int(os.environ.get("TICKETFAKES_CONCURRENCY_ROUNDS", "8"))
CLIENTS = int(os.environ.get("TICKETFAKES_CONCURRENCY_CLIENTS", "24"))
SECONDS = float(os.environ.get("TICKETFAKES_CONCURRENCY_SECONDS", "12"))
MIN_ROUNDS = 3

ATTENDEES = "/gomry/api/v1/events/{event}/attendees"
WEBHOOK = "/talque/webhook/org/org-demo/ticket"


def rounds() -> Iterator[int]:
    """Round numbers until ROUNDS are done or the time budget is spent (never fewer than MIN_ROUNDS)."""
    started = time.monotonic()
    for number in range(ROUNDS):
        if number >= MIN_ROUNDS and time.monotonic() - started > SECONDS:
            print(f"time budget spent after {number} rounds")
            return
        yield number


@pytest.fixture
def clients(ticketfakes: Fakes) -> Iterator[list[httpx.Client]]:
    """One client (own connection) per parallel caller."""
    pool = [httpx.Client(base_url=ticketfakes.url, timeout=30.0) for _ in range(CLIENTS)]
    yield pool
    for client in pool:
        client.close()


def together(clients: list[httpx.Client], call: Callable[[httpx.Client, int], Any]) -> list[Any]:
    """Run `call(client, index)` for every client at once; results in client order."""
    barrier = threading.Barrier(len(clients))

    def run(index: int) -> Any:
        barrier.wait(timeout=30)
        return call(clients[index], index)

    with ThreadPoolExecutor(max_workers=len(clients)) as executor:
        return list(executor.map(run, range(len(clients))))


def reset(ticketfakes: Fakes) -> None:
    ticketfakes.admin.reset()


# --- Gomry: a 3-seat event never sells a 4th seat --------------------------------------------


def seats_taken(client: httpx.Client, event: str) -> int:
    response = client.get(f"/gomry/api/v1/events/{event}", headers=GOMRY_WRITE)
    assert response.status_code == 200, response.text
    return response.json()["seats_taken"]


def test_three_seat_event_never_sells_a_fourth(ticketfakes: Fakes, clients: list[httpx.Client]) -> None:
    requests = 0
    for number in rounds():
        reset(ticketfakes)

        def buy(client: httpx.Client, index: int, number: int = number) -> httpx.Response:
            quantity = 1 + (index + number) % 2  # ones and twos: all-or-nothing must hold for both
            return client.post(ATTENDEES.format(event="evt_small"), headers=GOMRY_WRITE,
                               json={"ticket_class_id": "tc_small", "quantity": quantity,
                                     "contact": {"email": f"buyer{index}@example.com"}})

        responses = together(clients, buy)
        requests += len(responses)
        statuses = Counter(r.status_code for r in responses)
        assert set(statuses) <= {201, 409}, statuses
        sold = sum(r.json()["quantity"] for r in responses if r.status_code == 201)
        # Never more than 3; and exactly 3, since a dozen one-seat buyers would take any seat left over.
        assert sold == 3, f"round {number}: sold {sold} seats of 3"
        for response in responses:
            if response.status_code == 409:
                assert "remain" in response.json()["error"], response.text
        assert seats_taken(clients[0], "evt_small") == sold
        listed = clients[0].get(ATTENDEES.format(event="evt_small"), headers=GOMRY_WRITE,
                                params={"page_size": 200}).json()
        assert listed["pagination"]["total"] == sold
    print(f"capacity: {requests} purchases by {CLIENTS} parallel clients, never oversold")


# --- Gomry: one Idempotency-Key creates once -------------------------------------------------


@pytest.mark.parametrize("latency_ms", [0, 150], ids=["instant", "slow-handler"])
def test_one_idempotency_key_creates_once(ticketfakes: Fakes, clients: list[httpx.Client], latency_ms: int) -> None:
    in_flight = replays = 0
    for number in rounds():
        reset(ticketfakes)
        if latency_ms:  # keeps the first request running while the others arrive: the in-flight window
            rule = {"vendor": "gomry", "method": "POST", "latency_ms": latency_ms}
            assert clients[0].put("/_admin/faults", json={"rules": [rule]}).status_code == 200
        key = f"order-{number}"

        def create(client: httpx.Client, index: int, key: str = key) -> httpx.Response:
            # Bodies differ on purpose: the key alone decides (docs/decisions.md: replay even if the body differs).
            return client.post(ATTENDEES.format(event="evt_demo"),
                               headers={**GOMRY_WRITE, "Idempotency-Key": key},
                               json={"ticket_class_id": "tc_general", "quantity": 2,
                                     "contact": {"email": f"idem{index}@example.com"}})

        responses = together(clients, create)
        created = [r for r in responses if r.status_code == 201]
        conflicts = [r for r in responses if r.status_code == 409]
        assert len(created) + len(conflicts) == len(responses), Counter(r.status_code for r in responses)
        for response in conflicts:
            assert response.json() == {"error": "idempotent_request_in_progress"}, response.text
        originals = [r for r in created if r.headers.get("idempotent-replay") != "true"]
        assert len(originals) == 1, f"round {number}: the key ran {len(originals)} times"
        for response in created:
            assert response.content == originals[0].content
        in_flight += len(conflicts)
        replays += len(created) - 1
        assert seats_taken(clients[0], "evt_demo") == 2
        again = clients[0].post(ATTENDEES.format(event="evt_demo"),
                                headers={**GOMRY_WRITE, "Idempotency-Key": key},
                                json={"ticket_class_id": "tc_general", "contact": {"email": "late@example.com"}})
        assert again.status_code == 201 and again.content == originals[0].content
        assert again.headers["idempotent-replay"] == "true"
    print(f"idempotency ({latency_ms} ms handler): {replays} replays, {in_flight} in-flight 409s")
    if latency_ms:
        assert in_flight > 0, "no request ever met the key in flight: the scenario did not overlap"


# --- talque: concurrent webhooks for the same extTicketId make one ticket -----------------------


def test_concurrent_webhooks_for_one_ticket_make_one(ticketfakes: Fakes, clients: list[httpx.Client]) -> None:
    for number in rounds():
        reset(ticketfakes)
        ext = f"T-race-{number}"

        def post(client: httpx.Client, index: int, ext: str = ext) -> httpx.Response:
            ticket = {"extTicketId": ext, "email": f"holder{index % 3}@example.com", "firstName": f"N{index % 3}"}
            return client.post(WEBHOOK, headers=TALQUE_AUTH, json={"tickets": [ticket]})

        responses = together(clients, post)
        assert {r.status_code for r in responses} == {200}, [r.text for r in responses if r.status_code != 200]
        results = [r.json()["ticketById"][ext] for r in responses]
        reasons = Counter(result["reason"] for result in results)
        assert reasons["CREATED"] == 1, reasons
        assert set(reasons) <= {"CREATED", "UPDATED", "UNCHANGED"}, reasons
        assert len({result["model"]["orgTicketId"] for result in results}) == 1
        ctimes = {result["model"]["ctime"] for result in results}
        assert len(ctimes) == 1
        read = clients[0].post("/talque/api/v1/ticket/read", headers=TALQUE_AUTH,
                               json={"orgId": "org-demo", "provider": "demo-shop", "ticketIdList": [ext]})
        assert read.json()["ticketById"][ext]["success"] is True
        listed = list_all(clients[0], limit=1000)
        assert [t["ticketId"] for t in listed].count(ext) == 1


# --- Planhat: concurrent bulk upserts never duplicate a key ----------------------------------


def test_concurrent_bulk_upserts_never_duplicate_a_key(ticketfakes: Fakes, clients: list[httpx.Client]) -> None:
    keys = [f"race-{i}" for i in range(40)]
    for number in rounds():
        reset(ticketfakes)

        def upsert(client: httpx.Client, index: int) -> httpx.Response:
            # Every client sends an overlapping, differently ordered slice with its own description.
            mine = keys[index % 10:] + keys[: index % 10]
            items = [{"sourceId": key, "email": "max@acme.example", "description": f"by {index}"}
                     for key in mine[: 20 + index % 20]]
            return client.put("/planhat/tickets", headers=PLANHAT_AUTH, json=items)

        responses = together(clients, upsert)
        assert {r.status_code for r in responses} == {200}, [r.text[:300] for r in responses if r.status_code != 200]
        created = sum(r.json()["created"] for r in responses)
        listed = clients[0].get("/planhat/tickets", headers=PLANHAT_AUTH, params={"limit": 10000}).json()
        source_ids = Counter(t["sourceId"] for t in listed if t.get("sourceId", "").startswith("race-"))
        duplicated = {k: n for k, n in source_ids.items() if n > 1}
        assert not duplicated, f"round {number}: duplicated keys {duplicated}"
        assert created == len(source_ids), f"round {number}: {created} created for {len(source_ids)} keys"
        inserted = [k["sourceId"] for r in responses for k in r.json()["insertsKeys"]]
        assert sorted(inserted) == sorted(source_ids)


# --- talque: list paging during writes stays complete ----------------------------------------


def list_all(client: httpx.Client, limit: int) -> list[dict[str, Any]]:
    tickets: list[dict[str, Any]] = []
    cursor = None
    while True:
        body: dict[str, Any] = {"orgId": "org-demo", "limit": limit}
        if cursor:
            body["cursor"] = cursor
        response = client.post("/talque/api/v1/ticket/list", headers=TALQUE_AUTH, json=body)
        assert response.status_code == 200, response.text
        page = response.json()
        tickets.extend(page["tickets"])
        assert (page["cursor"] is not None) == page["more"]
        if not page["more"]:
            return tickets
        cursor = page["cursor"]


def test_list_paging_during_writes_is_complete(ticketfakes: Fakes, clients: list[httpx.Client]) -> None:
    pagers, writers = clients[: CLIENTS // 3], clients[CLIENTS // 3:]
    pages_walked = overlapped = 0
    for number in rounds():
        reset(ticketfakes)
        seed = [{"extTicketId": f"T-seed-{i}", "email": f"s{i}@example.com"} for i in range(90)]
        assert clients[0].post(WEBHOOK, headers=TALQUE_AUTH, json={"tickets": seed}).status_code == 200
        before = {t["orgTicketId"] for t in list_all(clients[0], limit=1000)}
        stop = threading.Event()

        def write(client: httpx.Client, index: int, stop: threading.Event = stop, number: int = number) -> int:
            sent = 0
            while not stop.is_set() and sent < 40:
                tickets = [{"extTicketId": f"T-new-{number}-{index}-{sent}"},  # a new ticket
                           {"extTicketId": f"T-seed-{(index * 7 + sent) % 90}",  # and an update
                            "email": f"s{sent}@example.com", "firstName": f"w{index}-{sent}"}]
                response = client.post(WEBHOOK, headers=TALQUE_AUTH, json={"tickets": tickets})
                assert response.status_code == 200, response.text
                sent += 1
            return sent

        def page(client: httpx.Client, index: int) -> list[dict[str, Any]]:
            return list_all(client, limit=5 + index)

        with ThreadPoolExecutor(max_workers=len(writers)) as executor:
            writing = [executor.submit(write, client, i) for i, client in enumerate(writers)]
            walks = together(pagers, page)
            stop.set()
            written = sum(f.result() for f in writing)
        assert written > 0
        for walk in walks:
            seen = Counter(t["orgTicketId"] for t in walk)
            assert not [oid for oid, n in seen.items() if n > 1], f"round {number}: a ticket listed twice"
            assert before <= set(seen), f"round {number}: {len(before - set(seen))} tickets missing"
            pages_walked += len(walk)
            overlapped += len(set(seen) - before)  # created while this walk was under way
        ordered = [t["ctime"] for t in walks[0]]
        assert ordered == sorted(ordered), "not in creation order"
    print(f"paging: {pages_walked} tickets listed by {len(pagers)} pagers against {len(writers)} writers, "
          f"{overlapped} of them written during the walk")
    assert overlapped > 0, "no walk overlapped a write: the scenario proved nothing"
