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


def _short_fields(fields: dict[str, list[str]]) -> dict[str, list[str]]:
    return {name: [short(message) for message in messages] for name, messages in fields.items()}


def talque_error(problem: Problem) -> dict[str, Any]:
    body: dict[str, Any] = {"success": False, "reason": problem.code.upper(), "message": short(problem.message)}
    if problem.fields:
        errors = []
        for field, messages in problem.fields.items():
            entry: dict[str, Any] = {"field": bracket_path(field)}
            match = re.match(r"tickets\.(\d+)(\.|$)", field)
            if match:
                entry["ticketIndex"] = int(match.group(1))
            for message in messages:
                errors.append({**entry, "message": short(message)})
        body["errors"] = errors
    body.update(problem.extra)
    return body


def gomry_error(problem: Problem) -> dict[str, Any]:
    message = short(problem.message)
    if problem.fields and message.startswith("Validation failed"):
        message = "Validation failed"  # Gomry's exact wording; `details.fieldErrors` carries the specifics
    body: dict[str, Any] = {"error": message}
    if problem.fields:
        body["details"] = {"fieldErrors": _short_fields(problem.fields)}
    body.update(problem.extra)
    return body


def planhat_error(problem: Problem) -> dict[str, Any]:
    body: dict[str, Any] = {"message": short(problem.message)}
    if problem.fields:
        body["errors"] = [
            {"field": field, "message": short(message)}
            for field, messages in problem.fields.items()
            for message in messages
        ]
    body.update(problem.extra)
    return body


def admin_error(problem: Problem) -> dict[str, Any]:
    body: dict[str, Any] = {"error": short(problem.message)}
    if problem.fields:
        body["details"] = _short_fields(problem.fields)
    body.update(problem.extra)
    return body


def render(shape: ErrorShape, problem: Problem) -> JSONResponse:
    return JSONResponse(shape(problem), status_code=problem.status, headers=problem.headers or None)
