"""`ticketfakes proxy --record FILE.har` and `ticketfakes fixtures from-har`: a HAR 1.2 document with the
secrets masked, and a round trip record -> fixture -> serve that answers the recorded reads the same way."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest
import yaml

from ticketfakes.core.clock import Clock
from ticketfakes.fakes import by_name
from ticketfakes.fixtures import DEFAULT_FIXTURES, load_fixture_file
from ticketfakes.har.gomry import GomryRecording
from ticketfakes.har.planhat import PlanhatRecording
from ticketfakes.har.talque import TalqueRecording
from ticketfakes.pytest_plugin import Fakes
from ticketfakes.server import ServedProcess

from .conftest import GOMRY_WRITE, PLANHAT_AUTH, TALQUE_AUTH
from .proxy_support import ServedProxy, upstream_args

SECRETS = ("demo-secret", "gk_demo_write", "ph_demo_token")
HAR_SCHEMAS = Path(__file__).resolve().parent / "data" / "har-schema"


def har_schema(name: str = "har.json") -> dict[str, Any]:
    """har-schema's document `name` with its `$ref`s to the other documents inlined (they have no cycles)."""

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.endswith(".json#"):
                return har_schema(ref.removesuffix("#"))
            return {k: inline(v) for k, v in node.items() if k not in ("$id", "$schema")}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    return inline(json.loads((HAR_SCHEMAS / name).read_text(encoding="utf-8")))


def record(upstream_url: str, har: Path, session: Any) -> list[httpx.Response]:
    with (ServedProxy(*upstream_args(upstream_url), "--record", str(har)) as proxy,
          httpx.Client(base_url=proxy.url, timeout=30) as http):
        answers = session(http)
    assert proxy.returncode == 0
    assert f"recorded {len(answers)} exchange(s) in {har}" in proxy.text
    return answers


def writes_then_reads(http: httpx.Client) -> list[httpx.Response]:
    webhook = "/talque/webhook/org/org-demo/ticket"
    answers = [
        http.post(webhook, headers=TALQUE_AUTH, json={"tickets": [
            {"extTicketId": "a", "email": "ada@example.com", "firstName": "Ada", "tickets": ["vip"],
             "extEventIds": ["ext-keynote"], "vendorIds": ["vendor-acme"], "jobTitle": "Countess"},
            {"extTicketId": "b", "email": "bob@example.com", "tickets": ["day-pass", "full-event"]},
            {"extTicketId": "c"}],
            "purchaseOrder": {"extPurchaseId": "po-1", "email": "buyer@example.com", "firstName": "Bea"}}),
        http.post(webhook, headers=TALQUE_AUTH, json={"tickets": [{"extTicketId": "b", "email": "bob@example.com",
                                                                     "tickets": ["full-event"]}]}),
        http.post("/gomry/api/v1/events/evt_demo/attendees", headers=GOMRY_WRITE, json={
            "ticket_class_id": "tc_general", "contact": {"email": "g@example.com", "first_name": "Grace"},
            "quantity": 2}),
        http.post("/gomry/api/v1/events/evt_small/attendees", headers=GOMRY_WRITE, json={
            "ticket_class_id": "tc_small", "contact": {"email": "h@example.com"}, "payment_method": "free"}),
        http.put("/planhat/tickets", headers=PLANHAT_AUTH, json=[
            {"email": "max@acme.example", "sourceId": "p1", "title": "Printer", "custom": {"n": 1}},
            {"email": "new@globex.example", "companyExternalId": "globex-ext", "sourceId": "p2"}]),
    ]
    attendee = answers[2].json()["data"][0]["id"]
    answers.append(http.patch(f"/gomry/api/v1/events/evt_demo/attendees/{attendee}", headers=GOMRY_WRITE,
                              json={"status": "checked_in"}))
    # the reads, after every write: the state a replay must show
    answers += [
        http.post("/talque/api/v1/ticket/read", headers=TALQUE_AUTH,
                  json={"orgId": "org-demo", "provider": "demo-shop", "ticketIdList": ["a", "b", "c", "zz"]}),
        http.post("/talque/api/v1/ticket/list", headers=TALQUE_AUTH, json={"orgId": "org-demo", "limit": 100}),
        http.get("/gomry/api/v1/events", headers=GOMRY_WRITE),
        http.get("/gomry/api/v1/events/evt_demo/attendees", headers=GOMRY_WRITE, params={"status": "valid,checked_in"}),
        http.get(f"/gomry/api/v1/events/evt_demo/attendees/{attendee}", headers=GOMRY_WRITE),
        http.get("/gomry/api/v1/events/evt_demo/ticket-classes", headers=GOMRY_WRITE),
        http.get("/planhat/tickets", headers=PLANHAT_AUTH),
        http.get("/planhat/tickets", headers=PLANHAT_AUTH, params={"sort": "-sourceId", "limit": 1}),
    ]
    assert all(a.status_code < 300 for a in answers), [a.text for a in answers if a.status_code >= 300]
    return answers


