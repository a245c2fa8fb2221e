"""The dashboard in a real browser: headless Chromium from the distribution (installed by .ci/run) driven by
Playwright, against the served subprocess. Skips only when Chromium is absent and CI is unset.

`TICKETFAKES_SCREENSHOTS=DIR` also saves the screenshots docs/dashboard.md shows.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ticketfakes.pytest_plugin import Fakes

from .conftest import GOMRY_READ, GOMRY_WRITE, PLANHAT_AUTH, TALQUE_AUTH

CHROMIUM = os.environ.get("TICKETFAKES_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
ATTENDEES = "/gomry/api/v1/events/evt_small/attendees"
TIMEOUT_MS = 5000


def _playwright() -> Any:
    available = Path(CHROMIUM).exists() or shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        available = False
    if not available:
        if os.environ.get("CI"):
            pytest.fail("CI is set but Chromium or Playwright is missing (.ci/run installs both)")
        pytest.skip("Chromium or Playwright not installed (CI unset)")
    return sync_playwright


@pytest.fixture
def page(ticketfakes: Fakes) -> Iterator[Any]:
    sync_playwright = _playwright()
    executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            tab = context.new_page()
            tab.set_default_timeout(TIMEOUT_MS)
            errors: list[str] = []
            tab.on("pageerror", lambda error: errors.append(str(error)))
            tab.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            yield tab
            assert errors == []
        finally:
            browser.close()


def _shoot(tab: Any, name: str, selector: str | None = None) -> None:
    folder = os.environ.get("TICKETFAKES_SCREENSHOTS")
    if folder:
        target = tab.locator(selector) if selector else tab
        target.screenshot(path=str(Path(folder) / name))


def test_journal_live_refusal_detail_reset_and_escaping(page: Any, http: httpx.Client, ticketfakes: Fakes) -> None:
    page.goto(f"{ticketfakes.url}/_admin/ui")
    assert page.locator("#namespace").text_content() == "namespace: default"
    page.get_by_text("No requests yet.").wait_for()

    refused = http.post(ATTENDEES, headers=GOMRY_READ, json={"ticket_class_id": "tc_small",
                                                             "contact": {"email": "jane@example.com"}})
    good = http.post(ATTENDEES, headers=GOMRY_WRITE, json={"ticket_class_id": "tc_small",
                                                           "contact": {"email": "jane@example.com"}})
    assert (refused.status_code, good.status_code) == (403, 201)
    rows = page.locator("#requests tbody tr")
    rows.filter(has_text="201").wait_for()  # both appear without a reload: the page polls the journal
    assert rows.count() == 2
    assert rows.nth(0).locator("td.status").text_content() == "201"
    refused_row = rows.nth(1)
    assert refused_row.locator("td.status").text_content() == "403"
    assert "gomry.insufficient_scope" in refused_row.text_content()

    refused_row.focus()  # keyboard: a row opens with Enter
    page.keyboard.press("Enter")
    page.locator("#detail").wait_for(state="visible")
    assert page.locator("#rule-name").text_content() == "gomry.insufficient_scope"
    assert "'gk_demo_read' lacks the scope attendees:write" in page.locator("#rule-explanation").text_content()
    curl = page.locator("#detail-curl").text_content()
    assert curl.startswith(f"curl -X POST {ticketfakes.url}{ATTENDEES} -H 'x-api-key: gk_demo_read'")
    assert '"jane@example.com"' in page.locator("#detail-req-body").text_content()
    assert page.locator("#detail-req-headers td", has_text="gk_d…").count() == 1  # masked in the table
    page.get_by_role("button", name="Close").click()
    assert page.locator("#detail").is_hidden()

    # A typo'd field (warning), the event filled up, then a capacity refusal and its replay.
    typo = {"ticket_class_id": "tc_small", "contact": {"email": "max@example.com", "emial": "max@example.com"}}
    assert http.post(ATTENDEES, headers=GOMRY_WRITE, json=typo).status_code == 201
    full = {"ticket_class_id": "tc_small", "contact": {"email": "ann@example.com"}, "quantity": 2}
    keyed = {**GOMRY_WRITE, "Idempotency-Key": "order-7"}
    assert [http.post(ATTENDEES, headers=keyed, json=full).status_code for _ in range(2)] == [409, 409]
    rows.filter(has_text="replay").wait_for()
    assert rows.first.locator(".badge.rule").text_content() == "idempotency.replay"
    rows.filter(has_text="1 warning").wait_for()
    capacity = rows.nth(1)
    capacity.click()
    assert page.locator("#rule-name").text_content() == "capacity"
    assert page.locator("#rule-explanation").text_content().startswith(
        "capacity: tc_small on evt_small has 1 of 3 seats left")
    _shoot(page, "dashboard-detail.png")
    page.keyboard.press("Escape")
    assert page.locator("#detail").is_hidden()
    _shoot(page, "dashboard-journal.png")

    # A value that is markup renders as text, everywhere.
    hostile = "<script>window.pwned=1</script><img src=x onerror=window.pwned=1>"
    http.post(ATTENDEES, headers=GOMRY_WRITE, json={"ticket_class_id": "tc_small",
                                                    "contact": {"email": "eve@example.com", "first_name": hostile}})
    http.post("/talque/webhook/org/org-demo/ticket", headers=TALQUE_AUTH,
              json={"tickets": [{"extTicketId": hostile}]})
    page.locator("#requests tbody tr").filter(has_text="/talque/webhook").wait_for()
    page.locator("#requests tbody tr").first.click()
    page.locator("#detail-req-body", has_text=hostile).wait_for()

    page.get_by_role("tab", name="State").click()
    page.locator("#s-vendor").select_option("gomry")
    names = page.locator("#state-view td", has_text=hostile)
    names.first.wait_for()
    page.locator("#s-vendor").select_option("talque")
    page.locator("#state-view td", has_text=hostile).first.wait_for()
    assert page.evaluate("window.pwned") is None
    assert page.evaluate("document.querySelectorAll('main script, main img').length") == 0

    # Search by e-mail, then follow an entity link from the journal into the state view.
    page.locator("#s-vendor").select_option("gomry")
    page.get_by_label("Search id or e-mail").fill("jane@example.com")
    attendees = page.locator("table.state", has_text="Attendees")
    attendees.locator("caption", has_text="(1 of 3)").wait_for()

    # Reset from the page: the state view is back to the fixture (no attendees), the journal empties.
    page.get_by_role("tab", name="Controls").click()
    page.get_by_role("button", name="Reset").click()
    page.locator("#status", has_text="reset done").wait_for()
    page.get_by_role("tab", name="State").click()
    page.get_by_label("Search id or e-mail").fill("")
    attendees.locator("caption", has_text="Attendees (0)").wait_for()
    page.locator("table.state", has_text="Events").locator("td", has_text="0 / 3").wait_for()
    page.locator("#s-vendor").select_option("talque")
    page.locator("table.state", has_text="Tickets per org").locator("caption", has_text="(0)").wait_for()
    assert http.get("/_admin/state/gomry").json()["attendees"] == []
    page.get_by_role("tab", name="Journal").click()
    page.get_by_text("No requests yet.").wait_for()


def test_controls_clock_rate_limits_faults(page: Any, http: httpx.Client, ticketfakes: Fakes) -> None:
    page.goto(f"{ticketfakes.url}/_admin/ui")
    page.get_by_role("tab", name="Controls").click()
    before = http.get("/_admin/clock").json()["now_ms"]
    page.get_by_label("frozen").check()
    page.locator("#status", has_text="clock updated").wait_for()
    assert http.get("/_admin/clock").json()["frozen"] is True
    page.get_by_label("Advance by (ms)").fill("3600000")
    page.get_by_role("button", name="Advance").click()
    page.locator("#status", has_text="clock advanced").wait_for()
    assert http.get("/_admin/clock").json()["now_ms"] >= before + 3_600_000

    page.get_by_label("Planhat (200 per minute per token)").check()
    page.locator("#status", has_text="planhat rate limit switched").wait_for()
    assert http.get("/_admin/rate-limits").json() == {"gomry": False, "planhat": True}
    assert "x-rate-limit-limit" in http.get("/planhat/tickets", headers=PLANHAT_AUTH).headers

    page.locator("#fault-vendor").select_option("gomry")
    page.locator("#fault-status").fill("503")
    page.locator("#fault-times").fill("1")
    page.get_by_role("button", name="Add rule").click()
    page.locator("#faults td", has_text="status=503").wait_for()
    assert http.get("/_admin/faults").json() == {"rules": [{"vendor": "gomry", "latency_ms": 0, "status": 503,
                                                            "ratio": 1.0, "times": 1}]}
    assert http.get("/gomry/api/v1/events", headers=GOMRY_WRITE).status_code == 503
    page.get_by_role("tab", name="Journal").click()
    faulted = page.locator("#requests tbody tr", has_text="503")
    faulted.locator(".badge.fault").wait_for()
    faulted.click()
    assert page.locator("#rule-name").text_content() == "fault.injected"
    page.get_by_role("tab", name="Controls").click()
    page.get_by_label("Planhat (200 per minute per token)").uncheck()
    page.locator("#status", has_text="planhat rate limit switched").wait_for()
    assert http.get("/_admin/rate-limits").json()["planhat"] is False


def test_state_tables_stay_drawable(page: Any, http: httpx.Client, ticketfakes: Fakes) -> None:
    items = [{"sourceId": f"s{i}", "email": "max@acme.example"} for i in range(501)]
    assert http.put("/planhat/tickets", headers=PLANHAT_AUTH, json=items).json()["created"] == 501
    page.goto(f"{ticketfakes.url}/_admin/ui")
    page.get_by_role("tab", name="State").click()
    page.locator("#s-vendor").select_option("planhat")
    tickets = page.locator("table.state", has_text="Tickets")
    tickets.locator("caption", has_text="Tickets (501; the first 500 shown, search to narrow)").wait_for()
    assert tickets.locator("tbody tr").count() == 500
    page.get_by_label("Search id or e-mail").fill("s500")
    tickets.locator("caption", has_text="Tickets (1 of 501)").wait_for()
    assert tickets.locator("tbody tr").count() == 1


def test_a_namespace_has_its_own_dashboard(page: Any, http: httpx.Client, ticketfakes: Fakes) -> None:
    """`/ns/{name}/_admin/ui` shows that namespace's journal and state only, and its reset resets only it."""
    root = ticketfakes.server_url
    body = {"ticket_class_id": "tc_small", "contact": {"email": "ns@example.com"}}
    with httpx.Client(base_url=root, timeout=30) as server:
        assert server.put("/_admin/namespaces/ui-w1").status_code in (200, 201)
        try:
            assert server.post("/ns/ui-w1" + ATTENDEES, headers=GOMRY_WRITE, json=body).status_code == 201
            assert server.post("/ns/ui-w1" + ATTENDEES, headers=GOMRY_READ, json=body).status_code == 403
            assert server.post(ATTENDEES, headers=GOMRY_WRITE, json=body).status_code == 201  # in `default`
            page.goto(f"{root}/ns/ui-w1/_admin/ui")
            assert page.locator("#namespace").text_content() == "namespace: ui-w1"
            rows = page.locator("#requests tbody tr")
            rows.filter(has_text="403").wait_for()
            assert rows.count() == 2  # the namespace's two requests, not default's
            assert "/gomry/api/v1/events/evt_small/attendees" in rows.nth(0).text_content()
            rows.nth(0).click()
            assert page.locator("#rule-name").text_content() == "gomry.insufficient_scope"
            page.keyboard.press("Escape")

            page.get_by_role("tab", name="State").click()
            page.locator("#s-vendor").select_option("gomry")
            page.locator("table.state", has_text="Attendees").locator("caption", has_text="Attendees (1)").wait_for()

            page.get_by_role("tab", name="Controls").click()
            page.get_by_role("button", name="Reset").click()
            page.locator("#status", has_text="reset done").wait_for()
            assert server.get("/ns/ui-w1/_admin/state/gomry").json()["attendees"] == []
            assert len(server.get("/_admin/state/gomry").json()["attendees"]) == 1  # default untouched
        finally:
            server.delete("/_admin/namespaces/ui-w1")
