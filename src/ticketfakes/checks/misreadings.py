"""Documented behaviours that a built-in schemathesis check misreads, each excused by name, for one
operation, under one condition (docs/contract-checks.md, "Documented behaviours a built-in check misreads").

A `Misreading` drops exactly one kind of schemathesis failure (by its class name) on one operation, and
only when its condition holds on the request that was sent and the answer it got. Everything else the
same check finds still fails; no check is switched off.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..bodies import is_json_media_type
from .interface import Misreading

__all__ = ["BODY_LIMIT", "NOT_JSON", "MiB", "Misreading", "body_rules", "misreading"]

if TYPE_CHECKING:
    from schemathesis import Case
    from schemathesis.core.transport import Response

    from .interface import CheckVendor

MiB = 1024 * 1024
# The request body limit (docs/serving.md); a vendor's module states a bigger one of an operation.
BODY_LIMIT = MiB


def _sent_body(response: Response) -> bytes:
    body = response.request.body
    if body is None:
        return b""
    return body.encode("utf-8", "surrogatepass") if isinstance(body, str) else bytes(body)


def _not_json(case: Case, response: Response) -> bool:
    """The request's Content-Type was not JSON (a generated header replaced it), so 415 is the answer."""
    sent = response.request.headers.get("content-type")
    return sent is not None and not is_json_media_type(sent)


def _over(limit: int) -> Callable[[Case, Response], bool]:
    def over(case: Case, response: Response) -> bool:
        return len(_sent_body(response)) > limit

    over.__doc__ = f"the body sent is over {limit} bytes"
    return over


NOT_JSON = Misreading("RejectedPositiveData", 415, _not_json,
                      "a Content-Type that is not JSON is refused with 415, whatever the body")


def _too_large(limit: int) -> list[Misreading]:
    why = f"a body over {limit // MiB} MiB is refused with 413 before it is read"
    return [Misreading("RejectedPositiveData", 413, _over(limit), why),
            Misreading("AcceptedNegativeData", 413, _over(limit), why)]


def body_rules(limit: int = BODY_LIMIT) -> list[Misreading]:
    return [NOT_JSON, *_too_large(limit)]


def misreading(vendor: CheckVendor, failure: Any, case: Case, response: Response) -> Misreading | None:
    """The documented behaviour of `vendor` that `failure` misreads on this operation, if its condition holds."""
    name = type(failure).__name__
    for candidate in vendor.misreadings.get(case.operation.label, ()):
        if candidate.failure == name and candidate.status == response.status_code and candidate.when(case, response):
            return candidate
    return None
