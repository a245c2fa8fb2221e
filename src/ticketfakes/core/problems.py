"""Domain errors that models raise and the HTTP layer renders in each vendor's own error shape.

A model knows nothing about HTTP, but its rules still end in a client-visible status; each problem
carries that status, a machine-readable code and a human message. `fields` names the offending input
(`{"contact.email": ["Invalid email"]}`) so every vendor shape can point at it.
"""

from __future__ import annotations

from typing import Any


class Problem(Exception):
    status = 400
    code = "bad_request"
    # What the refusing rule knew (seats left, the scope lacking...), for the journal's plain-words
    # explanation (docs/dashboard.md); never part of the response.
    facts: dict[str, Any] | None = None

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.fields = fields or {}
        self.extra = extra or {}
        self.headers = headers or {}


class BadRequest(Problem):
    status = 400
    code = "bad_request"


class Unauthorized(Problem):
    status = 401
    code = "unauthorized"


class Forbidden(Problem):
    status = 403
    code = "forbidden"


class NotFound(Problem):
    status = 404
    code = "not_found"


class MethodNotAllowed(Problem):
    status = 405
    code = "method_not_allowed"


class Conflict(Problem):
    status = 409
    code = "conflict"


class PayloadTooLarge(Problem):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(Problem):
    status = 415
    code = "unsupported_media_type"


class Unprocessable(Problem):
    status = 422
    code = "unprocessable"


class TooManyRequests(Problem):
    status = 429
    code = "too_many_requests"


def problem_for_status(status: int, message: str) -> Problem:
    """A problem with an arbitrary status (fault injection forces any status)."""
    problem = Problem(message, code=f"http_{status}")
    problem.status = status
    if status in (429, 503):
        problem.headers = {"Retry-After": "1"}  # clients back off on these; tell them for how long
    return problem
