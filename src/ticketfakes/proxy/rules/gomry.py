"""Gomry, passively: seats never oversold, Idempotency-Key replays verbatim, answers stay in the key's org."""

from __future__ import annotations

import time
from typing import Any

from ...checks.rules.base import SEATS, remaining, same_response
from ..exchange import Exchange
from .base import Bounded, Found, Observer, PassiveChecker, json_list, json_object

RULES = ("gomry.capacity", "gomry.idempotency", "gomry.read_after_write", "gomry.tenant_isolation")

CREATE = "POST /events/{eventId}/attendees"
REPLAY_WINDOW_S = 24 * 3600  # Gomry keeps a key's answer 24 h (docs/gomry.md)


class GomryObserver(Observer):
    vendor = "gomry"
    rules = RULES
    credentials = ("x-api-key",)

    def __init__(self) -> None:
        # (API key, Idempotency-Key) -> the first completed answer and when it came
        self.first: Bounded[tuple[str, str], tuple[Any, float]] = Bounded()
        # API key -> the event ids of its organization, from a complete GET /events
        self.events: Bounded[str, frozenset[str]] = Bounded(10_000)
        self.attendees: Bounded[str, dict[str, Any]] = Bounded()  # attendee id -> the newest answer showing it

    def judge(self, exchange: Exchange, body: Any, found: Found) -> None:
        label = exchange.label
        api_key = exchange.header("x-api-key") or ""
        if label == CREATE:
            self._idempotency(exchange, api_key, found)
        if exchange.status == 200:
            self._capacity(label, body, found)
            if label == "GET /events":
                self._learn_events(api_key, body)
        if label == CREATE and exchange.status == 409:
            self._refusal(exchange, body, found)
        if 200 <= exchange.status < 300 and "eventId" in exchange.path_params:
            self._tenant(exchange, api_key, found)
        if 200 <= exchange.status < 300 and "/attendees" in label and exchange.method != "DELETE":
            data = json_object(body).get("data", body) if isinstance(body, dict) else None
            for attendee in map(json_object, data if isinstance(data, list) else [data]):
                self._read_back(attendee, found)

    def _read_back(self, attendee: dict[str, Any], found: Found) -> None:
        """`gomry.read_after_write`: an attendee shown with the `updated_at` of an earlier answer shows what
        that answer showed; an older `updated_at` is a stale read."""
        ident, stamp = attendee.get("id"), attendee.get("updated_at")
        if not isinstance(ident, str) or not isinstance(stamp, str):
            return
        before = self.attendees.get(ident)
        if before is None or before["updated_at"] < stamp:  # ISO 8601 UTC with ms: ordered as text
            self.attendees[ident] = attendee
        elif before["updated_at"] > stamp:
            found.append(("gomry.read_after_write", f"response.{ident}.updated_at",
                          f"attendee {ident} reads stale: updated_at {stamp}, an earlier answer showed "
                          f"{before['updated_at']}"))
        elif attendee != before:
            changed = sorted(k for k in {*attendee, *before} if attendee.get(k) != before.get(k))
            found.append(("gomry.read_after_write", f"response.{ident}",
                          f"attendee {ident} at updated_at {stamp} differs from an earlier answer: {changed}"))

    def _capacity(self, label: str, body: Any, found: Found) -> None:
        """`gomry.capacity`: every event and ticket class shown counts seats truly, never beyond a limit."""
        check = PassiveChecker("gomry.capacity", found)
        if label == "GET /events/{eventId}":
            events = [json_object(body)]
        elif label == "GET /events":
            events = [json_object(e) for e in json_list(json_object(body).get("data"))]
        else:
            events = []
        for event in events:
            with check.judging(f"response.event.{event.get('id')}"):
                remaining(check, f"event {event.get('id')}", event.get("capacity"), event.get("seats_taken"),
                          event.get("seats_remaining"))
        if label == "GET /events/{eventId}/ticket-classes":
            for item in map(json_object, json_list(json_object(body).get("data"))):
                with check.judging(f"response.ticket_class.{item.get('id')}"):
                    remaining(check, f"class {item.get('id')}", item.get("quantity_total"),
                              item.get("quantity_sold"), item.get("quantity_remaining"))

    def _refusal(self, exchange: Exchange, body: Any, found: Found) -> None:
        """`gomry.capacity`: a capacity 409 states the seats left, fewer than the quantity asked."""
        body = json_object(body)
        if "seats_remaining" not in body or exchange.response_header("idempotent-replay") == "true":
            return  # an in-flight conflict, or a replay of an earlier answer
        check = PassiveChecker("gomry.capacity", found, "response.seats_remaining")
        left = body["seats_remaining"]
        with check.judging():
            match = SEATS.search(str(body.get("error")))
            check.expect(match and int(match.group(1)) == left,
                         f"409 message {body.get('error')!r} does not state the {left} remaining seat(s)")
            wanted = json_object(exchange.request_json).get("quantity", 1)
            if isinstance(wanted, int) and not isinstance(wanted, bool) and isinstance(left, int):
                check.expect(wanted > left, f"refused {wanted} seat(s) with {left} remaining")

    def _idempotency(self, exchange: Exchange, api_key: str, found: Found) -> None:
        """`gomry.idempotency`: a repeated Idempotency-Key replays the first answer verbatim (status, body,
        headers) with `Idempotent-Replay: true`, and never another API key's answer."""
        key = exchange.header("idempotency-key")
        if key is None or not 1 <= len(key) <= 255 or exchange.status >= 500:
            return
        body = json_object(exchange.response_json)
        if exchange.status == 409 and body.get("error") == "idempotent_request_in_progress":
            return  # the first request is still running upstream: not an answer to compare
        check = PassiveChecker("gomry.idempotency", found, "header.idempotent-replay")
        now = time.monotonic()
        answer = exchange.as_httpx()
        stored = self.first.get((api_key, key))
        if stored is not None and now - stored[1] < REPLAY_WINDOW_S:
            with check.judging():
                same_response(check, stored[0], answer, f"Idempotency-Key {key!r} repeated")
            return
        if exchange.response_header("idempotent-replay") == "true":
            # A replay of a first request the proxy did not see; it must at least not be another key's.
            for (other_key, other), (response, _) in self.first.items():
                if other == key and other_key != api_key and response.content == answer.content:
                    with check.judging():
                        check.fail(f"Idempotency-Key {key!r} replayed another API key's answer")
            return
        self.first[(api_key, key)] = (answer, now)

    def _learn_events(self, api_key: str, body: Any) -> None:
        body = json_object(body)
        data = json_list(body.get("data"))
        if json_object(body.get("pagination")).get("total") == len(data):  # the whole list: the org's events
            self.events[api_key] = frozenset(str(json_object(e).get("id")) for e in data)

    def _tenant(self, exchange: Exchange, api_key: str, found: Found) -> None:
        """`gomry.tenant_isolation`: an event that another API key's organization lists, and this key's own
        complete event list does not, is never served to this key."""
        own = self.events.get(api_key)
        event = exchange.path_params["eventId"]
        if own is None or event in own:
            return
        if any(event in events for key, events in self.events.items() if key != api_key):
            found.append(("gomry.tenant_isolation", "path.eventId",
                          f"{exchange.label} answered {exchange.status} for event {event!r} of another "
                          "organization (not in this API key's GET /events)"))
