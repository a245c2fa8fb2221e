"""The bad-input catalogue (docs/reliability.md), over real HTTP, for every vendor prefix.

Each bad request gets its documented 4xx in the vendor's own error shape; afterwards the state is
exactly what it was (control-plane dump, faults and rate-limit switches) and the server still serves
the valid request. Catalogue ids here are the rows of the table in docs/reliability.md.
"""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from ticketfakes.fakes import spec_files
from ticketfakes.pytest_plugin import Fakes
from ticketfakes.specs import operations

from .conftest import GOMRY_WRITE, PLANHAT_AUTH, TALQUE_AUTH

DOC = Path(__file__).resolve().parents[1] / "docs" / "reliability.md"
MiB = 1024 * 1024


@dataclass(frozen=True)
class Target:
    """One JSON-body operation per prefix, and a request to it that succeeds."""

    name: str
    shape: str  # talque | gomry | planhat | admin
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    max_body: int = MiB
    auth_status: int = 401  # what a 10k-character credential gets

    def raw(self) -> bytes:
        return json.dumps(self.body).encode()


TARGETS = [
    Target("talque-webhook", "talque", "POST", "/talque/webhook/org/org-demo/ticket", TALQUE_AUTH,
           {"tickets": [{"extTicketId": "T-bad", "email": "ada@example.com", "firstName": "Ada"}]},
           auth_status=403),
    Target("talque-api", "talque", "POST", "/talque/api/v1/ticket/list", TALQUE_AUTH, {"orgId": "org-demo"}),
    Target("gomry", "gomry", "POST", "/gomry/api/v1/events/evt_demo/attendees", GOMRY_WRITE,
           {"ticket_class_id": "tc_general", "contact": {"email": "jane@example.com"}}),
    Target("planhat", "planhat", "PUT", "/planhat/tickets", PLANHAT_AUTH,
           {"sourceId": "s-bad", "email": "max@acme.example", "companyExternalId": "acme-ext"},
           max_body=16 * MiB),
    Target("admin", "admin", "PUT", "/_admin/rate-limits", {}, {"gomry": False}),
]
TARGET_IDS = [t.name for t in TARGETS]


