"""The vendor documents as published, kept in tests/data/published/ (source and date in its README)."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

PUBLISHED = Path(__file__).resolve().parent / "data" / "published"


@cache
def talque_json_api_documents() -> tuple[dict[str, Any], ...]:
    """talque's two published OpenAPI documents (ticket read, ticket list), parsed from their page."""
    text = (PUBLISHED / "talque-ticket-json-api.md").read_text(encoding="utf-8")
    return tuple(json.loads(block) for block in re.findall(r"```json\n(.*?)\n```", text, re.S))