def test_the_recording_is_har_1_2_with_secrets_masked(ticketfakes: Fakes, tmp_path: Path) -> None:
    har = tmp_path / "session.har"
    answers = record(ticketfakes.url, har, writes_then_reads)
    text = har.read_text(encoding="utf-8")
    document = json.loads(text)
    validator = jsonschema_rs.Draft7Validator(har_schema(), validate_formats=True)
    validator.validate(document)
    broken = json.loads(text)
    del broken["log"]["entries"][0]["timings"]
    broken["log"]["entries"][1]["startedDateTime"] = "yesterday"
    errors = [error.message for error in validator.iter_errors(broken)]
    assert "\"timings\" is a required property" in errors and "\"yesterday\" is not a \"date-time\"" in errors
    entries = document["log"]["entries"]
    assert len(entries) == len(answers)
    for entry, answer in zip(entries, answers, strict=True):
        datetime.fromisoformat(entry["startedDateTime"])
        assert entry["request"]["method"] == answer.request.method
        assert entry["request"]["url"].endswith(answer.request.url.raw_path.decode())
        assert entry["response"]["status"] == answer.status_code
        assert entry["response"]["content"]["text"] == answer.text
        assert entry["response"]["content"]["mimeType"] == "application/json"
        assert entry["_vendor"] in ("talque", "gomry", "planhat")
        assert entry["_upstream"].startswith(ticketfakes.url)
        if entry["request"]["method"] in ("POST", "PUT", "PATCH"):
            assert json.loads(entry["request"]["postData"]["text"]) == json.loads(answer.request.content)
        for header in entry["request"]["headers"]:
            if header["name"] in ("x-tq-secret", "x-api-key", "authorization"):
                assert header["value"] == "[masked by ticketfakes]"
    assert not [secret for secret in SECRETS if secret in text]
    query = next(e for e in entries if "sort=" in e["request"]["url"])["request"]["queryString"]
    assert query == [{"name": "sort", "value": "-sourceId"}, {"name": "limit", "value": "1"}]


def from_har(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ticketfakes", "fixtures", "from-har", *args],
                          capture_output=True, text=True, timeout=60)


def test_record_fixture_serve_answers_the_recorded_reads_the_same(ticketfakes: Fakes, tmp_path: Path) -> None:
    har, fixture = tmp_path / "session.har", tmp_path / "recorded.yaml"
    record(ticketfakes.url, har, writes_then_reads)
    done = from_har(str(har), "-o", str(fixture))
    assert done.returncode == 0, done.stderr
    entries = json.loads(har.read_text(encoding="utf-8"))["log"]["entries"]
    reads = [e for e in entries if e["request"]["method"] == "GET" or e["request"]["url"].endswith(("/read", "/list"))]
    assert len(reads) == 8
    credentials = {"talque": TALQUE_AUTH, "gomry": GOMRY_WRITE, "planhat": PLANHAT_AUTH}
    with ServedProcess(fixture) as served, httpx.Client(timeout=30) as http:
        for entry in reads:
            request = entry["request"]
            url = served.url + "/" + request["url"].split("/", 3)[3]
            body = request.get("postData", {}).get("text")
            answer = http.request(request["method"], url, headers={**credentials[entry["_vendor"]],
                                                                   "Content-Type": "application/json"},
                                  content=body.encode() if body else None)
            assert answer.status_code == entry["response"]["status"], (url, answer.text)
            assert answer.json() == json.loads(entry["response"]["content"]["text"]), url


def test_from_har_refuses_what_is_not_a_har_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.har"
    broken.write_text('{"not": "a har"}', encoding="utf-8")
    for path in (str(broken), str(tmp_path / "missing.har")):
        done = from_har(path)
        assert done.returncode == 2
        assert "ticketfakes fixtures from-har:" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("records", ["tickets: 3", "nonsense: []", "[1, 2]"])
