"""`ticketfakes proxy` over real HTTP: a served ticketfakes (and a small echo server) as upstreams, the
proxy as another subprocess. docs/proxy.md is the contract."""

from __future__ import annotations

import gzip
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from ticketfakes.pytest_plugin import Fakes
from ticketfakes.server import ServedProcess

from .conftest import GOMRY_OTHER, GOMRY_WRITE, PLANHAT_AUTH, TALQUE_AUTH
from .proxy_support import ServedProxy, closed_port, upstream_args

WEBHOOK = "/talque/webhook/org/org-demo/ticket"
LIST = "/talque/api/v1/ticket/list"
READ = "/talque/api/v1/ticket/read"
ATTENDEES = "/gomry/api/v1/events/evt_demo/attendees"


@pytest.fixture(scope="module")
def proxy(ticketfakes_server: Fakes) -> Iterator[ServedProxy]:
    with ServedProxy(*upstream_args(ticketfakes_server.url)) as served:
        yield served


@pytest.fixture
def client(proxy: ServedProxy, ticketfakes: Fakes) -> Iterator[httpx.Client]:
    """A client of the proxy; upstream and proxy freshly reset (the proxy's rules forget what they saw)."""
    assert httpx.post(proxy.url + "/_admin/reset", timeout=10).status_code == 200
    with httpx.Client(base_url=proxy.url, timeout=30.0) as http:
        yield http


def ticket(ext: str, **fields: Any) -> dict[str, Any]:
    return {"extTicketId": ext, "email": f"{ext}@example.com", "firstName": "Ada", "lastName": "Lovelace",
            "tickets": ["day-pass"], **fields}


def contract_session(http: httpx.Client) -> None:
    """Traffic that exercises every passive rule on the happy path: a correct upstream breaks none."""
    first = http.post(WEBHOOK, headers=TALQUE_AUTH, json={"tickets": [ticket(f"t{i}") for i in range(5)]})
    assert first.status_code == 200
    assert http.post(WEBHOOK, headers=TALQUE_AUTH, json={"tickets": [ticket("t0")]}).json()["ticketById"]["t0"][
        "reason"] == "UNCHANGED"
    cursor, pages = None, 0
    while True:
        page = http.post(LIST, headers=TALQUE_AUTH, json={"orgId": "org-demo", "limit": 2, "cursor": cursor}).json()
        pages += 1
        if pages == 1:  # writes while paging
            http.post(WEBHOOK, headers=TALQUE_AUTH, json={"tickets": [ticket("t1", jobTitle="CTO"), ticket("new")]})
        if not page["more"]:
            break
        cursor = page["cursor"]
    assert pages == 3
    assert http.post(READ, headers=TALQUE_AUTH, json={"orgId": "org-demo", "provider": "demo-shop",
                                                      "ticketIdList": ["t1", "t2", "nope"]}).status_code == 200
    body = {"ticket_class_id": "tc_general", "contact": {"email": "grace@example.com"}}
    created = http.post(ATTENDEES, headers={**GOMRY_WRITE, "Idempotency-Key": "k-1"}, json=body)
    assert created.status_code == 201
    replay = http.post(ATTENDEES, headers={**GOMRY_WRITE, "Idempotency-Key": "k-1"}, json=body)
    assert replay.headers["idempotent-replay"] == "true"
    small = {"ticket_class_id": "tc_small", "contact": {"email": "x@example.com"}, "quantity": 4}
    assert http.post("/gomry/api/v1/events/evt_small/attendees", headers=GOMRY_WRITE, json=small).status_code == 409
    events = "/gomry/api/v1/events"
    for path in (events, f"{events}/evt_demo", f"{events}/evt_demo/ticket-classes", ATTENDEES):
        assert http.get(path, headers=GOMRY_WRITE).status_code == 200
    assert http.get(ATTENDEES).status_code == 401
    assert http.get("/gomry/api/v1/events/evt_demo", headers=GOMRY_OTHER).status_code in (403, 404)
    items = [{"email": "max@acme.example", "sourceId": "s1", "title": "a"}, {"sourceId": "dropped"},
             {"email": "nobody@example.com", "sourceId": "s2"}]
    assert http.put("/planhat/tickets", headers=PLANHAT_AUTH, json=items).status_code == 206
    assert http.put("/planhat/tickets", headers=PLANHAT_AUTH, json=items[:1]).json()["nonupdates"] == 1
    listed = http.get("/planhat/tickets", headers=PLANHAT_AUTH).json()
    assert http.delete(f"/planhat/tickets/{listed[0]['_id']}", headers=PLANHAT_AUTH).status_code == 200
    assert http.get("/planhat/tickets", headers=PLANHAT_AUTH).json() == []


