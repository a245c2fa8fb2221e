"""Mechanisms every fake shares: clock, ids, problems, idempotency, pagination, auth, locks."""
