"""What the response checks share: business rules schemathesis runs on every response of a ticketfakes
contract (`@schemathesis.check`), defined in the vendors' rule modules (`CheckVendor.response_checks`).

They run next to the built-in checks during fuzzing and stateful runs, on whatever schemathesis
generates, and act only on schemas loaded by a `Contract` of their vendor (`checked_by`: anyone else's
schemas are left alone). A check that must see a second response (a retry) sends it through the
contract's recording target (`resend`). A broken server may answer anything: the schema checks report
that, these checks must only not crash on it (`as_object`, `as_list`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .schema import contract_for_schema, send

if TYPE_CHECKING:
    from schemathesis import Case, Response

    from .interface import Contract


def checked_by(case: Case, vendor: str) -> Contract | None:
    """The contract of the check vendor named `vendor` whose schema `case` is of; None for any other."""
    contract = contract_for_schema(case.operation.schema)
    return contract if contract is not None and contract.name == vendor else None


def json_of(response: Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def as_object(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else {}: a broken server may answer anything; the schema checks
    report that, these checks must only not crash on it."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def count(body: dict[str, Any], name: str) -> int:
    value = body.get(name, 0)
    assert isinstance(value, int) and not isinstance(value, bool), f"`{name}` is {value!r}, not a count"
    return value


def size(body: dict[str, Any], name: str) -> int:
    value = body.get(name) or []
    assert isinstance(value, list), f"`{name}` is {value!r}, not a list"
    return len(value)


def resend(contract: Contract, case: Case) -> Response:
    """The very same request again (a retry), through the contract's recording target."""
    return send(contract, case, prepared=True)