def test_a_correct_upstream_breaks_nothing(client: httpx.Client, proxy: ServedProxy) -> None:
    began_ms = time.time() * 1000
    contract_session(client)
    assert proxy.violations() == []
    journal = client.get("/_admin/requests", params={"limit": 1000}).json()["requests"]
    # each exchange at the wall time it happened (the dashboard's "wall" column)
    assert all(began_ms - 1000 <= entry["wall_ms"] <= time.time() * 1000 + 1000 for entry in journal)
    assert {entry["vendor"] for entry in journal} >= {"talque", "gomry", "planhat"}
    assert all(entry["violations"] == [] for entry in journal if entry["vendor"] != "admin")


def test_answers_pass_through_unchanged(client: httpx.Client, ticketfakes: Fakes) -> None:
    for method, path, headers, body in (
        ("GET", "/gomry/api/v1/events?page=1&page_size=1", GOMRY_WRITE, None),
        ("GET", "/gomry/api/v1/events/nope", GOMRY_WRITE, None),
        ("GET", "/planhat/tickets", {}, None),  # 401 with WWW-Authenticate
        ("POST", READ, TALQUE_AUTH, {"orgId": "org-demo", "provider": "demo-shop", "ticketIdList": ["x"]}),
    ):
        direct = httpx.request(method, ticketfakes.url + path, headers=headers, json=body)
        proxied = client.request(method, path, headers=headers, json=body)
        assert (proxied.status_code, proxied.content) == (direct.status_code, direct.content)
        wanted = {k: v for k, v in direct.headers.items() if k != "date"}
        assert {k: v for k, v in proxied.headers.items() if k != "date"} == wanted


def test_spec_violations_name_the_field(client: httpx.Client, proxy: ServedProxy) -> None:
    body = {"ticket_class_id": "tc_general", "contact": {"email": "a@example.com"}, "quantity": 0}
    assert client.post(ATTENDEES, headers=GOMRY_WRITE, json=body).status_code == 400
    assert client.get("/planhat/tickets", params={"limit": "many"}, headers=PLANHAT_AUTH).status_code == 400
    found = {(v["rule"], v["field"], v["status"]) for v in proxy.violations()}
    assert ("spec.request", "body.quantity", 400) in found
    assert ("spec.request", "query.limit", 400) in found
    entry = client.get("/_admin/requests", params={"vendor": "planhat"}).json()["requests"][0]
    assert entry["validation_errors"] == {"query.limit": [entry["violations"][0]["message"]]}
    assert entry["violations"][0]["rule"] == "spec.request"
    assert [v["field"] for v in proxy.violations(rule="spec.request", vendor="gomry")] == ["body.quantity"]
    assert client.delete("/_admin/violations").json() == {"cleared": True}
    assert proxy.violations() == []


def test_faults_of_the_control_plane_apply_to_the_proxy(client: httpx.Client, proxy: ServedProxy) -> None:
    rules = {"rules": [{"vendor": "gomry", "path_pattern": "/events", "status": 503, "times": 1}]}
    assert client.put("/_admin/faults", json=rules).status_code == 200
    answer = client.get("/gomry/api/v1/events", headers=GOMRY_WRITE)
    assert answer.status_code == 503 and answer.json() == {"error": "Injected fault: status 503"}
    assert client.get("/gomry/api/v1/events", headers=GOMRY_WRITE).status_code == 200
    assert proxy.violations() == []  # a deliberate fault is nobody's violation


