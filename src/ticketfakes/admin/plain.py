"""Validation errors in plain words: the schema validator's messages rephrased for a person reading the journal.

`{"contact.email": ['"bad" does not match "^[^@...]+$"']}` -> `contact.email: "bad" is not an e-mail address`.
Messages the patterns below do not know are kept as the validator wrote them.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_PHRASES: list[tuple[re.Pattern[str], Callable[[re.Match[str], str], str]]] = [
    (re.compile(r"^required$"), lambda m, f: "is missing (required)"),
    (re.compile(r"^unknown field$"), lambda m, f: "is not a field of this request"),
    (re.compile(r"^(.*) is less than the minimum of (\S+)$"),
     lambda m, f: f"is {m[1]}; the smallest allowed is {m[2]}"),
    (re.compile(r"^(.*) is greater than the maximum of (\S+)$"),
     lambda m, f: f"is {m[1]}; the largest allowed is {m[2]}"),
    (re.compile(r'^(.*) is not of type "?([^"]+)"?$'), lambda m, f: f"must be {_article(m[2])}, got {m[1]}"),
    (re.compile(r"^(.*) is not one of (.*)$"), lambda m, f: f"{m[1]} is not one of the allowed values ({m[2]})"),
    (re.compile(r"^(.*) is too short$"), lambda m, f: "is too short (or empty)"),
    (re.compile(r"^(.*) is too long$"), lambda m, f: "is too long"),
    (re.compile(r"^(.*) has more than (\d+) items?$"), lambda m, f: f"has more than {m[2]} items"),
    (re.compile(r"^(.*) has less than (\d+) items?$"), lambda m, f: f"has fewer than {m[2]} items"),
    (re.compile(r'^(.*) does not match "(.*)"$'), lambda m, f: _pattern(m[1], f, m[2])),
]


def _article(kind: str) -> str:
    return f"an {kind}" if kind[:1] in "aeiou" else f"a {kind}"


def _pattern(value: str, field: str, pattern: str) -> str:
    name = field.rsplit(".", 1)[-1].lower()
    if "email" in name:
        return f"{value} is not an e-mail address"
    if "phone" in name:
        return f"{value} is not an E.164 phone number (+, then 2 to 15 digits)"
    return f"{value} does not have the form the spec requires (pattern {pattern})"


def plain(field: str, message: str) -> str:
    for regex, phrase in _PHRASES:
        match = regex.match(message)
        if match is not None:
            return f"{field} {phrase(match, field)}"
    return f"{field}: {message}"


def plain_fields(fields: dict[str, list[str]]) -> list[str]:
    return [plain(field, message) for field, messages in fields.items() for message in messages]
