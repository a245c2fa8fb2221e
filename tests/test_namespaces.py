"""Namespaces over real HTTP (docs/namespaces.md): `/ns/{name}/...` is a whole world of its own.

Each test works in namespaces with fresh random names on the served process of this xdist worker, so
nothing here depends on, or disturbs, the `default` namespace the other HTTP tests reset.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from ticketfakes.admin.client import Admin
from ticketfakes.pytest_plugin import Fakes
from ticketfakes.server import ServedProcess

from .conftest import GOMRY_WRITE, PLANHAT_AUTH, TALQUE_AUTH, assert_no_drift

GOMRY = "/gomry/api/v1"
ATTENDEES = GOMRY + "/events/{event}/attendees"
WEBHOOK = "/talque/webhook/org/org-demo/ticket"
LIST = "/talque/api/v1/ticket/list"
PLANHAT = "/planhat/tickets"


def fresh_name() -> str:
    return "t-" + secrets.token_hex(6)


@pytest.fixture
def server(ticketfakes_server: Fakes) -> Iterator[httpx.Client]:
    """A client on the served process's root; namespaces a test created are deleted after it."""
    with httpx.Client(base_url=ticketfakes_server.url, timeout=30.0) as client:
        yield client
        for namespace in client.get("/_admin/namespaces").json()["namespaces"]:
            if namespace["name"].startswith("t-"):
                client.delete(f"/_admin/namespaces/{namespace['name']}")


def book(http: httpx.Client, ns: str, email: str = "jane@example.com", event: str = "evt_small",
         cls: str = "tc_small", headers: dict[str, str] | None = None, **fields: Any) -> httpx.Response:
    body = {"ticket_class_id": cls, "contact": {"email": email}, **fields}
    response = http.post(f"/ns/{ns}" + ATTENDEES.format(event=event), headers=headers or GOMRY_WRITE, json=body)
    assert_no_drift(response)
    return response


def attendees(http: httpx.Client, ns: str, event: str = "evt_small") -> list[dict[str, Any]]:
    response = http.get(f"/ns/{ns}" + ATTENDEES.format(event=event), headers=GOMRY_WRITE,
                        params={"page_size": 100})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def listed(http: httpx.Client) -> dict[str, dict[str, Any]]:
    return {ns["name"]: ns for ns in http.get("/_admin/namespaces").json()["namespaces"]}


# -- many clients at once -----------------------------------------------------------------------------


def test_eight_concurrent_clients_create_the_same_ids_in_their_own_namespaces(server: httpx.Client) -> None:
    names = [fresh_name() for _ in range(8)]
    barrier = threading.Barrier(len(names))

    def worker(ns: str) -> dict[str, Any]:
        with httpx.Client(base_url=str(server.base_url), timeout=30.0) as http:
            barrier.wait()
            gomry = book(http, ns, email="same@example.com", quantity=3)
            talque = http.post(f"/ns/{ns}{WEBHOOK}", headers=TALQUE_AUTH,
                               json={"tickets": [{"extTicketId": "SAME-1", "email": "same@example.com"}]})
            planhat = http.put(f"/ns/{ns}{PLANHAT}", headers=PLANHAT_AUTH,
                               json=[{"sourceId": "same-source", "email": "max@acme.example"}])
            full = book(http, ns, email="late@example.com")
            return {"gomry": gomry.status_code, "talque": talque.json()["ticketById"]["SAME-1"]["reason"],
                    "planhat": planhat.json()["created"], "full": full.status_code,
                    "attendees": attendees(http, ns)}

    with ThreadPoolExecutor(len(names)) as pool:
        results = list(pool.map(worker, names))
    for result in results:
        # every namespace accepted the same e-mail, ticket id and source id as new, and filled its own event
        assert (result["gomry"], result["talque"], result["planhat"], result["full"]) == (201, "CREATED", 1, 409)
        assert [a["email"] for a in result["attendees"]] == ["same@example.com"] * 3
    assert attendees(server, "default") == []  # nothing reached the default namespace