def test_dead_upstream_is_502_in_each_vendors_shape() -> None:
    dead = f"http://127.0.0.1:{closed_port()}"
    with ServedProxy(*upstream_args(dead), "--strict") as proxy:
        gomry = httpx.get(proxy.url + "/gomry/api/v1/events", headers=GOMRY_WRITE)
        talque = httpx.post(proxy.url + READ, headers=TALQUE_AUTH, json={})
        planhat = httpx.get(proxy.url + "/planhat/tickets")
        assert gomry.status_code == talque.status_code == planhat.status_code == 502
        assert gomry.json()["error"].startswith("The gomry upstream is unreachable")
        assert talque.json()["success"] is False and talque.json()["reason"] == "UPSTREAM_UNREACHABLE"
        assert planhat.json()["message"].startswith("The planhat upstream is unreachable")
        assert {v["rule"] for v in proxy.violations()} == {"proxy.upstream_unreachable"}
        journal = httpx.get(proxy.url + "/_admin/requests").json()["requests"]
        assert [e["status"] for e in journal if e["vendor"] != "admin"] == [502, 502, 502]
    assert proxy.returncode == 1
    assert "3  proxy.upstream_unreachable" in proxy.text


def test_slow_upstream_is_504() -> None:
    with ServedProcess() as upstream:
        slow = {"rules": [{"vendor": "gomry", "path_pattern": "/events", "latency_ms": 3000}]}
        assert httpx.put(upstream.url + "/_admin/faults", json=slow).status_code == 200
        with ServedProxy(*upstream_args(upstream.url), "--timeout", "0.5") as proxy:
            started = time.perf_counter()
            answer = httpx.get(proxy.url + "/gomry/api/v1/events", headers=GOMRY_WRITE, timeout=10)
            assert time.perf_counter() - started < 2.5
            assert answer.status_code == 504
            assert answer.json()["error"].startswith("The gomry upstream did not answer in time")
            fast = httpx.get(proxy.url + "/gomry/api/v1/events/evt_demo", headers=GOMRY_WRITE, timeout=10)
            assert fast.status_code == 200
            assert [v["rule"] for v in proxy.violations()] == ["proxy.upstream_timeout"]
    assert proxy.returncode == 0  # without --strict


@pytest.mark.parametrize(("args", "message"), [
    ((), "--upstream"),
    (("--upstream", "gomry"), "VENDOR=URL"),
    (("--upstream", "zoho=http://127.0.0.1:1"), "unknown vendor 'zoho'"),
    (("--upstream", "gomry=ftp://example.com"), "not an http(s) URL"),
    (("--upstream", "gomry=http://"), "not an http(s) URL"),
    (("--upstream", "gomry=http://example.com:99999"), "out of range"),
    (("--upstream", "gomry=http://example.com/?a=1"), "query"),
    (("--upstream", "gomry=http://a.example", "--upstream", "gomry=http://b.example"), "given twice"),
    (("--upstream", "gomry=http://a.example", "--timeout", "0"), "--timeout"),
    (("--upstream", "gomry=http://a.example", "--record", "/nonexistent/dir/x.har"), "cannot write"),
])
def test_bad_upstreams_are_refused_clearly(args: tuple[str, ...], message: str) -> None:
    done = subprocess.run([sys.executable, "-m", "ticketfakes", "proxy", "--port", "0", *args],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_strict_fails_on_a_violation_and_the_summary_names_it(ticketfakes_server: Fakes) -> None:
    with ServedProxy(*upstream_args(ticketfakes_server.url, ("planhat",)), "--strict") as proxy:
        assert httpx.get(proxy.url + "/planhat/tickets", params={"limit": "x"}, headers=PLANHAT_AUTH).status_code == 400
        assert httpx.post(proxy.url + "/_admin/reset").status_code == 200  # clears the list, not what broke
        unproxied = httpx.get(proxy.url + "/gomry/api/v1/events", headers=GOMRY_WRITE)  # no --upstream for gomry
        assert unproxied.status_code == 502
        assert unproxied.json() == {"error": "No --upstream for gomry: this proxy does not serve it"}
    assert proxy.returncode == 1
    assert "1 exchange(s) forwarded, 1 violation(s)" in proxy.text
    assert "1  spec.request" in proxy.text


def test_strict_passes_a_clean_run(ticketfakes_server: Fakes) -> None:
    with ServedProxy(*upstream_args(ticketfakes_server.url), "--strict") as proxy:
        assert httpx.get(proxy.url + "/gomry/api/v1/events", headers=GOMRY_WRITE).status_code == 200
    assert proxy.returncode == 0
    assert "1 exchange(s) forwarded, 0 violation(s)" in proxy.text


# -- what exactly reaches the upstream: an echo server answers with what it got -----------------------


async def echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break


    seen = {"method": scope["method"], "raw_path": scope["raw_path"].decode(), "query": scope["query_string"].decode(),
            "headers": [[k.decode(), v.decode()] for k, v in scope["headers"]], "body": body.decode()}
    payload = json.dumps(seen).encode()
    if scope["path"].endswith("/gzip"):
        packed = gzip.compress(payload)
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", b"application/json"), (b"content-encoding", b"gzip"),
            (b"content-length", str(len(packed)).encode())]})
        await send({"type": "http.response.body", "body": packed})
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"x-echo", b"1"), (b"connection", b"keep-alive")]})
    for index in range(0, len(payload), 7):  # streamed in small chunks (chunked transfer encoding)
        await send({"type": "http.response.body", "body": payload[index:index + 7], "more_body": True})
    await send({"type": "http.response.body", "body": b""})