def test_a_bad_records_section_is_a_fixture_error_naming_it(tmp_path: Path, records: str) -> None:
    fixture = tmp_path / "bad.yaml"
    fixture.write_text(f"planhat:\n  tokens: [t]\n  records: {{{records}}}\n" if ":" in records
                       else f"planhat:\n  tokens: [t]\n  records: {records}\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "ticketfakes", "serve", "--port", "0", "--fixtures", str(fixture)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "planhat.records" in done.stderr and "Traceback" not in done.stderr


def same_contact_across_an_upstream_reset(upstream_url: str) -> Any:
    """The audit's scenario: one contact e-mail, created before and after `POST /_admin/reset` on the
    upstream (not the proxy), so the recording shows two contact ids (and maybe reused ids) for one key."""

    def session(http: httpx.Client) -> list[httpx.Response]:
        def create(first_name: str) -> httpx.Response:
            return http.post("/gomry/api/v1/events/evt_demo/attendees", headers=GOMRY_WRITE, json={
                "ticket_class_id": "tc_general", "contact": {"email": "jane@example.com", "first_name": first_name}})

        answers = [create("Jane")]
        assert httpx.post(upstream_url + "/_admin/reset", timeout=10).status_code < 300
        answers.append(create("Janet"))
        assert all(a.status_code == 201 for a in answers), [a.text for a in answers]
        return answers

    return session


def test_a_contact_seen_before_and_after_an_upstream_reset_round_trips(tmp_path: Path) -> None:
    har, fixture = tmp_path / "a.har", tmp_path / "f.yaml"
    with ServedProcess() as upstream:
        first, second = record(upstream.url, har, same_contact_across_an_upstream_reset(upstream.url))
    done = from_har(str(har), "-o", str(fixture))
    assert done.returncode == 0, done.stderr
    newest = second.json()["data"][0]
    with ServedProcess(fixture) as served, httpx.Client(base_url=served.url, timeout=30) as http:
        listed = http.get("/gomry/api/v1/events/evt_demo/attendees", headers=GOMRY_WRITE)
        assert listed.status_code == 200, listed.text
        jane = [a for a in listed.json()["data"] if a["email"] == "jane@example.com"]
        # one contact for the one e-mail: the newest sighting's id and name; every kept attendee points at it
        assert {a["contact_id"] for a in jane} == {newest["contact_id"]}
        assert {a["id"] for a in jane} == {first.json()["data"][0]["id"], newest["id"]}
        assert {a["first_name"] for a in jane} == {"Jane", "Janet"}  # the attendees keep their own names
        again = http.post("/gomry/api/v1/events/evt_demo/attendees", headers=GOMRY_WRITE, json={
            "ticket_class_id": "tc_general", "contact": {"email": "JANE@example.com"}})
        assert again.status_code == 201, again.text
        assert again.json()["data"][0]["contact_id"] == newest["contact_id"]


def gomry_attendee(ident: str, contact: str, email: str, first_name: str, at: str) -> dict[str, Any]:
    return {"id": ident, "event_id": "evt_demo", "ticket_class_id": "tc_general", "ticket_class_name": "General",
            "contact_id": contact, "email": email, "first_name": first_name, "last_name": None, "status": "valid",
            "payment_id": f"pay_{ident}", "payment_method": "cash", "created_at": at, "updated_at": at}


def talque_model(org_ticket_id: str, ext_id: str, po_id: str, ctime: int) -> dict[str, Any]:
    return {"orgTicketId": org_ticket_id, "ticketId": ext_id, "provider": "demo-shop", "ctime": ctime, "mtime": ctime,
            "isTest": True, "tickets": ["day-pass"], "categories": ["visitor"], "holder": {"email": "ada@example.com"},
            "purchaseOrderId": po_id, "extPurchaseOrderId": "po-1", "purchaser": {"email": "bea@example.com"}}


def planhat_ticket(ident: str, source_id: str, company: str, at: str) -> dict[str, Any]:
    return {"_id": ident, "sourceId": source_id, "email": "new@globex.example", "companyExternalId": "initech-ext",
            "companyId": company, "companyName": "Initech", "endUserId": "e" * 23 + ident[-1],
            "title": ident, "createdAt": at, "updatedAt": at}


def test_records_seen_twice_under_one_natural_key_merge_to_the_newest(tmp_path: Path) -> None:
    """What a reset of the upstream between two sightings leaves: one natural key under two ids."""
    talque_seen, gomry_seen, planhat_seen = TalqueRecording(), GomryRecording(), PlanhatRecording()
    for item in (gomry_attendee("tkt_old", "con_old", "Jane@Example.com", "Jane", "2026-01-01T10:00:00.000Z"),
                 gomry_attendee("tkt_new", "con_new", "jane@example.com", "Janet", "2026-01-01T11:00:00.000Z"),
                 gomry_attendee("tkt_other", "con_other", "kim@example.com", "Kim", "2026-01-01T12:00:00.000Z")):
        gomry_seen.attendees[item["id"]] = item
    talque_seen.tickets = {"t-old": ("org-demo", talque_model("t-old", "a", "po-old", 1000)),
                           "t-new": ("org-demo", talque_model("t-new", "a", "po-new", 2000))}
    for ticket in (planhat_ticket("a" * 24, "p1", "c" * 24, "2026-01-01T10:00:00.000Z"),
                   planhat_ticket("b" * 24, "p1", "d" * 24, "2026-01-01T11:00:00.000Z"),
                   planhat_ticket("f" * 24, "p2", "c" * 24, "2026-01-01T09:00:00.000Z")):
        planhat_seen.tickets[ticket["_id"]] = ticket
    fixture = yaml.safe_load(DEFAULT_FIXTURES.read_text(encoding="utf-8"))
    for recording in (talque_seen, gomry_seen, planhat_seen):
        recording.write(fixture)

    gomry = fixture["gomry"]["records"]
    assert [(c["id"], c["email"], c["first_name"]) for c in gomry["contacts"]] == [
        ("con_new", "jane@example.com", "Janet"), ("con_other", "kim@example.com", "Kim")]
    assert gomry["contacts"][0]["created_ms"] < gomry["contacts"][0]["updated_ms"]  # created at the first sighting
    assert {a["id"]: a["contact_id"] for a in gomry["attendees"]} == {
        "tkt_old": "con_new", "tkt_new": "con_new", "tkt_other": "con_other"}
    talque = fixture["talque"]["records"]
    assert [t["org_ticket_id"] for t in talque["tickets"]] == ["t-new"]
    assert [o["id"] for o in talque["purchase_orders"]] == ["po-new"]
    assert talque["tickets"][0]["purchase_order_id"] == "po-new"
    planhat = fixture["planhat"]
    assert sorted(t["_id"] for t in planhat["records"]["tickets"]) == ["b" * 24, "f" * 24]
    assert {t["companyId"] for t in planhat["records"]["tickets"]} == {"d" * 24}  # the newest sighting's id
    assert [c["id"] for c in planhat["companies"] if c.get("external_id") == "initech-ext"] == ["d" * 24]
    newest_user = "e" * 23 + "b"
    assert [u["id"] for u in planhat["endusers"] if u["email"] == "new@globex.example"] == [newest_user]
    assert {t["endUserId"] for t in planhat["records"]["tickets"]} == {newest_user}

    written = tmp_path / "merged.yaml"
    written.write_text(yaml.safe_dump(fixture, sort_keys=False), encoding="utf-8")
    root = load_fixture_file(written)
    for vendor in ("talque", "gomry", "planhat"):  # each vendor's loader takes the merged records
        by_name(vendor).backend.from_fixture(root.section(vendor), Clock())


@pytest.mark.parametrize(("change", "cause"), [
    ({"org_id": "gorg_nowhere"}, "gomry.contacts[1].org_id: unknown org_id"),
    ({"id": "con_a"}, "gomry.contacts[1].id: duplicate contact id"),
    ({"email": "A@example.com"}, "gomry.contacts[1].email: duplicate e-mail in this org"),
])
def test_a_bad_gomry_contact_record_is_refused_naming_its_one_cause_once(
        tmp_path: Path, change: dict[str, str], cause: str) -> None:
    contact = {"id": "con_a", "org_id": "gorg_demo", "email": "a@example.com", "first_name": None,
               "last_name": None, "phone": None, "created_ms": 0, "updated_ms": 0}
    fixture = yaml.safe_load(DEFAULT_FIXTURES.read_text(encoding="utf-8"))
    fixture["gomry"]["records"] = {"contacts": [contact, {**contact, "id": "con_b", "email": "b@example.com",
                                                          **change}]}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(fixture, sort_keys=False), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "ticketfakes", "serve", "--port", "0", "--fixtures", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert cause in done.stderr and done.stderr.count("gomry.contacts[1]") == 1, done.stderr
    assert "Traceback" not in done.stderr
