"""Serving over real HTTP: prefixes, the error shapes of every prefix, body framing, start-up."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from ticketfakes.pytest_plugin import Fakes
from ticketfakes.server import ServedProcess, ServerError

from .conftest import GOMRY_WRITE, PLANHAT_AUTH, TALQUE_AUTH

# One real operation per prefix: (method, path, auth headers, a valid JSON body)
OPERATIONS = {
    "talque": ("POST", "/talque/api/v1/ticket/list", TALQUE_AUTH, {"orgId": "org-demo"}),
    "gomry": ("POST", "/gomry/api/v1/events/evt_demo/attendees", GOMRY_WRITE,
              {"ticket_class_id": "tc_general", "contact": {"email": "jane@example.com"}}),
    "planhat": ("PUT", "/planhat/tickets", PLANHAT_AUTH,
                {"sourceId": "s-1", "email": "max@acme.example", "companyExternalId": "acme-ext"}),
    "admin": ("POST", "/_admin/clock", {}, {"frozen": False}),
}


def assert_vendor_shape(vendor: str, response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    if vendor == "talque":
        assert body["success"] is False and body["reason"].isupper() and body["message"]
    elif vendor == "planhat":
        assert isinstance(body["message"], str) and body["message"]
    else:
        assert isinstance(body["error"], str) and body["error"]
    assert "Traceback" not in response.text


@pytest.mark.parametrize("vendor", list(OPERATIONS))
def test_unknown_path_is_a_404_in_the_vendor_shape(http: httpx.Client, vendor: str) -> None:
    _, path, headers, _ = OPERATIONS[vendor]
    response = http.get(path.rsplit("/", 1)[0] + "/no-such-thing/at-all", headers=headers)
    assert_vendor_shape(vendor, response, 404)


def test_unknown_prefix_is_a_404_json(http: httpx.Client) -> None:
    response = http.get("/nowhere")
    assert response.status_code == 404
    assert response.json()["error"]


@pytest.mark.parametrize("vendor", list(OPERATIONS))
def test_wrong_method_is_a_405_with_allow(http: httpx.Client, vendor: str) -> None:
    method, path, headers, _ = OPERATIONS[vendor]
    response = http.request("DELETE" if method != "DELETE" else "PATCH", path, headers=headers)
    assert_vendor_shape(vendor, response, 405)
    assert method in response.headers["allow"]


@pytest.mark.parametrize("vendor", list(OPERATIONS))
def test_non_json_content_type_is_a_415(http: httpx.Client, vendor: str) -> None:
    method, path, headers, _ = OPERATIONS[vendor]
    response = http.request(method, path, headers={**headers, "Content-Type": "text/plain"}, content=b"hi")
    assert_vendor_shape(vendor, response, 415)


@pytest.mark.parametrize("vendor", list(OPERATIONS))
@pytest.mark.parametrize("raw", [b"{not json", b'{"a": "\xff\xfe"}', b'\xef\xbb\xbf{}', b'{"a": NaN}'],
                         ids=["malformed", "non-utf8", "bom", "nan"])
def test_bad_json_is_a_400(http: httpx.Client, vendor: str, raw: bytes) -> None:
    method, path, headers, _ = OPERATIONS[vendor]
    response = http.request(method, path, headers={**headers, "Content-Type": "application/json"}, content=raw)
    assert_vendor_shape(vendor, response, 400)


@pytest.mark.parametrize("vendor", ["talque", "gomry", "admin"])
def test_body_over_one_mib_is_a_413(http: httpx.Client, vendor: str) -> None:
    method, path, headers, _ = OPERATIONS[vendor]
    big = b'{"x": "' + b"a" * (1024 * 1024) + b'"}'
    response = http.request(method, path, headers={**headers, "Content-Type": "application/json"}, content=big)
    assert_vendor_shape(vendor, response, 413)


def test_planhat_bulk_put_accepts_more_than_one_mib(http: httpx.Client) -> None:
    items = [{"sourceId": f"big-{i}", "email": "max@acme.example", "description": "x" * 400}
             for i in range(3000)]
    response = http.put("/planhat/tickets", headers=PLANHAT_AUTH, json=items)
    assert response.status_code == 200, response.text[:500]
    assert response.json()["created"] == 3000


def test_valid_requests_pass_on_every_prefix(http: httpx.Client) -> None:
    for vendor, (method, path, headers, body) in OPERATIONS.items():
        response = http.request(method, path, headers=headers, json=body)
        assert response.status_code < 300, (vendor, response.text)


def test_serve_prints_base_urls_and_starts_fast() -> None:
    with ServedProcess() as served:
        lines = "\n".join(served.output)
        for prefix in ("/talque", "/gomry/api/v1", "/planhat", "/_admin"):
            assert served.url + prefix in lines
        print(f"start-up to first successful request: {served.startup_s:.3f} s")
        assert httpx.get(served.url + "/_admin/clock").status_code == 200


def test_broken_fixture_file_fails_with_the_key_and_line(tmp_path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("gomry:\n  orgs:\n    - id: gorg_x\n      events:\n        - id: 7\n")
    with pytest.raises(ServerError) as failure:
        ServedProcess(broken)
    assert "gomry.orgs[0].events[0].id" in str(failure.value)
    assert "line 5" in str(failure.value)


def test_admin_reset_restores_the_fixture_state(ticketfakes: Fakes) -> None:
    before = ticketfakes.admin.state()
    http = httpx.Client(base_url=ticketfakes.url)
    method, path, headers, body = OPERATIONS["gomry"]
    assert http.request(method, path, headers=headers, json=body).status_code == 201
    assert ticketfakes.admin.state("gomry") != before["vendors"]["gomry"]
    ticketfakes.admin.reset()
    assert ticketfakes.admin.state("gomry") == before["vendors"]["gomry"]


@pytest.mark.parametrize("vendor", ["talque", "gomry", "planhat"])
def test_a_bug_in_a_fake_is_a_json_500_journaled_and_the_server_goes_on(
    vendor: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ticketfakes.app import create_app

    app = create_app()
    method, path, headers, body = OPERATIONS[vendor]
    found = app.table.find(method, path)
    assert found is not None, f"{method} {path} is found by the operation table"
    pipeline, _ = found

    def broken(call: object) -> None:
        raise RuntimeError("a bug")

    async def scenario() -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app, raise_app_exceptions=True)  # an escaped exception fails the test
        async with httpx.AsyncClient(transport=transport, base_url="http://fake.test") as client:
            with monkeypatch.context() as patch:
                patch.setattr(pipeline.endpoint, "handle", broken)
                failed = await client.request(method, path, headers=headers, json=body)
            return failed, await client.request(method, path, headers=headers, json=body)

    failed, after = asyncio.run(scenario())
    assert_vendor_shape(vendor, failed, 500)
    assert "a bug" not in failed.text
    assert "RuntimeError: a bug" in capsys.readouterr().err  # the developer sees the trace
    [entry] = app.state.ticketfakes.journal.query(vendor=vendor, status=500)
    assert entry.path == path
    assert after.status_code < 300, after.text


def test_the_operation_table_finds_exactly_the_routes_starlette_would() -> None:
    from starlette.routing import Match

    from ticketfakes.app import create_app

    app = create_app()
    templates = [route.path.replace("{", "x-").replace("}", "") for route in app.routes]  # params: plain segments
    probes = {p for t in templates for p in (t, t + "/", t + "/x", t + "/x/y", t.rsplit("/", 1)[0])} | {"/", ""}
    found_any = 0
    for path in sorted(probes):
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"):
            scope = {"type": "http", "path": path, "method": method, "root_path": ""}
            full = [(route, child) for route in app.routes if (m := route.matches(scope))[0] is Match.FULL
                    for child in [m[1]]]
            found = app.table.find(method, path)
            if not full:
                assert found is None, (method, path)
                continue
            [(route, child)] = full
            assert found is not None, (method, path)
            assert found[0] is route.endpoint.pipelines[method]
            assert found[1] == child["path_params"]
            found_any += 1
    assert found_any >= sum(len(r.endpoint.pipelines) for r in app.routes)