@pytest.fixture(scope="module")
def echo_url() -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(echo, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(5)


def test_the_request_reaches_the_upstream_unchanged(echo_url: str) -> None:
    with ServedProxy("--upstream", f"gomry={echo_url}/api/v1") as proxy:
        headers = {**GOMRY_WRITE, "X-Trace": "abc", "Idempotency-Key": "k", "Connection": "keep-alive, X-Hop",
                   "X-Hop": "drop me", "Keep-Alive": "timeout=5", "TE": "trailers", "Content-Type": "application/json"}
        answer = httpx.post(proxy.url + "/gomry/api/v1/events/evt%2Fdemo/attendees?b=2&a=%20x", headers=headers,
                            content=b'{"odd":  "spacing"}')
        seen = answer.json()
        assert answer.headers["x-echo"] == "1"
        assert "connection" not in {k for k in answer.headers if answer.headers[k] != "keep-alive"}
        assert seen["method"] == "POST"
        assert seen["raw_path"] == "/api/v1/events/evt%2Fdemo/attendees"
        assert seen["query"] == "b=2&a=%20x"
        assert seen["body"] == '{"odd":  "spacing"}'
        got = dict(seen["headers"])
        assert got["x-api-key"] == "gk_demo_write" and got["x-trace"] == "abc" and got["idempotency-key"] == "k"
        assert got["host"] == echo_url.removeprefix("http://")
        assert not {"x-hop", "keep-alive", "te"} & set(got)
        assert "user-agent" not in got or got["user-agent"].startswith("python-httpx")  # the client's own
        # the echo's body is no Gomry answer: a response violation, named by field
        assert any(v["rule"] == "spec.response" for v in proxy.violations())


def test_a_compressed_answer_passes_compressed_and_is_judged_decoded(echo_url: str) -> None:
    with ServedProxy("--upstream", f"gomry={echo_url}/api/v1") as proxy:
        with httpx.stream("GET", proxy.url + "/gomry/api/v1/gzip", headers={"Accept-Encoding": "gzip"}) as answer:
            raw = b"".join(answer.iter_raw())
            assert answer.headers["content-encoding"] == "gzip"
            assert int(answer.headers["content-length"]) == len(raw)
        seen = json.loads(gzip.decompress(raw))
        assert ["accept-encoding", "gzip"] in seen["headers"]
        entry = httpx.get(proxy.url + "/_admin/requests", params={"vendor": "gomry"}).json()["requests"][0]
        assert json.loads(entry["response_body"]) == seen