def test_sixteen_namespaces_under_concurrent_overbooking_keep_capacity_exact_in_each(server: httpx.Client) -> None:
    names = [fresh_name() for _ in range(16)]
    attempts = [(ns, i) for ns in names for i in range(6)]  # evt_small has 3 seats; 6 try in each
    barrier = threading.Barrier(len(attempts))

    def attempt(job: tuple[str, int]) -> tuple[str, int]:
        ns, i = job
        with httpx.Client(base_url=str(server.base_url), timeout=60.0) as http:
            barrier.wait()
            return ns, book(http, ns, email=f"p{i}@example.com").status_code

    with ThreadPoolExecutor(len(attempts)) as pool:
        outcomes = list(pool.map(attempt, attempts))
    for ns in names:
        statuses = sorted(status for name, status in outcomes if name == ns)
        assert statuses == [201, 201, 201, 409, 409, 409], ns
        assert len(attendees(server, ns)) == 3


# -- every mechanism is per namespace -----------------------------------------------------------------


def test_state_and_journal_are_per_namespace(server: httpx.Client) -> None:
    a, b = fresh_name(), fresh_name()
    assert book(server, a).status_code == 201
    assert len(attendees(server, a)) == 1
    assert attendees(server, b) == []
    a_paths = [e["path"] for e in server.get(f"/ns/{a}/_admin/requests").json()["requests"]]
    b_paths = [e["path"] for e in server.get(f"/ns/{b}/_admin/requests").json()["requests"]]
    # the journal keeps the path after /ns/{name}, so filters read the same in every namespace
    assert a_paths.count(ATTENDEES.format(event="evt_small")) == 2
    assert b_paths == [ATTENDEES.format(event="evt_small")]
    assert server.get(f"/ns/{a}/_admin/state/gomry").json() != server.get(f"/ns/{b}/_admin/state/gomry").json()


def test_clock_is_per_namespace(server: httpx.Client) -> None:
    a, b = fresh_name(), fresh_name()
    # The default namespace is shared with earlier tests on this worker (one may have frozen its clock):
    # what counts is that freezing `a` leaves it as it was.
    default_before = server.get("/_admin/clock").json()["frozen"]
    frozen = server.post(f"/ns/{a}/_admin/clock", json={"frozen": True, "set_ms": 1_700_000_000_000}).json()
    assert frozen == {"now_ms": 1_700_000_000_000, "frozen": True}
    assert server.get(f"/ns/{b}/_admin/clock").json()["frozen"] is False
    assert server.get("/_admin/clock").json()["frozen"] is default_before
    created = book(server, a).json()
    assert created["data"][0]["created_at"].startswith("2023-11-14T22:13:20")  # a's own clock stamped it
    assert not book(server, b).json()["data"][0]["created_at"].startswith("2023")


def test_idempotency_keys_are_per_namespace(server: httpx.Client) -> None:
    a, b = fresh_name(), fresh_name()
    key = {**GOMRY_WRITE, "Idempotency-Key": "same-key"}
    first = book(server, a, email="a@example.com", headers=key)
    other = book(server, b, email="b@example.com", headers=key)
    assert (first.status_code, other.status_code) == (201, 201)
    assert other.json()["data"][0]["email"] == "b@example.com"  # not a's replay
    assert "idempotent-replay" not in other.headers
    again = book(server, a, email="ignored@example.com", headers=key)
    assert again.headers["idempotent-replay"] == "true" and again.content == first.content


def test_outbox_is_per_namespace(server: httpx.Client) -> None:
    a, b = fresh_name(), fresh_name()
    assert book(server, a, email="mail@example.com", send_email=True).status_code == 201
    assert [m["to"] for m in server.get(f"/ns/{a}/_admin/gomry/outbox").json()["messages"]] == ["mail@example.com"]
    assert server.get(f"/ns/{b}/_admin/gomry/outbox").json()["messages"] == []


def test_fault_rules_are_per_namespace(server: httpx.Client) -> None:
    a, b = fresh_name(), fresh_name()
    rule = {"rules": [{"vendor": "gomry", "status": 503}]}
    assert server.put(f"/ns/{a}/_admin/faults", json=rule).status_code == 200
    assert book(server, a).status_code == 503
    assert book(server, b).status_code == 201
    assert server.get(f"/ns/{b}/_admin/faults").json() == {"rules": []}
    assert server.get("/_admin/faults").json() == {"rules": []}


