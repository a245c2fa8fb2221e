"""Passive business-rule checks: what the proxy can judge from traffic it only watches (docs/proxy.md).

`ticketfakes check` drives a target with request sequences of its own; here the client's traffic is all
there is. Each observer remembers what it saw (a stored orgTicketId, an Idempotency-Key's first answer, a
cursor's pages) and judges later answers against it. A rule is named like the checker's rule that proves
the same thing, and reuses that rule's assertions where they apply to one observed answer: the proxy
and the checker name a broken rule the same way.
"""

from __future__ import annotations

from ...fakes import registered
from .base import Found, Observer

# What the proxy judges of every vendor, observer or not (the spec, the upstream's availability).
SHARED_RULES = ("spec.request", "spec.response", "proxy.upstream_unreachable", "proxy.upstream_timeout")


def observers() -> dict[str, Observer]:
    """A fresh observer per fake that has one (the others get the spec checks only), by fake name."""
    return {fake.name: fake.observer() for fake in registered() if fake.observer is not None}


def rule_names() -> list[str]:
    """Every rule the proxy can report (docs/proxy.md lists them; a test keeps both equal)."""
    return [*SHARED_RULES, *(name for observer in observers().values() for name in observer.rules)]


__all__ = ["Found", "Observer", "observers", "rule_names"]