def assert_error_shape(target: Target, response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("application/json"), response.headers
    assert response.headers.get("x-ticketfakes-drift") is None, response.text[:500]
    body = response.json()
    if target.shape == "talque":
        assert body["success"] is False and re.fullmatch(r"[A-Z][A-Z0-9_]*", body["reason"]), body
        assert isinstance(body["message"], str) and body["message"]
    elif target.shape == "planhat":
        assert isinstance(body["message"], str) and body["message"], body
    else:
        assert isinstance(body["error"], str) and body["error"], body
    assert "Traceback" not in response.text and len(response.content) < 4096


def snapshot(http: httpx.Client) -> Any:
    dump = http.get("/_admin/state").json()
    dump.pop("clock")
    return dump, http.get("/_admin/faults").json(), http.get("/_admin/rate-limits").json()


@pytest.fixture
def fresh(http: httpx.Client) -> Iterator[httpx.Client]:
    """The reset server with a frozen clock, checked unchanged and alive after the test."""
    assert http.post("/_admin/clock", json={"frozen": True}).status_code == 200
    before = snapshot(http)
    yield http
    assert snapshot(http) == before, "a refused request changed the state"
    assert http.get("/_admin/clock").status_code == 200


def send(http: httpx.Client, target: Target, content: bytes | None, headers: dict[str, str] | None = None,
         content_type: str | None = "application/json") -> httpx.Response:
    sent = dict(target.headers)
    if content_type is not None:
        sent["Content-Type"] = content_type
    sent.update(headers or {})
    return http.request(target.method, target.path, headers=sent, content=content)


def nested(depth: int, opener: str = "[", closer: str = "]") -> bytes:
    return (opener * depth + "1" * (opener == '{"a":') + closer * depth).encode()


def with_key(target: Target, key: str, value: str | bytes) -> bytes:
    """The valid body with one more member, spliced in as raw JSON text (bytes: sent as they are)."""
    raw = value if isinstance(value, bytes) else value.encode()
    return b"{" + f'"{key}": '.encode() + raw + b", " + target.raw()[1:]


@dataclass(frozen=True)
class Bad:
    """One catalogue row: a request body (and content type) every target must refuse."""

    id: str
    body: Callable[[Target], bytes | None]
    status: int = 400
    content_type: str | None = "application/json"


BAD_BODIES = [
    Bad("malformed-json", lambda t: t.raw()[:-3]),
    Bad("trailing-garbage", lambda t: t.raw() + b" x"),
    Bad("two-documents", lambda t: t.raw() + t.raw()),
    Bad("non-utf8", lambda t: with_key(t, "x", b'"\xff\xfe"')),
    Bad("utf16", lambda t: json.dumps(t.body).encode("utf-16")),
    Bad("bom", lambda t: b"\xef\xbb\xbf" + t.raw()),
    Bad("deep-10k-arrays", lambda t: nested(10_000)),
    Bad("deep-10k-objects", lambda t: nested(10_000, '{"a":', "}")),
    Bad("deep-101-in-valid-body", lambda t: with_key(t, "x", nested(100).decode())),
    Bad("nan", lambda t: with_key(t, "x", "NaN")),
    Bad("infinity", lambda t: with_key(t, "x", "Infinity")),
    Bad("minus-infinity", lambda t: with_key(t, "x", "-Infinity")),
    Bad("float-overflow-1e999", lambda t: with_key(t, "x", "1e999")),
    Bad("integer-5000-digits", lambda t: with_key(t, "x", "9" * 5000)),
    Bad("duplicate-keys", lambda t: with_key(t, next(iter(t.body)), json.dumps(next(iter(t.body.values()))))),
    Bad("lone-surrogate", lambda t: with_key(t, "x", '"\\ud800"')),
    Bad("json-null-body", lambda t: b"null"),
    Bad("json-string-body", lambda t: b'"tickets"'),
    Bad("missing-body", lambda t: None),
    Bad("empty-body", lambda t: b""),
    Bad("whitespace-body", lambda t: b"   \n"),
    Bad("content-type-text-plain", lambda t: t.raw(), 415, "text/plain"),
    Bad("content-type-form", lambda t: t.raw(), 415, "application/x-www-form-urlencoded"),
    Bad("content-type-multipart", lambda t: t.raw(), 415, "multipart/form-data; boundary=x"),
    Bad("content-type-xml", lambda t: t.raw(), 415, "application/xml"),
    Bad("content-type-json-latin1", lambda t: t.raw(), 415, "application/json; charset=latin-1"),
    Bad("content-type-missing", lambda t: t.raw(), 415, None),
]


@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
@pytest.mark.parametrize("bad", BAD_BODIES, ids=[b.id for b in BAD_BODIES])
def test_bad_body_is_refused_in_the_vendor_shape(fresh: httpx.Client, target: Target, bad: Bad) -> None:
    response = send(fresh, target, bad.body(target), content_type=bad.content_type)
    assert_error_shape(target, response, bad.status)
    if bad.status == 400:  # refused for the body itself, not for some field of it
        assert blamed_fields(target, response.json()) == {"body"}, response.text[:500]


def blamed_fields(target: Target, body: dict[str, Any]) -> set[str]:
    if target.shape in ("talque", "planhat"):
        return {entry["field"] for entry in body.get("errors", [])}
    details = body.get("details", {})
    return set(details.get("fieldErrors", details))


@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
def test_the_valid_request_passes(http: httpx.Client, target: Target) -> None:
    """The control: every refusal above is about the one thing that was wrong."""
    response = send(http, target, target.raw())
    assert response.status_code in (200, 201), response.text[:500]


@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
def test_charset_utf8_is_fine(http: httpx.Client, target: Target) -> None:
    response = send(http, target, target.raw(), content_type="application/json; charset=UTF-8")
    assert response.status_code in (200, 201), response.text[:500]


# --- sizes: 413 before the body is read --------------------------------------------------------


def raw_exchange(url: str, head: bytes, body: bytes = b"", timeout: float = 5.0) -> tuple[int, bytes, float]:
    """Send `head` (and `body`) on a plain socket; return the status, the response, the seconds taken."""
    parts = urlsplit(url)
    started = time.perf_counter()
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(head + body)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        header, _, rest = data.partition(b"\r\n\r\n")
        length = int(re.search(rb"content-length: *(\d+)", header, re.I).group(1))  # type: ignore[union-attr]
        while len(rest) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
    return int(header.split()[1]), rest, time.perf_counter() - started


def request_head(target: Target, length: int) -> bytes:
    lines = [f"{target.method} {target.path} HTTP/1.1", "Host: localhost", "Content-Type: application/json",
             f"Content-Length: {length}", *(f"{k}: {v}" for k, v in target.headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
def test_oversized_body_is_a_413_before_it_is_read(ticketfakes: Fakes, target: Target) -> None:
    # Declares one byte over the limit and sends almost none of it: the answer cannot wait for the body.
    status, body, seconds = raw_exchange(ticketfakes.url, request_head(target, target.max_body + 1), b"{")
    assert status == 413, body
    assert_error_shape(target, httpx.Response(413, headers={"content-type": "application/json"},
                                              content=body), 413)
    assert seconds < 2.0


@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
def test_oversized_chunked_body_is_a_413(fresh: httpx.Client, target: Target) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"x": "'
        for _ in range(target.max_body // (256 * 1024) + 2):
            yield b"a" * (256 * 1024)
        yield b'"}'

    headers = {**target.headers, "Content-Type": "application/json"}
    response = fresh.request(target.method, target.path, headers=headers, content=chunks())
    assert_error_shape(target, response, 413)


@pytest.mark.parametrize("target", [t for t in TARGETS if t.shape != "admin"], ids=lambda t: t.name)
def test_body_at_the_limit_is_not_a_413(http: httpx.Client, target: Target) -> None:
    body = with_key(target, "padding", json.dumps("x" * (target.max_body - len(target.raw()) - 30)))
    assert len(body) <= target.max_body
    response = send(http, target, body)
    assert response.status_code in (200, 201), response.text[:300]


@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
def test_content_length_that_is_not_a_number_is_a_json_400_in_the_vendor_shape(
    ticketfakes: Fakes, target: Target
) -> None:
    # uvicorn refuses it before the app sees it (protocol_errors.py makes that refusal JSON)
    head = request_head(target, 2).replace(b"Content-Length: 2", b"Content-Length: 2x")
    status, body, _ = raw_exchange(ticketfakes.url, head, b"{}")
    assert status == 400, body
    assert_error_shape(target, httpx.Response(400, headers={"content-type": "application/json"}, content=body),
                       400)


def test_a_request_line_that_is_not_http_is_a_json_400(ticketfakes: Fakes) -> None:
    status, body, _ = raw_exchange(ticketfakes.url, b"\x16\x03\x01 not http at all\r\n\r\n")
    assert status == 400, body
    assert json.loads(body) == {"error": "Invalid HTTP request received."}


# --- headers -----------------------------------------------------------------------------------

LONG = "k" * 10_000


@pytest.mark.parametrize("target", [t for t in TARGETS if t.headers], ids=lambda t: t.name)
def test_ten_thousand_character_credentials_are_refused(fresh: httpx.Client, target: Target) -> None:
    for name in target.headers:
        value = f"Bearer {LONG}" if name == "Authorization" else LONG
        response = send(fresh, target, target.raw(), headers={name: value})
        assert_error_shape(target, response, target.auth_status)


def test_ten_thousand_character_idempotency_key_is_a_400(fresh: httpx.Client) -> None:
    target = TARGETS[2]
    response = send(fresh, target, target.raw(), headers={"Idempotency-Key": LONG})
    assert_error_shape(target, response, 400)
    assert "idempotency-key" in response.json()["details"]["fieldErrors"]


@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
def test_ten_thousand_character_unrelated_header_is_ignored(http: httpx.Client, target: Target) -> None:
    response = send(http, target, target.raw(), headers={"X-Padding": LONG, "User-Agent": LONG})
    assert response.status_code in (200, 201), response.text[:300]


# --- ids in paths: traversal and percent-encoding --------------------------------------------

# (target name, method, path template with {id}, headers, body) for an operation with an id in its path
ID_PATHS = {
    "talque-webhook-orgId": ("talque", "POST", "/talque/webhook/org/{id}/ticket", TALQUE_AUTH,
                             {"tickets": [{"extTicketId": "T-path"}]}, "org-demo"),
    "gomry-eventId": ("gomry", "GET", "/gomry/api/v1/events/{id}", GOMRY_WRITE, None, "evt_demo"),
    "gomry-attendeeId": ("gomry", "GET", "/gomry/api/v1/events/evt_demo/attendees/{id}", GOMRY_WRITE, None, None),
    "planhat-ticketId": ("planhat", "DELETE", "/planhat/tickets/{id}", PLANHAT_AUTH, None, None),
    "admin-orgId": ("admin", "GET", "/_admin/talque/orgs/{id}/profiles", {}, None, "org-demo"),
}
HOSTILE_IDS = {
    "traversal-encoded-slash": "..%2F..%2F_admin%2Fstate",
    "traversal-lowercase-encoded": "..%2f..%2f_admin%2freset",
    "dot-dot-encoded": "%2e%2e",
    "backslash-traversal": "..%5C..%5C_admin",
    "null-byte": "x%00",
    "overlong-utf8-dot": "%C0%AE%C0%AE",
    "invalid-utf8": "%FF%FE",
    "double-encoded": "%252e%252e%252f",
    "unicode-id": "%E2%9C%93-%F0%9F%98%80",
    "crlf": "x%0D%0ASet-Cookie:%20a=b",
    "long-10k": "a" * 10_000,
}


def shape_target(shape: str) -> Target:
    return next(t for t in TARGETS if t.shape == shape)


@pytest.mark.parametrize("where", list(ID_PATHS))
@pytest.mark.parametrize("hostile", list(HOSTILE_IDS))
def test_hostile_ids_are_a_404_in_the_vendor_shape(fresh: httpx.Client, where: str, hostile: str) -> None:
    shape, method, template, headers, body, _ = ID_PATHS[where]
    path = template.replace("{id}", HOSTILE_IDS[hostile])
    response = fresh.request(method, path, headers=headers, json=body)
    assert_error_shape(shape_target(shape), response, 404)
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize("where", [w for w, spec in ID_PATHS.items() if spec[5]])
def test_percent_encoded_id_means_the_same_id(http: httpx.Client, where: str) -> None:
    """RFC 3986: `%2D`/`%5F` are `-`/`_`; a client that encodes every character still reaches its resource."""
    _, method, template, headers, body, known = ID_PATHS[where]
    encoded = "".join(f"%{ord(c):02X}" for c in known)
    response = http.request(method, template.replace("{id}", encoded), headers=headers, json=body)
    assert response.status_code == 200, response.text[:300]


def test_ids_in_talque_bodies_are_plain_strings(fresh: httpx.Client) -> None:
    ids = ["../../_admin/state", "%2e%2e", "x\u0000y", "T-1001%00"]
    response = fresh.post("/talque/api/v1/ticket/read", headers=TALQUE_AUTH,
                          json={"orgId": "org-demo", "provider": "demo-shop", "ticketIdList": ids})
    assert response.status_code == 200, response.text
    assert {entry["reason"] for entry in response.json()["ticketById"].values()} == {"NOT_FOUND"}


# --- huge numbers in typed fields --------------------------------------------------------------

HUGE = "1" + "0" * 30
HUGE_NUMBERS = {
    "talque-list-limit": ("talque", "POST", "/talque/api/v1/ticket/list", TALQUE_AUTH,
                          {"orgId": "org-demo", "limit": int(HUGE)}, None),
    "gomry-quantity": ("gomry", "POST", "/gomry/api/v1/events/evt_demo/attendees", GOMRY_WRITE,
                       {"ticket_class_id": "tc_general", "contact": {"email": "j@example.com"},
                        "quantity": int(HUGE)}, None),
    "gomry-quantity-float": ("gomry", "POST", "/gomry/api/v1/events/evt_demo/attendees", GOMRY_WRITE,
                             {"ticket_class_id": "tc_general", "contact": {"email": "j@example.com"},
                              "quantity": 1e300}, None),
    "gomry-page-query": ("gomry", "GET", "/gomry/api/v1/events", GOMRY_WRITE, None, {"page": HUGE}),
    "planhat-limit-query": ("planhat", "GET", "/planhat/tickets", PLANHAT_AUTH, None, {"limit": HUGE}),
    "planhat-offset-query": ("planhat", "GET", "/planhat/tickets", PLANHAT_AUTH, None, {"offset": HUGE}),
    "admin-clock-advance": ("admin", "POST", "/_admin/clock", {}, {"advance_ms": int(HUGE)}, None),
    "admin-fault-latency": ("admin", "PUT", "/_admin/faults", {}, {"rules": [{"latency_ms": int(HUGE)}]}, None),
}


@pytest.mark.parametrize("case", list(HUGE_NUMBERS))
def test_huge_number_in_a_typed_field_is_a_400(fresh: httpx.Client, case: str) -> None:
    shape, method, path, headers, body, params = HUGE_NUMBERS[case]
    response = fresh.request(method, path, headers=headers, json=body, params=params)
    assert_error_shape(shape_target(shape), response, 400)


def test_integral_float_counts_as_an_integer(http: httpx.Client) -> None:
    """JSON Schema calls 2.0 an integer; the fake then treats it as 2 (it used to be a 500)."""
    response = http.post("/gomry/api/v1/events/evt_demo/attendees", headers=GOMRY_WRITE,
                         json={"ticket_class_id": "tc_general", "contact": {"email": "j@example.com"},
                               "quantity": 2.0})
    assert response.status_code == 201, response.text
    assert response.json()["quantity"] == 2 and len(response.json()["data"]) == 2
    clock = http.post("/_admin/clock", json={"advance_ms": 5.0}).json()
    assert isinstance(clock["now_ms"], int)
    assert re.fullmatch(r'\{"now_ms":\d+,"frozen":false\}', http.get("/_admin/clock").text)


def test_huge_number_in_a_free_form_field_round_trips(http: httpx.Client) -> None:
    """Planhat `custom` takes any JSON: a 31-digit integer is stored and echoed exactly, never a 500."""
    item = {"sourceId": "s-huge", "email": "max@acme.example", "custom": {"big": int(HUGE), "tiny": 1e-300}}
    assert http.put("/planhat/tickets", headers=PLANHAT_AUTH, json=item).status_code == 200
    listed = http.get("/planhat/tickets", headers=PLANHAT_AUTH, params={"email": "max@acme.example"})
    assert listed.status_code == 200, listed.text
    stored = next(t for t in listed.json() if t.get("sourceId") == "s-huge")
    assert stored["custom"] == {"big": int(HUGE), "tiny": 1e-300}
    assert http.get("/_admin/state").status_code == 200


def test_every_integer_parameter_is_bounded_below_64_bits() -> None:
    """Query/path integers are cast and bounded at 2**63 (validation.py); each spec bounds them lower,
    so openapi-core (the reference, unbounded) and the fast path agree on every value."""
    for specs in spec_files().values():
        for spec in specs:
            for operation in operations(spec):
                for parameter in operation.parameters:
                    schema = parameter.get("schema", {})
                    if schema.get("type") == "integer":
                        assert schema.get("maximum", 2**63) < 2**63, (spec.name, operation.path, parameter)


# --- unicode in every string field --------------------------------------------------------------

# Combining marks, emoji (astral plane, ZWJ sequence), CJK, right-to-left with bidi controls,
# zero-width characters, a no-break space, and quotes and backslashes that must survive JSON escaping.
UNICODE = "Zoë Ångström e\u0301 😀👩‍💻 日本語 مرحبا \u202eRTL\u202c \u200b\u200d\u00a0 \"q\" \\ / <b>&amp;"


def talque_round_trip(http: httpx.Client, text: str) -> tuple[int, Any, Any]:
    ticket = {"extTicketId": f"T-{text}", "email": f"zoë{text[:3]}@exämple.com", "firstName": text,
              "lastName": text, "companyName": text, "jobTitle": text, "extUserId": text}
    order = {"extPurchaseId": f"PO-{text}", "email": "käufer@exämple.com", "firstName": text, "lastName": text,
             "companyName": text, "jobTitle": text}
    response = http.post("/talque/webhook/org/org-demo/ticket", headers=TALQUE_AUTH,
                         json={"tickets": [ticket], "purchaseOrder": order})
    read = http.post("/talque/api/v1/ticket/read", headers=TALQUE_AUTH,
                     json={"orgId": "org-demo", "provider": "demo-shop", "ticketIdList": [ticket["extTicketId"]]})
    model = read.json()["ticketById"][ticket["extTicketId"]]["model"]
    return response.status_code, model, (ticket, order)


def test_unicode_in_every_talque_string_field_round_trips(http: httpx.Client) -> None:
    status, model, (ticket, order) = talque_round_trip(http, UNICODE)
    assert status == 200
    assert model["ticketId"] == ticket["extTicketId"]
    holder = model["holder"]
    for key in ("email", "firstName", "lastName", "companyName", "jobTitle"):
        assert holder[key] == ticket[key], key
    for key in ("email", "firstName", "lastName", "companyName", "jobTitle"):
        assert model["purchaser"][key] == order[key], key
    assert model["extPurchaseOrderId"] == order["extPurchaseId"]


def test_unicode_in_every_gomry_string_field_round_trips(http: httpx.Client) -> None:
    contact = {"email": "zoë@exämple.com", "first_name": UNICODE[:100], "last_name": UNICODE[::-1][:100]}
    response = http.post("/gomry/api/v1/events/evt_demo/attendees",
                         headers={**GOMRY_WRITE, "Idempotency-Key": "ключ-🔑".encode()},  # raw UTF-8 bytes
                         json={"ticket_class_id": "tc_general", "contact": contact})
    assert response.status_code == 201, response.text
    attendee = response.json()["data"][0]
    fetched = http.get(f"/gomry/api/v1/events/evt_demo/attendees/{attendee['id']}", headers=GOMRY_WRITE).json()
    for key in ("email", "first_name", "last_name"):
        assert attendee[key] == fetched[key] == contact[key], key


def test_unicode_in_every_planhat_string_field_round_trips(http: httpx.Client) -> None:
    strings = ("title", "description", "url", "type", "severity", "product", "status", "source")
    item = {"sourceId": UNICODE, "email": "max@acme.example", "tags": [UNICODE, "日本"],
            "custom": {UNICODE: UNICODE}, **{key: UNICODE for key in strings}}
    response = http.put("/planhat/tickets", headers=PLANHAT_AUTH, json=item)
    assert response.status_code == 200, response.text
    listed = http.get("/planhat/tickets", headers=PLANHAT_AUTH, params={"email": "max@acme.example"}).json()
    stored = next(t for t in listed if t.get("sourceId") == UNICODE)
    for key in (*strings, "tags", "custom"):
        assert stored[key] == item[key], key


FULLWIDTH_DIGITS = "".join(chr(0xFF10 + int(d)) for d in "4915112345678")


def test_unicode_where_a_pattern_forbids_it_is_a_400(fresh: httpx.Client) -> None:
    # Full-width digits are digits to Python's `\d`; the specs say [0-9], so both validators refuse them.
    response = fresh.post("/talque/webhook/org/org-demo/ticket", headers=TALQUE_AUTH,
                          json={"tickets": [{"extTicketId": "T-phone", "phoneNumber": "+" + FULLWIDTH_DIGITS}]})
    assert_error_shape(TARGETS[0], response, 400)
    response = fresh.post("/gomry/api/v1/events/evt_demo/attendees", headers=GOMRY_WRITE,
                          json={"ticket_class_id": "tc_general", "contact": {"email": "zoë at exämple.com"}})
    assert_error_shape(TARGETS[2], response, 400)


# --- control-plane inputs that name files ------------------------------------------------------


@pytest.mark.parametrize("path", ["no/such/file.yaml", "fixtures\u0000.yaml", "/", "x" * 5000],
                         ids=["missing", "nul-byte", "directory", "5000-chars"])
def test_reset_with_an_impossible_fixture_path_is_a_400(fresh: httpx.Client, path: str) -> None:
    response = fresh.post("/_admin/reset", json={"fixtures": path})
    assert_error_shape(TARGETS[4], response, 400)
    assert "fixtures" in response.json()["details"]


# --- the catalogue is documented --------------------------------------------------------------


def test_every_catalogue_row_is_in_docs_reliability() -> None:
    text = DOC.read_text(encoding="utf-8")
    ids = [b.id for b in BAD_BODIES] + list(HOSTILE_IDS) + list(HUGE_NUMBERS)
    missing = [i for i in ids if f"`{i}`" not in text]
    assert not missing, f"docs/reliability.md lacks catalogue rows: {missing}"