def test_rate_limit_switches_and_counters_are_per_namespace(server: httpx.Client) -> None:
    a, b, c = fresh_name(), fresh_name(), fresh_name()
    for ns in (a, b):
        assert server.put(f"/ns/{ns}/_admin/rate-limits", json={"planhat": True}).status_code == 200
    for _ in range(3):
        a_response = server.get(f"/ns/{a}{PLANHAT}", headers=PLANHAT_AUTH)
    b_response = server.get(f"/ns/{b}{PLANHAT}", headers=PLANHAT_AUTH)
    c_response = server.get(f"/ns/{c}{PLANHAT}", headers=PLANHAT_AUTH)
    assert a_response.headers["x-rate-limit-remaining"] == "197"  # a's own window: three requests
    assert b_response.headers["x-rate-limit-remaining"] == "199"
    assert "x-rate-limit-remaining" not in c_response.headers  # switched on in a and b only
    assert server.get("/_admin/rate-limits").json() == {"gomry": False, "planhat": False}


def test_a_talque_cursor_from_one_namespace_is_a_400_in_another(server: httpx.Client) -> None:
    a, b = fresh_name(), fresh_name()
    for ns in (a, b):
        tickets = [{"extTicketId": f"T-{i}", "email": f"t{i}@example.com"} for i in range(3)]
        assert server.post(f"/ns/{ns}{WEBHOOK}", headers=TALQUE_AUTH, json={"tickets": tickets}).status_code == 200
    page = server.post(f"/ns/{a}{LIST}", headers=TALQUE_AUTH, json={"orgId": "org-demo", "limit": 1}).json()
    body = {"orgId": "org-demo", "limit": 1, "cursor": page["cursor"]}
    assert server.post(f"/ns/{a}{LIST}", headers=TALQUE_AUTH, json=body).status_code == 200
    refused = server.post(f"/ns/{b}{LIST}", headers=TALQUE_AUTH, json=body)
    assert refused.status_code == 400 and refused.json()["reason"] == "BAD_REQUEST"
    # also when b was made from a's dump, cursor secret and all
    server.put(f"/_admin/namespaces/{b}", json={"state": server.get(f"/ns/{a}/_admin/state").json()})
    assert server.post(f"/ns/{b}{LIST}", headers=TALQUE_AUTH, json=body).status_code == 400
    assert server.post(LIST, headers=TALQUE_AUTH, json=body).status_code == 400  # nor in default


# -- addressing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "shape"),
    [
        ("/ns/bad!name/gomry/api/v1/events", "error"),
        ("/ns/" + "x" * 65 + "/planhat/tickets", "message"),
        ("/ns//talque/api/v1/ticket/list", "reason"),
        ("/ns/a%2Fb/_admin/clock", "error"),
        ("/ns/caf%C3%A9/_admin/clock", "error"),
    ],
)
def test_a_bad_name_is_a_400_in_the_error_shape_of_the_prefix_that_follows(
    server: httpx.Client, path: str, shape: str
) -> None:
    before = len(listed(server))
    response = server.get(path)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert shape in response.json() and "namespace" in response.text
    assert len(listed(server)) == before  # nothing created


def test_the_longest_name_and_ns_default_work(server: httpx.Client, ticketfakes: Fakes) -> None:
    # `ticketfakes` renews `default` first: other tests on this worker's server book in it too
    longest = "t-" + "A_z-9" * 12 + "xy"
    assert len(longest) == 64
    assert server.get(f"/ns/{longest}/_admin/clock").status_code == 200
    assert longest in listed(server)
    # /ns/default/ is the same world as the bare path
    assert book(server, "default").status_code == 201
    assert len(server.get(ATTENDEES.format(event="evt_small"), headers=GOMRY_WRITE).json()["data"]) == 1
    server.put("/_admin/namespaces/default")


def test_unknown_paths_under_a_namespace_are_json_404_and_405(server: httpx.Client) -> None:
    ns = fresh_name()
    missing = server.get(f"/ns/{ns}/gomry/api/v1/nothing")
    assert missing.status_code == 404 and missing.json()["error"].startswith("No route")
    nested = server.get(f"/ns/{ns}/ns/other/_admin/clock")  # namespaces do not nest
    assert nested.status_code == 404
    wrong = server.delete(f"/ns/{ns}/_admin/clock")
    assert wrong.status_code == 405 and "GET" in wrong.headers["allow"]
    assert [e["status"] for e in server.get(f"/ns/{ns}/_admin/requests").json()["requests"]] == [405, 404, 404]


