"""Making generated requests safe to send to a real service, and useful to send to any.

schemathesis invents ids, e-mail addresses and tenants. Before a case is sent, `prepare` sets the
contract's credential, brings numbers beyond 64-bit range back into it (every implementation may refuse
those, ticketfakes does with 400, and they prove nothing about the contract), and hands the case to the
vendor's `CheckVendor.prepare`, which with the helpers here:

* moves every id the request *writes* into this run's namespace (`ticketfakes-check-<run>-...`,
  `namespaced`); an id the request would *change or delete* stays only if this run created it; else
  most become one this run created and has not deleted (`ours`: so success paths are reached), the rest
  a namespaced id that exists nowhere (so the request still runs, and gets its 404);
* replaces e-mail addresses with `...@example.com` ones (`safe_email`: reserved, nothing is ever
  delivered), so no real person's profile or contact is touched;
* writes only to the configured tenant;
* pins most requests to the configured tenant, so success paths get fuzzed and not only the 404 of an
  invented one; a deterministic quarter keeps the generated value (`pinned`).

`observe` records in the ledger, through `CheckVendor.observe`, what a response says was created or
deleted. The vendor's own rewrites are listed in its `rules/<vendor>_data.py`.
"""

from __future__ import annotations

import re
import zlib
from typing import TYPE_CHECKING, Any

from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import CoveragePhaseData

from .ledger import ID_PREFIX

if TYPE_CHECKING:
    from schemathesis import Case

    from .interface import Contract

NUMBER_LIMIT = 2**63
_CLAMPED = 2**53
# The specs' e-mail patterns, loosely: a value that looks like an address is replaced by a safe one.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def pinned(value: Any) -> bool:
    """Deterministic 3-in-4 choice per generated value (reproducible, unlike random())."""
    return zlib.crc32(repr(value).encode("utf-8", "surrogatepass")) % 4 != 0


def clamp_numbers(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and not -NUMBER_LIMIT <= value < NUMBER_LIMIT:
        return _CLAMPED if value > 0 else -_CLAMPED
    if isinstance(value, dict):
        return {key: clamp_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [clamp_numbers(item) for item in value]
    return value


def safe_email(contract: Contract, value: Any) -> Any:
    if isinstance(value, str) and _EMAIL.match(value) and not value.startswith(ID_PREFIX):
        return contract.ids.email(value)
    return value


def namespaced(contract: Contract, value: Any) -> Any:
    return contract.ids.prefixed(value) if isinstance(value, str) and value else value


def ours(contract: Contract, case: Case, kind: str, value: str, where: str | None = None) -> str | None:
    """For most generated ids (`pinned`, and every one until a case of the operation was accepted), one
    this run created and has not deleted (in `where`), so that reads, updates and deletes reach a real
    record and not only the 404 of an invented id."""
    vendor = contract.vendor.fake
    if not pinned(value) and contract.coverage.accepted(case.operation.label):
        return None
    live = [item.id for item in contract.ledger.live(vendor, kind) if where is None or item.where == where]
    return live[zlib.crc32(value.encode("utf-8", "surrogatepass")) % len(live)] if live else None


def _probed_header(case: Case) -> str | None:
    """The header a schemathesis coverage case deliberately leaves out or breaks (e.g. the API key in
    "missing required header"): its credential must not be put back."""
    meta = case.meta
    data = getattr(getattr(meta, "phase", None), "data", None)
    if isinstance(data, CoveragePhaseData) and data.parameter_location == ParameterLocation.HEADER and data.parameter:
        return data.parameter.lower()
    return None


def prepare(contract: Contract, case: Case) -> Case:
    """Rewrite `case` in place as described above; returns it."""
    probed = _probed_header(case)
    for name, value in contract.headers.items():
        if name.lower() != probed:
            case.headers[name] = value
    body = case.body
    if isinstance(body, dict | list):
        body = clamp_numbers(body)
    if contract.vendor.prepare is not None:
        body = contract.vendor.prepare(contract, case, body)
    if isinstance(body, dict | list):
        case.body = body
    return case


def observe(contract: Contract, case: Case, status: int, body: Any) -> None:
    """Record in the ledger what the response says was created or deleted."""
    if isinstance(body, dict) and contract.vendor.observe is not None:
        contract.vendor.observe(contract, case, status, body)
