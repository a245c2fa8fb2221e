"""Passive business-rule checks: what the proxy can judge from traffic it only watches (docs/proxy.md).

`ticketfakes check` drives a target with request sequences of its own; here the client's traffic is all
there is. Each observer remembers what it saw (a stored orgTicketId, an Idempotency-Key's first answer, a
cursor's pages) and judges later answers against it. A rule is named like the checker's rule that proves
the same thing, and reuses that rule's assertions where they apply to one observed answer: the proxy
and the checker name a broken rule the same way.
"""

from __future__ import annotations

from .base import Found, Observer  # noqa: F401  (what forward.py uses)


def observers() -> dict[str, Observer]:
    from .gomry import GomryObserver
    from .planhat import PlanhatObserver
    from .talque import TalqueObserver

    return {"talque": TalqueObserver(), "gomry": GomryObserver(), "planhat": PlanhatObserver()}


def rule_names() -> list[str]:
    """Every rule the proxy can report (docs/proxy.md lists them; a test keeps both equal)."""
    from .gomry import RULES as GOMRY
    from .planhat import RULES as PLANHAT
    from .talque import RULES as TALQUE

    return ["spec.request", "spec.response", "proxy.upstream_unreachable", "proxy.upstream_timeout",
            *TALQUE, *GOMRY, *PLANHAT]