# -- managing namespaces ------------------------------------------------------------------------------


def test_listing_counts_requests_and_approximate_bytes(server: httpx.Client) -> None:
    ns = fresh_name()
    server.get(f"/ns/{ns}/_admin/clock")
    small = listed(server)[ns]
    for i in range(5):
        book(server, ns, event="evt_demo", cls="tc_general", email=f"x{i}@example.com", quantity=2)
    grown = listed(server)[ns]
    assert (small["requests"], grown["requests"]) == (1, 6)
    assert grown["approx_bytes"] > small["approx_bytes"] + 5 * 500
    assert grown["last_used_ms"] >= small["last_used_ms"] >= grown["created_ms"]
    body = server.get("/_admin/namespaces").json()
    assert body["max_namespaces"] == 1000 and body["count"] == len(body["namespaces"]) - 1
    assert body["namespaces"][0]["name"] < body["namespaces"][-1]["name"]
    assert server.get(f"/ns/{ns}/_admin/namespaces").json()["count"] == body["count"]  # the server's list


def test_put_creates_from_the_server_fixture_a_file_or_a_dump_and_renews_in_place(
    server: httpx.Client, tmp_path: Any
) -> None:
    a, b, c = fresh_name(), fresh_name(), fresh_name()
    created = server.put(f"/_admin/namespaces/{a}")
    assert created.status_code == 201 and created.json()["name"] == a
    book(server, a)
    server.put(f"/ns/{a}/_admin/faults", json={"rules": [{"vendor": "planhat", "status": 500}]})
    renewed = server.put(f"/_admin/namespaces/{a}", json={})
    assert renewed.status_code == 200
    assert attendees(server, a) == [] and server.get(f"/ns/{a}/_admin/faults").json() == {"rules": []}

    fixture = tmp_path / "only-planhat.yaml"
    fixture.write_text("planhat:\n  tokens: [only_token]\n")
    assert server.put(f"/_admin/namespaces/{b}", json={"fixtures": str(fixture)}).status_code == 201
    assert server.get(f"/ns/{b}/planhat/tickets", headers={"Authorization": "Bearer only_token"}).status_code == 200
    assert server.get(f"/ns/{b}/planhat/tickets", headers=PLANHAT_AUTH).status_code == 401
    book(server, a, email="kept@example.com")
    dump = server.get(f"/ns/{a}/_admin/state").json()
    assert server.put(f"/_admin/namespaces/{c}", json={"state": dump}).status_code == 201
    assert [x["email"] for x in attendees(server, c)] == ["kept@example.com"]
    assert server.get(f"/ns/{c}/_admin/state").json()["vendors"] == dump["vendors"]
    # the namespace's own reset goes back to its fixture file, and resets it alone
    server.post(f"/ns/{b}/_admin/reset")
    assert server.get(f"/ns/{b}/planhat/tickets", headers={"Authorization": "Bearer only_token"}).status_code == 200
    assert len(attendees(server, c)) == 1


def test_put_refuses_bad_input_and_keeps_the_namespace(server: httpx.Client) -> None:
    ns = fresh_name()
    book(server, ns)
    for body in ({"fixtures": "/no/such/file.yaml"}, {"state": {"vendors": {}}}, {"fixtures": "x", "state": {}},
                 {"other": 1}):
        response = server.put(f"/_admin/namespaces/{ns}", json=body)
        assert response.status_code == 400 and "error" in response.json(), body
    assert len(attendees(server, ns)) == 1
    assert server.put("/_admin/namespaces/bad.name").status_code == 400
    assert server.delete("/_admin/namespaces/" + fresh_name()).status_code == 404
    default = server.delete("/_admin/namespaces/default")
    assert default.status_code == 409 and "cannot be deleted" in default.json()["error"]


