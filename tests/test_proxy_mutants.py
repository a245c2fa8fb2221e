"""The deliberately broken fakes of tests/mutants/ as the proxy's upstream: client traffic that meets
each drift makes the proxy report it under the rule name `ticketfakes check` uses (docs/proxy.md lists
the mutants passive observation cannot see). The same traffic through a correct upstream reports nothing."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from ticketfakes.fixtures import DEFAULT_FIXTURES
from ticketfakes.pytest_plugin import Fakes

from .conftest import GOMRY_OTHER, GOMRY_WRITE, OTHER_TALQUE_AUTH, PLANHAT_AUTH, TALQUE_AUTH
from .mutants.catalogue import MUTANTS
from .mutants.serve import ServedMutant
from .proxy_support import ServedProxy, closed_port, upstream_args

Scenario = Callable[[httpx.Client], None]
WEBHOOK = "/talque/webhook/org/org-demo/ticket"
READ = "/talque/api/v1/ticket/read"
LIST = "/talque/api/v1/ticket/list"
EVENTS = "/gomry/api/v1/events"


def ticket(ext: str, **fields: Any) -> dict[str, Any]:
    return {"extTicketId": ext, "email": f"{ext}@example.com", "firstName": "Ada", "tickets": ["day-pass"], **fields}


def post(http: httpx.Client, *tickets: dict[str, Any], **body: Any) -> dict[str, Any]:
    answer = http.post(WEBHOOK, headers=TALQUE_AUTH, json={"tickets": list(tickets), **body})
    assert answer.status_code == 200, answer.text
    return answer.json()


def repost(http: httpx.Client) -> None:
    post(http, ticket("t1"))
    post(http, ticket("t1"))


def update(http: httpx.Client) -> None:
    post(http, ticket("t1"))
    time.sleep(0.01)  # a later millisecond for the update
    post(http, ticket("t1", jobTitle="CTO"))


def stale_read(http: httpx.Client) -> None:
    update(http)
    http.post(READ, headers=TALQUE_AUTH, json={"orgId": "org-demo", "provider": "demo-shop", "ticketIdList": ["t1"]})


def purchaser_read(http: httpx.Client) -> None:
    post(http, ticket("t1"), purchaseOrder={"extPurchaseId": "po-1", "email": "buyer@example.com"})
    http.post(READ, headers=TALQUE_AUTH, json={"orgId": "org-demo", "provider": "demo-shop", "ticketIdList": ["t1"]})


def page_through(http: httpx.Client, during: Callable[[], None] | None = None) -> None:
    post(http, *(ticket(f"t{i}") for i in range(5)))
    cursor, pages = None, 0
    while pages < 10:
        page = http.post(LIST, headers=TALQUE_AUTH, json={"orgId": "org-demo", "limit": 2, "cursor": cursor}).json()
        pages += 1
        if pages == 1 and during is not None:
            during()
        if not page["more"]:
            return
        cursor = page["cursor"]


def paging_with_update(http: httpx.Client) -> None:
    """Updates a ticket already listed (t0) and one not yet listed (t4) while paging."""
    page_through(http, lambda: post(http, ticket("t0", jobTitle="moved"), ticket("t4", jobTitle="moved")))


def untyped(http: httpx.Client) -> None:
    post(http, {"extTicketId": "t1", "email": "t1@example.com"})


def other_provider(http: httpx.Client) -> None:
    post(http, ticket("t1"))
    http.post(READ, headers=TALQUE_AUTH, json={"orgId": "org-demo", "provider": "other-shop", "ticketIdList": ["t1"]})
    http.post(LIST, headers=OTHER_TALQUE_AUTH, json={"orgId": "org-other"})


def create(http: httpx.Client, event: str, ticket_class: str, quantity: int = 1, key: str | None = None,
           auth: dict[str, str] = GOMRY_WRITE, email: str = "a@example.com") -> httpx.Response:
    headers = {**auth, **({"Idempotency-Key": key} if key else {})}
    body = {"ticket_class_id": ticket_class, "contact": {"email": email}, "quantity": quantity}
    return http.post(f"{EVENTS}/{event}/attendees", headers=headers, json=body)


def overfill_event(http: httpx.Client) -> None:
    for index in range(4):
        create(http, "evt_small", "tc_small", email=f"s{index}@example.com")
    http.get(f"{EVENTS}/evt_small", headers=GOMRY_WRITE)


def overfill_class(http: httpx.Client) -> None:
    create(http, "evt_demo", "tc_vip", quantity=6)
    http.get(f"{EVENTS}/evt_demo/ticket-classes", headers=GOMRY_WRITE)


def list_events(http: httpx.Client) -> None:
    http.get(EVENTS, headers=GOMRY_WRITE)


def retry(http: httpx.Client) -> None:
    create(http, "evt_demo", "tc_general", key="k-1")
    create(http, "evt_demo", "tc_general", key="k-1")


def retry_refusal(http: httpx.Client) -> None:
    create(http, "evt_small", "tc_small", quantity=4, key="k-1")
    create(http, "evt_small", "tc_small", quantity=1, key="k-1")


def same_key_other_org(http: httpx.Client) -> None:
    create(http, "evt_demo", "tc_general", key="k-1")
    create(http, "evt_other", "tc_other", key="k-1", auth=GOMRY_OTHER)


def other_org_event(http: httpx.Client) -> None:
    http.get(EVENTS, headers=GOMRY_WRITE)
    http.get(EVENTS, headers=GOMRY_OTHER)
    http.get(f"{EVENTS}/evt_demo/attendees", headers=GOMRY_OTHER)


def anonymous_gomry(http: httpx.Client) -> None:
    http.get(f"{EVENTS}/evt_demo/attendees")


def patch_then_get(http: httpx.Client) -> None:
    attendee = create(http, "evt_demo", "tc_general").json()["data"][0]["id"]
    path = f"{EVENTS}/evt_demo/attendees/{attendee}"
    http.patch(path, headers=GOMRY_WRITE, json={"first_name": "Renamed"})
    http.get(path, headers=GOMRY_WRITE)
    http.get(f"{EVENTS}/evt_demo/attendees", headers=GOMRY_WRITE)


def resend(http: httpx.Client) -> None:
    items = [{"email": "max@acme.example", "sourceId": "s1", "title": "a"}]
    http.put("/planhat/tickets", headers=PLANHAT_AUTH, json=items)
    http.put("/planhat/tickets", headers=PLANHAT_AUTH, json=items)


def with_dropped(http: httpx.Client) -> None:
    http.put("/planhat/tickets", headers=PLANHAT_AUTH, json=[{"email": "max@acme.example", "sourceId": "s1"},
                                                             {"sourceId": "no-email"}])


def anonymous_planhat(http: httpx.Client) -> None:
    http.get("/planhat/tickets")


def talque_refusal(http: httpx.Client) -> None:
    http.post(WEBHOOK, headers={**TALQUE_AUTH, "X-TQ-SECRET": "wrong"}, json={"tickets": [ticket("t1")]})


def delete_then_list(http: httpx.Client) -> None:
    http.put("/planhat/tickets", headers=PLANHAT_AUTH, json=[{"email": "max@acme.example", "sourceId": "s1"}])
    listed = http.get("/planhat/tickets", headers=PLANHAT_AUTH).json()
    http.delete(f"/planhat/tickets/{listed[0]['_id']}", headers=PLANHAT_AUTH)
    http.get("/planhat/tickets", headers=PLANHAT_AUTH)


# mutant -> (the traffic that meets its drift, the rule the proxy must name)
OBSERVED: dict[str, tuple[Scenario, str]] = {
    "gomry-capacity-off-by-one": (overfill_event, "gomry.capacity"),
    "gomry-capacity-ignores-class": (overfill_class, "gomry.capacity"),
    "gomry-seats-remaining-misreported": (list_events, "gomry.capacity"),
    "gomry-replay-reruns-create": (retry, "gomry.idempotency"),
    "gomry-replay-without-header": (retry, "gomry.idempotency"),
    "gomry-conflict-not-stored": (retry_refusal, "gomry.idempotency"),
    "gomry-idempotency-not-scoped": (same_key_other_org, "gomry.idempotency"),
    "gomry-tenant-leak": (other_org_event, "gomry.tenant_isolation"),
    "gomry-auth-bypass": (anonymous_gomry, "gomry.tenant_isolation"),
    "gomry-patch-not-stored": (patch_then_get, "gomry.read_after_write"),
    "gomry-error-shape": (anonymous_gomry, "spec.response"),
    "talque-error-shape": (talque_refusal, "spec.response"),
    "planhat-error-shape": (anonymous_planhat, "spec.response"),
    "talque-upsert-duplicates": (repost, "talque.webhook_upsert"),
    "talque-unchanged-bumps-mtime": (repost, "talque.webhook_upsert"),
    "talque-update-changes-ctime": (update, "talque.webhook_upsert"),
    "talque-update-new-org-ticket-id": (update, "talque.webhook_upsert"),
    "talque-category-null-omitted": (untyped, "talque.webhook_upsert"),
    "talque-read-stale-after-update": (stale_read, "talque.read_after_write"),  # the checker: webhook_upsert
    "talque-read-drops-purchaser": (purchaser_read, "talque.read_after_write"),
    "talque-list-skips-at-page-boundary": (page_through, "talque.list_paging"),
    "talque-list-repeats-at-page-boundary": (page_through, "talque.list_paging"),
    "talque-list-moves-updated-tickets": (paging_with_update, "talque.list_paging"),
    "talque-read-any-provider": (other_provider, "talque.tenant_isolation"),
    "planhat-nonupdates-counted-as-updated": (resend, "planhat.counts"),
    "planhat-resend-duplicates": (resend, "planhat.counts"),
    "planhat-dropped-items-counted": (with_dropped, "planhat.counts"),
    "planhat-auth-bypass": (anonymous_planhat, "planhat.tenant_isolation"),
    "planhat-delete-keeps-ticket": (delete_then_list, "planhat.read_after_write"),
}

# What one proxy cannot see from traffic alone (docs/proxy.md says why for each).
UNOBSERVED = {
    "gomry-capacity-race", "gomry-refusal-takes-seats", "gomry-list-skips-at-page-boundary",
    "talque-tenant-leak", "talque-webhook-tenant-leak", "talque-null-cursor-refused",
    "talque-auth-bypass", "talque-list-includes-new-tickets", "planhat-offset-off-by-one",
    "planhat-null-does-not-clear",
    # misconfigured targets: what the checker's preflight and coverage name, not drifts in the traffic
    "gomry-404-everything", "gomry-401-everything", "planhat-401-everything", "gomry-404-past-the-events",
}


@pytest.fixture(scope="module")
def events_readable_by_other(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default fixture, with gk_other allowed to list its events (what gomry.tenant_isolation learns from)."""
    fixture = yaml.safe_load(DEFAULT_FIXTURES.read_text(encoding="utf-8"))
    other = next(org for org in fixture["gomry"]["orgs"] if org["id"] == "gorg_other")
    other["api_keys"][0]["scopes"]["events"] = "read"
    path = tmp_path_factory.mktemp("fixtures") / "other-reads-events.yaml"
    path.write_text(yaml.safe_dump(fixture), encoding="utf-8")
    return path


