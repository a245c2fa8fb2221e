"""The specs are data: valid OpenAPI, the published talque API unchanged, normalised only in memory."""

from __future__ import annotations

import json

import pytest
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest
from openapi_spec_validator import validate

from tests.published import talque_json_api_documents
from ticketfakes.fakes import spec_files
from ticketfakes.resources import spec_file
from ticketfakes.specs import load_document, normalise, read_raw

ALL_SPECS = sorted({spec.name for specs in spec_files().values() for spec in specs})


@pytest.mark.parametrize("name", ALL_SPECS)
def test_every_spec_is_valid_openapi(name: str) -> None:
    assert spec_file(name).is_file(), f"specs/{name} is missing"
    validate(load_document(name))


@pytest.mark.parametrize("name", [n for n in ALL_SPECS if n != "talque-json-api.yaml"])
def test_hand_written_specs_are_openapi_31_with_local_servers(name: str) -> None:
    document = read_raw(name)
    assert document["openapi"].startswith("3.1")
    assert document["servers"][0]["url"].startswith("http://127.0.0.1:8000/")
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            assert operation.get("operationId"), f"{method} {path} has no operationId"


def test_talque_json_api_is_the_published_documents_merged_unchanged() -> None:
    ours = read_raw("talque-json-api.yaml")
    published = talque_json_api_documents()
    assert len(published) == 2
    expected_paths: dict = {}
    for document in published:
        assert ours["openapi"] == document["openapi"]
        assert ours["info"] == document["info"]
        expected_paths.update(document["paths"])
    assert ours["paths"] == expected_paths  # every path, parameter and schema, exactly as published
    assert set(ours) == {"openapi", "info", "paths"}


def test_the_published_talque_spec_is_rejected_as_30_and_accepted_once_normalised() -> None:
    raw = read_raw("talque-json-api.yaml")
    assert raw["openapi"] == "3.0.3"  # the file stays as published
    with pytest.raises(Exception):  # noqa: B017 - the 3.0 validator rejects 3.1 type arrays
        validate(raw)
    validate(normalise(raw))
    assert read_raw("talque-json-api.yaml")["openapi"] == "3.0.3"  # normalising never mutates the file


def _list_request(body: dict) -> MockRequest:
    return MockRequest(
        "http://127.0.0.1:8000",
        "post",
        "/api/v1/ticket/list",
        headers={"X-TQ-CLIENT-ID": "demo-client", "X-TQ-SECRET": "demo-secret"},
        data=json.dumps(body).encode(),
        content_type="application/json",
    )


def test_a_nullable_field_accepts_null_and_rejects_a_wrong_type() -> None:
    spec = OpenAPI.from_dict(load_document("talque-json-api.yaml"))
    spec.validate_request(_list_request({"orgId": "org-demo", "cursor": None, "profileId": None}))
    spec.validate_request(_list_request({"orgId": "org-demo", "cursor": "abc"}))
    with pytest.raises(Exception):  # noqa: B017 - openapi-core raises its own validation error
        spec.validate_request(_list_request({"orgId": "org-demo", "cursor": 42}))