def test_deleting_frees_the_namespace_and_the_next_use_starts_afresh(server: httpx.Client) -> None:
    ns = fresh_name()
    book(server, ns)
    assert server.delete(f"/_admin/namespaces/{ns}").json() == {"deleted": ns}
    assert ns not in listed(server)
    assert attendees(server, ns) == []  # created again, from the fixture
    assert listed(server)[ns]["requests"] == 1


def test_a_path_used_before_its_namespace_was_deleted_reaches_the_new_one(server: httpx.Client) -> None:
    # The server remembers which namespace a raw path leads to: deleting must forget that.
    ns = fresh_name()
    book(server, ns)
    assert len(attendees(server, ns)) == 1 and len(attendees(server, ns)) == 1  # the path, used again
    assert server.delete(f"/_admin/namespaces/{ns}").status_code == 200
    assert attendees(server, ns) == []
    book(server, ns, email="other@example.com")
    assert server.delete(f"/_admin/namespaces/{ns}").status_code == 200
    assert server.put(f"/_admin/namespaces/{ns}", json={}).status_code == 201
    assert attendees(server, ns) == []


def test_creating_copies_never_change_the_template(server: httpx.Client) -> None:
    def vendors(ns: str) -> dict[str, Any]:
        dump = server.get(f"/ns/{ns}/_admin/state").json()["vendors"]
        del dump["talque"]["cursor_secret"]  # a new one in every copy, on purpose
        return dump

    before, a = fresh_name(), fresh_name()
    reference = vendors(before)
    custom = {"custom": {"nested": {"list": [1, 2]}}}
    assert server.put(f"/ns/{a}{PLANHAT}", headers=PLANHAT_AUTH,
                      json=[{"sourceId": "s1", "email": "max@acme.example", **custom}]).status_code == 200
    assert server.post(f"/ns/{a}{WEBHOOK}", headers=TALQUE_AUTH,
                       json={"tickets": [{"extTicketId": "T", "email": "t@example.com"}]}).status_code == 200
    assert book(server, a).status_code == 201
    assert vendors(a) != reference
    assert vendors(fresh_name()) == reference


# -- the cap ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def capped() -> Iterator[ServedProcess]:
    with ServedProcess(extra_args=("--max-namespaces", "2")) as served:
        yield served


def test_the_cap_refuses_a_new_namespace_clearly_and_deleting_one_makes_room(capped: ServedProcess) -> None:
    admin = Admin(capped.url)
    with httpx.Client(base_url=capped.url, timeout=30.0) as http:
        assert http.get("/ns/one/_admin/clock").status_code == 200
        assert http.put("/_admin/namespaces/two").status_code == 201
        refused: Callable[[httpx.Response], None]

        def refused(response: httpx.Response) -> None:
            assert response.status_code == 507, response.text
            assert "namespace limit reached: 2 namespaces exist (--max-namespaces)" in response.text

        gomry = http.get("/ns/three/gomry/api/v1/events", headers=GOMRY_WRITE)
        refused(gomry)
        assert "error" in gomry.json()  # the Gomry shape
        talque = http.post("/ns/three/talque/api/v1/ticket/list", headers=TALQUE_AUTH, json={"orgId": "org-demo"})
        refused(talque)
        assert talque.json()["reason"] == "NAMESPACE_LIMIT"  # the talque shape
        refused(http.put("/_admin/namespaces/three"))
        # existing namespaces and default keep working; renewing one is not creating one
        assert http.put("/_admin/namespaces/one").status_code == 200
        assert http.get("/ns/default/_admin/clock").status_code == 200
        assert [ns["name"] for ns in admin.namespaces()] == ["default", "one", "two"]
        admin.delete_namespace("one")
        assert http.get("/ns/three/gomry/api/v1/events", headers=GOMRY_WRITE).status_code == 200
        assert [ns["name"] for ns in admin.namespaces()] == ["default", "three", "two"]
    admin.close()


