"""The optional hooks of a `Fake` for the dashboard, the proxy and `fixtures from-har` (docs/dashboard.md,
docs/proxy.md): the built-in fakes set all three, and a fake without one is treated generically."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import httpx
import pytest
import yaml

from ticketfakes.admin.insight import every_insight, insight_for
from ticketfakes.admin.insight.base import GENERIC
from ticketfakes.admin.refusals import refusal_rule
from ticketfakes.core.journal import Entry, Journal
from ticketfakes.core.problems import problem_for_status
from ticketfakes.fake import Fake
from ticketfakes.fakes import names, registered
from ticketfakes.fixtures import DEFAULT_FIXTURES
from ticketfakes.har import command as har_command
from ticketfakes.proxy.rules import SHARED_RULES, observers, rule_names


def test_the_built_in_fakes_set_every_hook() -> None:
    for fake in registered()[:3]:
        assert fake.dashboard is not None and fake.observer is not None and fake.har is not None, fake.name
    assert len(every_insight()) >= 3


def test_a_fake_without_an_insight_is_explained_generically() -> None:
    assert insight_for("admin") is GENERIC and insight_for("none") is GENERIC
    problem = problem_for_status(409, "a thing with this name exists")
    problem.code = "conflict"
    entry = Entry(0, "toy", "POST", "/toy/things", "", 409, 0.0, problem=problem)
    assert refusal_rule(entry, Journal(10)) == {"name": "toy.conflict", "explanation": "a thing with this name exists"}
    assert GENERIC.entities(entry, {"id": "x"}) == [] and GENERIC.warnings(entry, {"id": "x"}) == []


def test_observers_and_rule_names_come_from_the_registry() -> None:
    found = observers()
    assert list(found) == [fake.name for fake in registered() if fake.observer is not None]
    assert all(observer.vendor == name and observer.rules and observer.credentials for name, observer in found.items())
    assert rule_names()[:len(SHARED_RULES)] == list(SHARED_RULES)
    assert len(rule_names()) == len(set(rule_names()))


def test_from_har_keeps_the_base_section_of_a_fake_without_a_recording(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    answer = {"data": [{"id": "evt_recorded", "name": "Recorded"}]}
    seen = {"request": {"method": "GET", "url": "http://127.0.0.1:8000/gomry/api/v1/events"},
            "response": {"status": 200, "content": {"mimeType": "application/json", "text": json.dumps(answer)}}}
    har = tmp_path / "events.har"
    har.write_text(json.dumps({"log": {"entries": [seen]}}), encoding="utf-8")
    base = yaml.safe_load(DEFAULT_FIXTURES.read_text(encoding="utf-8"))
    assert har_command.fixture_from_har(har)["gomry"] != base["gomry"]  # the recorded event, in a recorded org

    fakes: tuple[Fake, ...] = tuple(dataclasses.replace(fake, har=None) if fake.name == "gomry" else fake
                                    for fake in registered())
    monkeypatch.setattr(har_command, "registered", lambda: fakes)
    assert har_command.fixture_from_har(har)["gomry"] == base["gomry"]


def test_the_page_lists_the_registered_fakes(http: httpx.Client) -> None:
    page = http.get("/_admin/ui").text
    assert f'<body data-fakes="{" ".join(names())}">' in page
