"""Reads a HAR file: each entry under a registered fake's prefix becomes a `Seen` answer."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..fakes import for_path
from .base import Seen


class HarError(ValueError):
    """The file is not a HAR document this command can read; the message says why."""


def _text_json(content: dict[str, Any]) -> Any:
    text = content.get("text")
    if not isinstance(text, str) or not text:
        return None
    try:
        raw = base64.b64decode(text) if content.get("encoding") == "base64" else text.encode()
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None


def read_har(path: str | Path) -> Iterator[Seen]:
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
        entries = document["log"]["entries"]
    except OSError as exc:
        raise HarError(f"cannot read {path}: {exc.strerror}") from None
    except (ValueError, KeyError, TypeError):
        raise HarError(f"{path} is not a HAR file (JSON with log.entries)") from None
    for entry in entries:
        try:
            request, response = entry["request"], entry["response"]
            parts = urlsplit(request["url"])
            status = int(response["status"])
        except (KeyError, TypeError, ValueError):
            continue
        fake = for_path(parts.path)
        if fake is not None:
            yield Seen(fake.name, request.get("method", "GET"), parts.path[len(fake.prefix):], parse_qs(parts.query),
                       _text_json(request.get("postData") or {}), status, _text_json(response.get("content") or {}))