def test_a_deleted_namespace_is_freed() -> None:
    """In process, to see the object itself: once deleted, nothing keeps the namespace's State alive."""
    import asyncio
    import gc
    import weakref

    from ticketfakes.app import create_app

    app = create_app()

    async def scenario() -> weakref.ref[Any]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://fakes") as http:
            assert (await http.post("/ns/gone" + ATTENDEES.format(event="evt_small"), headers=GOMRY_WRITE,
                                    json={"ticket_class_id": "tc_small", "contact": {"email": "a@example.com"}})
                    ).status_code == 201
            namespace = app.namespaces.get("gone")
            assert namespace is not None
            state = weakref.ref(namespace.state)
            del namespace
            assert (await http.delete("/_admin/namespaces/gone")).status_code == 200
            return state

    state = asyncio.run(scenario())
    gc.collect()
    assert state() is None
    assert app.namespaces.get("gone") is None and len(app.namespaces) == 0


def test_a_request_uvicorn_refuses_under_a_namespace_speaks_the_shape_of_the_prefix(server: httpx.Client) -> None:
    import socket

    url = httpx.URL(str(server.base_url))
    head = (b"POST /ns/w/talque/api/v1/ticket/list HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 2x\r\n\r\n{}")
    with socket.create_connection((url.host, url.port), timeout=10) as sock:
        sock.sendall(head)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    assert b" 400 " in status_line
    body = rest.split(b"\r\n\r\n", 1)[1]
    assert httpx.Response(400, content=body).json()["reason"] == "BAD_REQUEST"  # talque's shape


def test_the_rest_of_the_control_plane_works_per_namespace(server: httpx.Client) -> None:
    a, b = fresh_name(), fresh_name()
    ticket = {"tickets": [{"extTicketId": "C-1", "email": "Checked@Example.com"}]}
    written = server.post(f"/ns/{a}{WEBHOOK}", headers=TALQUE_AUTH, json=ticket).json()
    org_ticket_id = written["ticketById"]["C-1"]["model"]["orgTicketId"]
    checked = server.post(f"/ns/{a}/_admin/talque/orgs/org-demo/tickets/{org_ticket_id}/check-ins",
                          json={"at_ms": 1_700_000_000_000})
    assert checked.status_code == 200, checked.text
    assert server.post(f"/ns/{b}/_admin/talque/orgs/org-demo/tickets/{org_ticket_id}/check-ins",
                       json={}).status_code == 404  # b has no such ticket
    assert [p["email"] for p in server.get(f"/ns/{a}/_admin/talque/orgs/org-demo/profiles").json()["profiles"]] == [
        "Checked@Example.com"]
    assert server.get(f"/ns/{b}/_admin/talque/orgs/org-demo/profiles").json()["profiles"] == []
    # PUT /state restores into b alone (cursor signing included), DELETE /requests clears a's journal alone
    dump = server.get(f"/ns/{a}/_admin/state").json()
    assert server.put(f"/ns/{b}/_admin/state", json=dump).status_code == 200
    assert len(server.get(f"/ns/{b}/_admin/talque/orgs/org-demo/profiles").json()["profiles"]) == 1
    assert server.delete(f"/ns/{a}/_admin/requests").status_code == 200
    assert [e["method"] for e in server.get(f"/ns/{a}/_admin/requests").json()["requests"]] == ["DELETE"]
    assert len(server.get(f"/ns/{b}/_admin/requests").json()["requests"]) > 1