def test_every_mutant_is_either_observed_or_documented_as_not() -> None:
    assert set(OBSERVED) | UNOBSERVED == set(MUTANTS)
    assert not set(OBSERVED) & UNOBSERVED
    docs = (Path(__file__).resolve().parents[1] / "docs" / "proxy.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in docs for name in UNOBSERVED)


@pytest.fixture(scope="module")
def mutant_proxy() -> Iterator[tuple[int, ServedProxy]]:
    """One proxy for every mutant of a worker: each mutant is served in turn on the same upstream port."""
    port = closed_port()
    with ServedProxy(*upstream_args(f"http://127.0.0.1:{port}")) as served:
        yield port, served


@pytest.mark.parametrize("name", sorted(OBSERVED))
def test_each_drift_shows_up_as_its_named_violation(name: str, events_readable_by_other: Path,
                                                    mutant_proxy: tuple[int, ServedProxy]) -> None:
    scenario, rule = OBSERVED[name]
    port, proxy = mutant_proxy
    with ServedMutant(name, ("--port", str(port), "--fixtures", str(events_readable_by_other))) as upstream:
        assert upstream.url == f"http://127.0.0.1:{port}"
        assert httpx.post(proxy.url + "/_admin/reset", timeout=10).status_code == 200  # a new upstream
        with httpx.Client(base_url=proxy.url) as http:
            scenario(http)
        found = proxy.violations()
    assert rule in {v["rule"] for v in found}, (name, found)


@pytest.fixture(scope="module")
def control(ticketfakes_server: Fakes) -> Iterator[ServedProxy]:
    with ServedProxy(*upstream_args(ticketfakes_server.url)) as served:
        yield served


@pytest.mark.parametrize("scenario", sorted({s for s, _ in OBSERVED.values()}, key=lambda s: s.__name__),
                         ids=lambda s: s.__name__)
def test_the_same_traffic_through_a_correct_upstream_breaks_nothing(scenario: Scenario, control: ServedProxy,
                                                                     ticketfakes: Fakes) -> None:
    assert httpx.post(control.url + "/_admin/reset", timeout=10).status_code == 200
    with httpx.Client(base_url=control.url) as http:
        scenario(http)
    assert control.violations() == []
