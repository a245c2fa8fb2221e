"""The toy's contract check: its check vendor and one business rule, written against the checker's API
(`checks.interface.CheckVendor`, `checks.rules.base.rule`). Kept in one file so it moves easily.
Imported only by `FAKE.contract()`: the checker imports schemathesis, a server must not pay for that."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ticketfakes.checks.interface import CheckVendor
from ticketfakes.checks.rules.base import Checker, rule

from . import FAKE

if TYPE_CHECKING:
    from ticketfakes.checks.contract import Contract

CHECK_VENDORS = (CheckVendor("toy", "toy", FAKE.specs[0], {"X-Toy-Key": "toy-key-acme"}),)


@rule("toy.unique_name", "toy")
def unique_name(contract: Contract) -> None:
    """A thing's name is unique in its tenant: the second create with the same name is 409, in the
    toy's error shape, and the first thing reads back unchanged."""
    check = Checker("toy.unique_name", contract)
    name = contract.ids.new("thing")
    created = check.json(contract.target.request("POST", "/things", json_body={"name": name}), 201)
    check.expect(created.get("name") == name, f"created {created}, posted the name {name!r}")
    again = check.json(contract.target.request("POST", "/things", json_body={"name": name}), 409)
    check.expect(again.get("fault", {}).get("code") == "conflict", f"a taken name answered {again}")
    read = check.json(contract.target.get(f"/things/{created['id']}"), 200)
    check.expect(read == created, f"GET answered {read}, POST created {created}")