def test_mutating_every_kind_of_record_in_one_namespace_changes_no_other(server: httpx.Client) -> None:
    """Namespaces are copies of one built template: none may share a mutable record with it or another."""

    def observed(ns: str) -> dict[str, Any]:
        dump = server.get(f"/ns/{ns}/_admin/state").json()
        del dump["vendors"]["talque"]["cursor_secret"]  # a new one in every copy, on purpose
        return {
            "vendors": dump["vendors"],
            "idempotency": dump["idempotency"],
            # what the dump leaves out: seat counters, status indexes, profiles, the outbox, the listings
            "events": server.get(f"/ns/{ns}{GOMRY}/events", headers=GOMRY_WRITE).json(),
            "small": server.get(f"/ns/{ns}{GOMRY}/events/evt_small", headers=GOMRY_WRITE).json(),
            "attendees": [attendees(server, ns, status) for status in ("valid", "checked_in", "deleted")],
            "outbox": server.get(f"/ns/{ns}/_admin/gomry/outbox").json(),
            "profiles": server.get(f"/ns/{ns}/_admin/talque/orgs/org-demo/profiles").json(),
            "talque": server.post(f"/ns/{ns}{LIST}", headers=TALQUE_AUTH, json={"orgId": "org-demo"}).json(),
            "planhat": server.get(f"/ns/{ns}{PLANHAT}", headers=PLANHAT_AUTH).json(),
        }

    def attendees(http: httpx.Client, ns: str, status: str) -> Any:
        return http.get(f"/ns/{ns}" + ATTENDEES.format(event="evt_small"), headers=GOMRY_WRITE,
                        params={"status": status, "page_size": 100}).json()

    earlier, mutated = fresh_name(), fresh_name()
    reference = observed(earlier)
    default_before = observed("default")
    # Gomry: contacts, attendees (three statuses), seat counters, the outbox, replay records
    booked = book(server, mutated, email="one@example.com", send_email=True,
                  headers={**GOMRY_WRITE, "Idempotency-Key": "k1"}).json()["data"][0]
    second = book(server, mutated, email="two@example.com").json()["data"][0]
    url = f"/ns/{mutated}" + ATTENDEES.format(event="evt_small")
    assert server.patch(f"{url}/{booked['id']}", headers=GOMRY_WRITE, json={"status": "checked_in"}).status_code == 200
    assert server.delete(f"{url}/{second['id']}", headers=GOMRY_WRITE).status_code in (200, 204)
    # talque: tickets, purchase orders' holders, profiles, check-ins, the orgs' memo of resolved id lists
    written = server.post(f"/ns/{mutated}{WEBHOOK}", headers=TALQUE_AUTH, json={"tickets": [
        {"extTicketId": "M-1", "email": "m1@example.com", "extPurchaseId": "P-1"},
        {"extTicketId": "M-2", "email": "m2@example.com"}]})
    assert written.status_code == 200, written.text
    org_ticket_id = written.json()["ticketById"]["M-1"]["model"]["orgTicketId"]
    check_ins = f"/ns/{mutated}/_admin/talque/orgs/org-demo/tickets/{org_ticket_id}"
    assert server.post(f"{check_ins}/check-ins", json={"at_ms": 5}).status_code == 200
    assert server.post(f"{check_ins}/check-in-reset").status_code == 200
    # Planhat: tickets created, updated (replaced in their indexes) and deleted
    put = server.put(f"/ns/{mutated}{PLANHAT}", headers=PLANHAT_AUTH, json=[
        {"sourceId": "s1", "email": "max@acme.example", "custom": {"n": [1]}},
        {"sourceId": "s2", "email": "max@acme.example"}])
    assert put.status_code == 200, put.text
    assert server.put(f"/ns/{mutated}{PLANHAT}", headers=PLANHAT_AUTH,
                      json=[{"sourceId": "s1", "email": "max@acme.example", "status": "closed"}]).status_code == 200
    ticket_id = put.json()["upsertedIds"][1]
    assert server.delete(f"/ns/{mutated}{PLANHAT}/{ticket_id}", headers=PLANHAT_AUTH).status_code == 200

    changed = observed(mutated)
    assert all(changed[key] != reference[key] for key in ("events", "small", "outbox", "profiles", "talque", "planhat"))
    assert observed(earlier) == reference  # a copy made before
    assert observed(fresh_name()) == reference  # a copy made after: the template is untouched
    assert observed("default") == default_before


def test_the_remembered_paths_stay_bounded_and_right() -> None:
    from ticketfakes import namespaces as module
    from ticketfakes.state import State

    spaces = module.Namespaces(State())
    w1, w2 = spaces.open("w1"), spaces.open("w2")
    for n in range(2 * module.ROUTE_CACHE_SIZE + 3):
        name = ("w1", "w2")[n % 2]
        raw = f"/ns/{name}/gomry/api/v1/events/evt_{n}/attendees".encode()
        scope = {"path": raw.decode(), "raw_path": raw}
        assert spaces.route(scope) is (w1, w2)[n % 2].state
        assert scope == {"path": f"/gomry/api/v1/events/evt_{n}/attendees", "raw_path": raw[len(name) + 4:]}
        assert len(spaces._routes) <= module.ROUTE_CACHE_SIZE
    assert (w1.requests, w2.requests) == (module.ROUTE_CACHE_SIZE + 2, module.ROUTE_CACHE_SIZE + 1)
