"""The mutants: one deliberately broken fake per business rule and vendor.

Each `Mutant` names the check vendor whose run must fail, the check(s) the failure must name, what it
breaks, and a `patch(monkeypatch)` that breaks it: a model method, a route's error shape or a Pipeline
step, replaced with `pytest.MonkeyPatch.setattr` (undone when the context ends). Patches act on classes
and modules, never on one backend instance, so they survive the resets a check run does. Apply a patch
before `create_app()`: error shapes and validators are read when the app is built.

`select` is what a run needs to catch the mutant (rule names and/or the `fuzz`/`stateful` phases);
empty means the rules named in `catches`. `equivalent` marks a change that breaks no rule of the
contract: it must survive, and it does not count in the mutation score.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.responses import Response

from ticketfakes import app as app_module
from ticketfakes import pipeline
from ticketfakes.core.idempotency import IdempotencyStore, StoredResponse
from ticketfakes.core.ids import new_id
from ticketfakes.core.pagination import PageWindow
from ticketfakes.core.problems import Conflict, NotFound, Problem, Unauthorized
from ticketfakes.fake import Fake
from ticketfakes.fakes import gomry, planhat, talque
from ticketfakes.fakes.gomry import model as gomry_model
from ticketfakes.fakes.gomry.model import GomryBackend, capacity_conflict
from ticketfakes.fakes.gomry.records import Event, TicketClass, remaining
from ticketfakes.fakes.planhat import model as planhat_model
from ticketfakes.fakes.planhat.model import PlanhatBackend
from ticketfakes.fakes.planhat.store import TicketStore
from ticketfakes.fakes.talque import model as talque_model
from ticketfakes.fakes.talque.mapping import to_model
from ticketfakes.fakes.talque.model import TalqueBackend
from ticketfakes.fakes.talque.store import SeqIndex, seq_of

Patch = Callable[[pytest.MonkeyPatch], None]


@dataclass(frozen=True)
class Mutant:
    name: str
    vendor: str  # the check vendor whose run must fail: talque, talque-webhook, gomry, planhat
    catches: tuple[str, ...]  # every one must be named by a failed check (rule or schemathesis check)
    description: str
    patch: Patch
    select: tuple[str, ...] = ()
    http: bool = True  # False: observable in-process only (uvicorn runs the models on one event loop)
    equivalent: str = ""

    @property
    def selection(self) -> list[str]:
        return list(self.select or self.catches)


MUTANTS: dict[str, Mutant] = {}


def mutant(name: str, vendor: str, catches: tuple[str, ...], description: str,
           **options: Any) -> Callable[[Patch], Patch]:
    def register(patch: Patch) -> Patch:
        assert name not in MUTANTS, name
        MUTANTS[name] = Mutant(name, vendor, catches, description, patch, **options)
        return patch

    return register


def scored() -> list[Mutant]:
    return [m for m in MUTANTS.values() if not m.equivalent]


def _reshaped_errors(fake: Fake, reshape: Callable[[dict[str, Any]], object]) -> Patch:
    """A fake renders every error through `reshape`: the error shape drifts from the spec."""
    render = fake.error_shape

    def patch(mp: pytest.MonkeyPatch) -> None:
        def shape(problem: Problem) -> dict[str, Any]:
            body = render(problem)
            reshape(body)
            return body

        mp.setattr(fake, "error_shape", shape)

    return patch


def _renamed(old: str, new: str) -> Callable[[dict[str, Any]], None]:
    def rename(body: dict[str, Any]) -> None:
        body[new] = body.pop(old)

    return rename


# -- Gomry --------------------------------------------------------------------------------------------


def _seats_check(event_slack: int, class_limit: bool) -> Callable[..., None]:
    def check_seats(event: Event, tc: TicketClass, event_need: int, class_need: int) -> None:
        event_left = remaining(event.capacity, event.held)
        class_left = remaining(tc.quantity_total, tc.held) if class_limit else None
        if (event_left is not None and event_need > event_left + event_slack) or (
            class_left is not None and class_need > class_left + event_slack
        ):
            raise capacity_conflict(min(n for n in (event_left, class_left) if n is not None))

    return check_seats


@mutant("gomry-capacity-off-by-one", "gomry", ("gomry.capacity",),
        "sells one seat more than the event or the ticket class has left")
def gomry_capacity_off_by_one(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(GomryBackend, "_check_seats", staticmethod(_seats_check(1, class_limit=True)))


@mutant("gomry-capacity-ignores-class", "gomry", ("gomry.capacity",),
        "checks only the event's capacity, never the ticket class's quantity_total")
def gomry_capacity_ignores_class(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(GomryBackend, "_check_seats", staticmethod(_seats_check(0, class_limit=False)))


@mutant("gomry-capacity-race", "gomry", ("gomry.capacity",),
        "check-then-act without the lock: concurrent creates all pass the seat check and oversell",
        http=False)
def gomry_capacity_race(mp: pytest.MonkeyPatch) -> None:
    init, check = GomryBackend.__init__, GomryBackend._check_seats

    def unlocked_init(self: GomryBackend, clock: Any = None) -> None:
        init(self, clock)
        self._lock = contextlib.nullcontext()  # type: ignore[assignment]

    def slow_check(*args: Any) -> None:
        check(*args)
        time.sleep(0.2)  # the window between the check and the write that other requests slip into

    mp.setattr(GomryBackend, "__init__", unlocked_init)
    mp.setattr(GomryBackend, "_check_seats", staticmethod(slow_check))


@mutant("gomry-refusal-takes-seats", "gomry", ("gomry.capacity",),
        "not all or nothing: a create asking for more seats than remain takes the rest, then answers 409")
def gomry_refusal_takes_seats(mp: pytest.MonkeyPatch) -> None:
    create = GomryBackend.create_attendees

    def partial(self: GomryBackend, key: Any, event_id: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            return create(self, key, event_id, body)
        except Conflict as exc:
            left = exc.extra.get("seats_remaining")
            if left:
                create(self, key, event_id, {**body, "quantity": left})
            raise

    mp.setattr(GomryBackend, "create_attendees", partial)


@mutant("gomry-seats-remaining-misreported", "gomry", ("gomry.capacity", "gomry_seats_never_oversold"),
        "GET /events shows one seat more remaining than capacity - seats_taken", select=("gomry.capacity", "fuzz"))
def gomry_seats_misreported(mp: pytest.MonkeyPatch) -> None:
    event_json = GomryBackend._event_json

    def generous(event: Event) -> dict[str, Any]:
        body = event_json(event)
        if body["seats_remaining"] is not None:
            body["seats_remaining"] += 1
        return body

    mp.setattr(GomryBackend, "_event_json", staticmethod(generous))


@mutant("gomry-replay-reruns-create", "gomry", ("gomry.idempotency",),
        "a repeated Idempotency-Key runs the create again (new attendees, new body) and marks it a replay")
def gomry_replay_reruns_create(mp: pytest.MonkeyPatch) -> None:
    run = pipeline.Pipeline._run

    async def rerun(self: pipeline.Pipeline, call: Any, *rest: Any) -> Response:
        response = await run(self, call, *rest)
        if response.headers.get("idempotent-replay") != "true":
            return response
        fresh = self.endpoint.handle(call)  # the create again, as if the key were new
        fresh.headers["Idempotent-Replay"] = "true"
        return fresh

    mp.setattr(pipeline.Pipeline, "_run", rerun)


@mutant("gomry-replay-without-header", "gomry", ("gomry.idempotency", "gomry_idempotency_replay"),
        "a replay returns the stored response but without `Idempotent-Replay: true`",
        select=("gomry.idempotency", "fuzz"))
def gomry_replay_without_header(mp: pytest.MonkeyPatch) -> None:
    from_stored = pipeline._from_stored

    def unmarked(stored: StoredResponse) -> Response:
        response = from_stored(stored)
        response.raw_headers = [(k, v) for k, v in response.raw_headers if k != b"idempotent-replay"]
        return response

    mp.setattr(pipeline, "_from_stored", unmarked)


@mutant("gomry-idempotency-not-scoped", "gomry", ("gomry.idempotency",),
        "Idempotency-Keys are global, not per API key: another org's key gets our stored response")
def gomry_idempotency_not_scoped(mp: pytest.MonkeyPatch) -> None:
    begin, finish = IdempotencyStore.begin, IdempotencyStore.finish
    mp.setattr(IdempotencyStore, "begin", lambda self, scope, key: begin(self, scope.split(":")[0], key))
    mp.setattr(IdempotencyStore, "finish",
               lambda self, scope, key, response: finish(self, scope.split(":")[0], key, response))


@mutant("gomry-conflict-not-stored", "gomry", ("gomry.idempotency",),
        "a 409 is not stored for replay: a retry with the same key runs again (and may now succeed)")
def gomry_conflict_not_stored(mp: pytest.MonkeyPatch) -> None:
    finish = IdempotencyStore.finish

    def forget_409(self: IdempotencyStore, scope: str, key: str, response: StoredResponse | None) -> None:
        finish(self, scope, key, None if response is not None and response.status == 409 else response)

    mp.setattr(IdempotencyStore, "finish", forget_409)


@mutant("gomry-tenant-leak", "gomry", ("gomry.tenant_isolation",),
        "events of another organization are found: its API key reads and writes our attendees")
def gomry_tenant_leak(mp: pytest.MonkeyPatch) -> None:
    def any_org(self: GomryBackend, key: Any, event_id: str) -> Event:
        event = self._s.events.get(event_id)
        if event is None:
            raise NotFound("Event not found")
        return event

    mp.setattr(GomryBackend, "event_for", any_org)


mutant("gomry-error-shape", "gomry", ("response_schema_conformance",),
       'errors as {"message": ...} instead of Gomry\'s {"error": ...}', select=("fuzz",))(
    _reshaped_errors(gomry.FAKE, _renamed("error", "message")))


@mutant("gomry-auth-bypass", "gomry", ("ignored_auth",),
        "a request without X-API-KEY is served as the demo write key instead of 401", select=("fuzz",))
def gomry_auth_bypass(mp: pytest.MonkeyPatch) -> None:
    authenticate = GomryBackend.authenticate
    mp.setattr(GomryBackend, "authenticate", lambda self, api_key: authenticate(self, api_key or "gk_demo_write"))


@mutant("gomry-list-skips-at-page-boundary", "gomry", ("gomry.list_paging",),
        "attendee pages after the first start one item late: one attendee per page boundary is never listed")
def gomry_list_skips(mp: pytest.MonkeyPatch) -> None:
    class LateWindow(PageWindow):
        @property
        def start(self) -> int:
            return (self.page - 1) * self.page_size + (1 if self.page > 1 else 0)

    mp.setattr(gomry_model, "PageWindow", LateWindow)


@mutant("gomry-patch-not-stored", "gomry", ("gomry.read_after_write",),
        "PATCH answers the new names but does not store them: the next GET shows the old ones")
def gomry_patch_not_stored(mp: pytest.MonkeyPatch) -> None:
    update = GomryBackend.update_attendee

    def forgetful(self: GomryBackend, key: Any, event_id: str, attendee_id: str, patch: dict[str, Any]) -> Any:
        att = self._s.attendees.get(attendee_id)
        names = (att.first_name, att.last_name) if att is not None else None
        answer = update(self, key, event_id, attendee_id, patch)
        if att is not None and names is not None:
            att.first_name, att.last_name = names
            att.changed()  # what the next answer is built from: the old names
        return answer

    mp.setattr(GomryBackend, "update_attendee", forgetful)


# -- false greens: a target that refuses everything must fail the run, whatever was selected --------


@mutant("gomry-404-everything", "gomry", ("preflight",),
        "every request is a 404, as from a server whose API root is elsewhere (the wrong --base-url)",
        select=("fuzz",))
def gomry_404_everything(mp: pytest.MonkeyPatch) -> None:
    def nowhere(self: GomryBackend, api_key: str | None) -> Any:
        raise NotFound("Not Found")

    mp.setattr(GomryBackend, "authenticate", nowhere)


@mutant("gomry-401-everything", "gomry", ("preflight",),
        "every request is a 401, as for a wrong credential (--header X-API-KEY=wrong)", select=("stateful",))
def gomry_401_everything(mp: pytest.MonkeyPatch) -> None:
    def refused(self: GomryBackend, api_key: str | None) -> Any:
        raise Unauthorized("Invalid or revoked API key")

    mp.setattr(GomryBackend, "authenticate", refused)


@mutant("gomry-404-past-the-events", "gomry", ("coverage",),
        "events are served but every ticket class and attendee request is a 404: preflight passes, yet no "
        "schema-valid request to those operations is ever accepted", select=("fuzz",))
def gomry_404_past_the_events(mp: pytest.MonkeyPatch) -> None:
    def gone(*args: Any, **kwargs: Any) -> Any:
        raise NotFound("Event not found")

    for name in ("create_attendees", "_attendee_for", "list_ticket_classes", "list_attendees"):
        if hasattr(GomryBackend, name):
            mp.setattr(GomryBackend, name, gone)


@mutant("planhat-401-everything", "planhat", ("preflight",),
        "every request is a 401, as for a wrong token", select=("fuzz",))
def planhat_401_everything(mp: pytest.MonkeyPatch) -> None:
    def refused(self: PlanhatBackend, header: str | None) -> str:
        raise Unauthorized("Invalid or missing token")

    mp.setattr(PlanhatBackend, "authenticate", refused)


# -- talque --------------------------------------------------------------------------------------------

StoreResult = tuple[Any, str]


def _after_store(mp: pytest.MonkeyPatch, then: Callable[[TalqueBackend, Any, str], None]) -> None:
    """Run `then(backend, record, reason)` after every webhook ticket is stored."""
    store = TalqueBackend._store

    def patched(self: TalqueBackend, *args: Any) -> StoreResult:
        record, reason = store(self, *args)
        then(self, record, reason)
        return record, reason

    mp.setattr(TalqueBackend, "_store", patched)


@mutant("talque-upsert-duplicates", "talque-webhook", ("talque.webhook_upsert",),
        "the upsert misses its key: a re-post creates a second ticket (new orgTicketId) instead of UNCHANGED")
def talque_upsert_duplicates(mp: pytest.MonkeyPatch) -> None:
    store = TalqueBackend._store

    def duplicate(self: TalqueBackend, org_id: str, client: Any, ext_id: str, *args: Any) -> StoreResult:
        self._state.tickets.pop((org_id, client.provider, ext_id), None)
        return store(self, org_id, client, ext_id, *args)

    mp.setattr(TalqueBackend, "_store", duplicate)


@mutant("talque-unchanged-bumps-mtime", "talque-webhook",
        ("talque.webhook_upsert", "talque_webhook_retry_is_unchanged"),
        "an identical re-post answers UNCHANGED but bumps mtime", select=("talque.webhook_upsert", "fuzz"))
def talque_unchanged_bumps_mtime(mp: pytest.MonkeyPatch) -> None:
    def bump(backend: TalqueBackend, record: Any, reason: str) -> None:
        if reason == "UNCHANGED":
            record.changed(backend._ticker.next_ms(after=record.mtime))  # as a store bug would: a write

    _after_store(mp, bump)


@mutant("talque-update-changes-ctime", "talque-webhook", ("talque.webhook_upsert",),
        "an update sets ctime to the update's time")
def talque_update_changes_ctime(mp: pytest.MonkeyPatch) -> None:
    def touch(backend: TalqueBackend, record: Any, reason: str) -> None:
        if reason == "UPDATED":
            record.ctime = record.mtime

    _after_store(mp, touch)


@mutant("talque-update-new-org-ticket-id", "talque-webhook", ("talque.webhook_upsert",),
        "an update gives the ticket a new orgTicketId")
def talque_update_new_id(mp: pytest.MonkeyPatch) -> None:
    def renumber(backend: TalqueBackend, record: Any, reason: str) -> None:
        if reason == "UPDATED":
            state = backend._state
            del state.by_org_ticket_id[record.org_ticket_id]
            record.org_ticket_id = new_id("tkt_")
            state.by_org_ticket_id[record.org_ticket_id] = record

    _after_store(mp, renumber)


@mutant("talque-read-stale-after-update", "talque-webhook", ("talque.webhook_upsert",),
        "ticket/read serves the model cached when the ticket was created: stale after an update")
def talque_read_stale(mp: pytest.MonkeyPatch) -> None:
    created: dict[str, dict[str, Any]] = {}
    read = TalqueBackend.read

    def remember(backend: TalqueBackend, record: Any, reason: str) -> None:
        if reason == "CREATED":
            created[record.org_ticket_id] = to_model(record)

    def cached(self: TalqueBackend, *args: Any, **kwargs: Any) -> dict[str, Any]:
        body = read(self, *args, **kwargs)
        for entry in body["ticketById"].values():
            model = entry.get("model")
            if model is not None and model["orgTicketId"] in created:
                entry["model"] = created[model["orgTicketId"]]
        return body

    _after_store(mp, remember)
    mp.setattr(TalqueBackend, "read", cached)


@mutant("talque-read-drops-purchaser", "talque", ("talque.read_after_write",),
        "ticket/read answers purchaser null although the webhook stored one: read differs from write")
def talque_read_drops_purchaser(mp: pytest.MonkeyPatch) -> None:
    read = TalqueBackend.read

    def without_purchaser(self: TalqueBackend, *args: Any, **kwargs: Any) -> dict[str, Any]:
        body = read(self, *args, **kwargs)
        for entry in body["ticketById"].values():
            if entry.get("model") is not None:
                entry["model"]["purchaser"] = None
        return body

    mp.setattr(TalqueBackend, "read", without_purchaser)


def _seq_page(shift: int, snapshot: bool = True) -> Callable[..., tuple[list[Any], bool]]:
    """SeqIndex.page with pages after the first starting `shift` items off, or ignoring the high-water mark."""

    def page(self: SeqIndex, after: int, high: int, limit: int) -> tuple[list[Any], bool]:
        start = bisect_right(self, after, key=seq_of)
        if after:
            start = max(start + shift, 0)
        stop = bisect_right(self, high, key=seq_of) if snapshot else len(self)
        end = min(start + limit, stop)
        return self[start:end], end < stop

    return page


@mutant("talque-list-skips-at-page-boundary", "talque", ("talque.list_paging",),
        "ticket/list pages after the first start one ticket late: a ticket per page boundary is never listed")
def talque_list_skips(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(SeqIndex, "page", _seq_page(+1))


@mutant("talque-list-repeats-at-page-boundary", "talque", ("talque.list_paging",),
        "ticket/list pages after the first start one ticket early: the last ticket of a page is listed again")
def talque_list_repeats(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(SeqIndex, "page", _seq_page(-1))


@mutant("talque-list-moves-updated-tickets", "talque", ("talque.list_paging",),
        "ticket/list orders by last change: an update moves a ticket to the end, so paging lists it twice")
def talque_list_moves_updated(mp: pytest.MonkeyPatch) -> None:
    def move(backend: TalqueBackend, record: Any, reason: str) -> None:
        if reason == "UPDATED":
            index = backend._state.order[(record.org_id, record.provider)]
            index.remove(record)
            record.seq = backend._state.next_seq()
            index.add(record)

    _after_store(mp, move)


@mutant("talque-list-includes-new-tickets", "talque", ("talque.list_paging",),
        "cursor paging ignores the high-water mark: tickets created after paging began are listed (at the end)",
        equivalent="docs/talque.md asks that paging return every ticket that existed when it began, exactly once; it "
        "does not forbid also returning newer ones after them (only docs/talque.md promises the fake's "
        "snapshot). A real service may include them, so the check allows it.")
def talque_list_includes_new(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(SeqIndex, "page", _seq_page(0, snapshot=False))


@mutant("talque-tenant-leak", "talque", ("talque.tenant_isolation",),
        "any authenticated API client may read and list any org, not only the orgs it is permitted for")
def talque_tenant_leak(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(TalqueBackend, "require_access", lambda self, org_id, client: None)


@mutant("talque-webhook-tenant-leak", "talque-webhook", ("talque.webhook_tenant_isolation",),
        "the webhook lets any authenticated API client write into any org (the JSON API still refuses)")
def talque_webhook_tenant_leak(mp: pytest.MonkeyPatch) -> None:
    endpoints = talque.FAKE.endpoints

    def lax(state: Any) -> Any:
        built = endpoints(state)
        [webhook] = [e for e in built if e.path == "/webhook/org/{orgId}/ticket"]
        guard = webhook.guard
        assert guard is not None

        def any_org(call: Any) -> Any:
            backend = state.backend("talque")
            client = backend.authenticate(call.header("x-tq-client-id"), call.header("x-tq-secret"))
            org_id = call.path_params["orgId"]
            if client is None or org_id in client.orgs:
                return guard(call)
            backend.require_org(org_id)
            call.principal = client.id
            call.caller = dataclasses.replace(client, orgs=client.orgs | {org_id})
            return None

        webhook.guard = any_org
        return built

    mp.setattr(talque.FAKE, "endpoints", lax)


@mutant("talque-read-any-provider", "talque", ("talque.tenant_isolation",),
        "ticket/read serves the tickets of whatever provider the body names, not only the client's own")
def talque_read_any_provider(mp: pytest.MonkeyPatch) -> None:
    read = TalqueBackend.read

    def any_provider(self: TalqueBackend, org_id: str, client: Any, provider: str, ids: Any) -> dict[str, Any]:
        return read(self, org_id, dataclasses.replace(client, provider=provider), provider, ids)

    mp.setattr(TalqueBackend, "read", any_provider)


def _without_null(node: Any) -> Any:
    """A schema whose `type: [X, "null"]` became `type: X`: what a loader that ignores 3.1 type arrays does."""
    if isinstance(node, dict):
        result = {key: _without_null(value) for key, value in node.items()}
        kinds = node.get("type")
        if isinstance(kinds, list) and "null" in kinds:
            rest = [kind for kind in kinds if kind != "null"]
            result["type"] = rest[0] if len(rest) == 1 else rest
        return result
    if isinstance(node, list):
        return [_without_null(item) for item in node]
    return node


@mutant("talque-null-cursor-refused", "talque", ("talque.list_paging",),
        'ticket/list refuses `"cursor": null` (what the last page answers) with 400: its request schema lost '
        'the 3.1 type array\'s "null"')
def talque_null_cursor_refused(mp: pytest.MonkeyPatch) -> None:
    operations = app_module.operations_of

    def strict(specs: Any) -> list[Any]:
        found = operations(specs)
        for operation in found if any(spec.prefix == "/talque" for spec in specs) else []:
            schema = ((operation.request_body or {}).get("content") or {}).get("application/json", {}).get("schema")
            if isinstance(schema, dict) and "cursor" in schema.get("properties", {}):
                schema["properties"]["cursor"] = _without_null(schema["properties"]["cursor"])
        return found

    mp.setattr(app_module, "operations_of", strict)


@mutant("talque-category-null-omitted", "talque-webhook", ("talque.webhook_upsert",),
        "a ticket without a participant category answers without `category` instead of `category: null`")
def talque_category_omitted(mp: pytest.MonkeyPatch) -> None:
    def model(record: Any) -> dict[str, Any]:
        body = to_model(record)
        if body["category"] is None:
            del body["category"]
        return body

    mp.setattr(talque_model, "to_model", model)


@mutant("talque-auth-bypass", "talque", ("talque.tenant_isolation",),
        "X-TQ-SECRET is never compared: a known client id with any secret is let in")
def talque_auth_bypass(mp: pytest.MonkeyPatch) -> None:
    def id_only(self: TalqueBackend, client_id: str | None, secret: str | None) -> Any:
        return self._state.clients.get(client_id) if client_id else None

    mp.setattr(TalqueBackend, "authenticate", id_only)


mutant("talque-error-shape", "talque-webhook", ("response_schema_conformance",),
       'errors without `reason`: {"success": false, "message": ...}', select=("fuzz",))(
    _reshaped_errors(talque.FAKE, lambda body: body.pop("reason")))


# -- Planhat -------------------------------------------------------------------------------------------


@mutant("planhat-nonupdates-counted-as-updated", "planhat", ("planhat.counts", "planhat_resend_is_nonupdate"),
        "an item that changes nothing is counted as updated (without an updatesKeys entry)",
        select=("planhat.counts", "fuzz"))
def planhat_nonupdates_as_updated(mp: pytest.MonkeyPatch) -> None:
    apply = PlanhatBackend._apply

    def miscount(self: PlanhatBackend, item: Any, email: str, source_id: Any, target: Any, now: str,
                 result: dict[str, Any], modified: dict[str, None]) -> None:
        before = result["nonupdates"]
        apply(self, item, email, source_id, target, now, result, modified)
        if result["nonupdates"] > before:
            result["nonupdates"] -= 1
            result["updated"] += 1

    mp.setattr(PlanhatBackend, "_apply", miscount)


@mutant("planhat-resend-duplicates", "planhat", ("planhat.counts", "planhat_resend_is_nonupdate"),
        "the sourceId lookup always misses: re-sending an item stores a second ticket with the same sourceId",
        select=("planhat.counts", "fuzz"))
def planhat_resend_duplicates(mp: pytest.MonkeyPatch) -> None:
    delete = TicketStore.delete

    def tolerant_delete(self: TicketStore, ticket_id: str) -> Any:
        ticket = self.tickets.get(ticket_id)
        if ticket is not None:  # its twin took the sourceId entry: put one back, so DELETE still works
            self.by_source.setdefault(ticket.source_id, ticket_id)
        return delete(self, ticket_id)

    mp.setattr(TicketStore, "by_source_id", lambda self, source_id: None)
    mp.setattr(TicketStore, "delete", tolerant_delete)


@mutant("planhat-dropped-items-counted", "planhat", ("planhat.counts", "planhat_counts_add_up"),
        "items without email are listed in createdErrors instead of being silently dropped",
        select=("planhat.counts", "fuzz"))
def planhat_dropped_counted(mp: pytest.MonkeyPatch) -> None:
    upsert_one = PlanhatBackend._upsert_one

    def counted(self: PlanhatBackend, index: int, item: Any, now: str, result: dict[str, Any],
                modified: dict[str, None]) -> None:
        if isinstance(item, dict) and not (isinstance(item.get("email"), str) and item["email"].strip()):
            result["createdErrors"].append({"item": index, "sourceId": item.get("sourceId") if isinstance(
                item.get("sourceId"), str) else None, "message": "email is required"})
            return
        upsert_one(self, index, item, now, result, modified)

    mp.setattr(PlanhatBackend, "_upsert_one", counted)


@mutant("planhat-offset-off-by-one", "planhat", ("planhat.list_paging",),
        "GET /tickets skips one ticket more than `offset` says (offset 2 starts at the 4th ticket)")
def planhat_offset_off_by_one(mp: pytest.MonkeyPatch) -> None:
    page = TicketStore.page
    mp.setattr(TicketStore, "page", lambda self, key, offset, limit: page(self, key, offset + 1 if offset else 0,
                                                                          limit))


mutant("planhat-error-shape", "planhat", ("response_schema_conformance",),
       'errors as {"error": ...} instead of Planhat\'s {"message": ...}', select=("fuzz",))(
    _reshaped_errors(planhat.FAKE, _renamed("message", "error")))


@mutant("planhat-auth-bypass", "planhat", ("planhat.tenant_isolation",),
        "a request without Authorization is served as the workspace's token instead of 401")
def planhat_auth_bypass(mp: pytest.MonkeyPatch) -> None:
    authenticate = PlanhatBackend.authenticate

    def lenient(self: PlanhatBackend, header: str | None) -> str:
        return authenticate(self, header) if header else self._workspace.tokens[0]

    mp.setattr(PlanhatBackend, "authenticate", lenient)


@mutant("planhat-delete-keeps-ticket", "planhat", ("planhat.read_after_write",),
        "DELETE /tickets/{id} answers deletedCount 1 but the ticket stays listed")
def planhat_delete_keeps(mp: pytest.MonkeyPatch) -> None:
    def keep(self: PlanhatBackend, token: str, ticket_id: str) -> dict[str, int]:
        self._check(token)
        if self._workspace.tickets.get(ticket_id) is None:
            raise NotFound(f"No ticket with _id {ticket_id}")
        return {"n": 1, "ok": 1, "deletedCount": 1}

    mp.setattr(PlanhatBackend, "delete_ticket", keep)


@mutant("planhat-null-does-not-clear", "planhat", ("planhat.read_after_write",),
        "posting a field as null leaves its old value instead of clearing it")
def planhat_null_kept(mp: pytest.MonkeyPatch) -> None:
    apply_fields = planhat_model.apply_fields
    mp.setattr(planhat_model, "apply_fields",
               lambda ticket, item: apply_fields(ticket, {k: v for k, v in item.items() if v is not None}))
