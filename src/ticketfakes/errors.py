"""The vendors' error shapes: one renderer per vendor turns a `Problem` into a JSON response.

Every error a client can see goes through here, including starlette's own 404/405 and the catch-all for
bugs, so no prefix ever answers with HTML, plain text or a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .core.problems import Problem
from .responses import JSONResponse

ErrorShape = Callable[[Problem], dict[str, Any]]

_FIELD_INDEX = re.compile(r"\.(\d+)(?=\.|$)")

MAX_MESSAGE = 400


def short(message: str) -> str:
    """A message that quotes client input ("No ticket with _id <10k chars>") keeps its start and end."""
    if len(message) <= MAX_MESSAGE:
        return message
    return f"{message[: MAX_MESSAGE // 2]}…{message[-(MAX_MESSAGE // 2):]}"


def bracket_path(field: str) -> str:
    """`tickets.2.email` -> `tickets[2].email` (the notation talque's messages use)."""
    return _FIELD_INDEX.sub(r"[\1]", field)


def short_fields(fields: dict[str, list[str]]) -> dict[str, list[str]]:
    return {name: [short(message) for message in messages] for name, messages in fields.items()}


def admin_error(problem: Problem) -> dict[str, Any]:
    body: dict[str, Any] = {"error": short(problem.message)}
    if problem.fields:
        body["details"] = short_fields(problem.fields)
    body.update(problem.extra)
    return body


def render(shape: ErrorShape, problem: Problem) -> JSONResponse:
    return JSONResponse(shape(problem), status_code=problem.status, headers=problem.headers or None)
