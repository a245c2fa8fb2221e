"""HTTP for managing namespaces: `GET /_admin/namespaces`, `PUT|DELETE /_admin/namespaces/{name}`.

Thin handlers over `Namespaces` (docs/namespaces.md); the endpoints are the server's, so they answer the
same under `/ns/{name}/_admin/` as under `/_admin/`.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ..call import Call
from ..core.problems import BadRequest, NotFound
from ..fixtures import FixtureError
from ..namespaces import Namespaces
from ..responses import json_response
from ..routing import Endpoint, Vendor
from .routes import STATE_MAX_BODY, control_plane


def vendor(namespaces: Namespaces) -> Vendor:
    def list_namespaces(call: Call) -> Response:
        listed = [namespace.as_dict() for namespace in namespaces.listing()]
        return json_response(
            {"namespaces": listed, "count": len(namespaces), "max_namespaces": namespaces.max_namespaces}
        )

    def put_namespace(call: Call) -> Response:
        body: dict[str, Any] = call.body or {}
        try:
            namespace, created = namespaces.put(call.path_params["name"], body.get("fixtures"), body.get("state"))
        except FixtureError as exc:
            raise BadRequest(str(exc), fields={"fixtures": [str(exc)]}) from None
        return json_response(namespace.as_dict(), 201 if created else 200)

    def delete_namespace(call: Call) -> Response:
        name = call.path_params["name"]
        if not namespaces.delete(name):
            raise NotFound(f"no namespace {name!r}")
        return json_response({"deleted": name})

    return control_plane([
        Endpoint("GET", "/namespaces", list_namespaces),
        Endpoint("PUT", "/namespaces/{name}", put_namespace, max_body=STATE_MAX_BODY),
        Endpoint("DELETE", "/namespaces/{name}", delete_namespace),
    ])
