"""What the checker knows of Planhat besides its rules: the contract's parameters and credentials, the
preflight probe, how a generated request is made safe (`prepare`, `observe`), and the documented
refusals and misreadings (docs/contract-checks.md). `rules/planhat.py` describes the contract with them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...specs import SpecFile
from ..interface import Param, Probe
from ..ledger import ID_PREFIX
from ..misreadings import MiB, body_rules
from ..safety import namespaced, ours, pinned
from ..schema import refusal

if TYPE_CHECKING:
    from schemathesis import Case

    from ..interface import Contract

SPEC = SpecFile("planhat.yaml", "/planhat")
HEADERS = {"Authorization": "Bearer ph_demo_token"}
PARAMS = {
    "companyExternalId": Param("acme-ext", "externalId of a company; new end users are created there", "acme-ext"),
    "otherToken": Param("", "a token of another workspace (tenant isolation; empty: not checked)"),
}
# Credentials of the default fixture (shown in reproductions), and where a credential goes (redacted).
FIXTURE_SECRETS = frozenset({"Bearer ph_demo_token"})
CREDENTIAL_HEADERS = frozenset({"authorization"})
SECRET_PARAMS = frozenset({"otherToken"})

PROBES = (Probe("GET", lambda c: "/tickets", query={"limit": "1"}),)


# -- safety: sourceIds in the run's namespace, `_id`s this run created, e-mails at example.com ---------


def _prepare_item(contract: Contract, case: Case, item: Any) -> Any:
    if not isinstance(item, dict):
        return item
    if isinstance(item.get("sourceId"), str):
        item["sourceId"] = namespaced(contract, item["sourceId"])
    known = item.get("_id")
    if isinstance(known, str) and not contract.ledger.has("planhat", "ticket", known):
        mine = ours(contract, case, "ticket", known)
        item["_id"] = mine if mine is not None else namespaced(contract, known)
    email = item.get("email")
    if isinstance(email, str) and email.strip() and not email.startswith(ID_PREFIX):
        item["email"] = contract.ids.email(email)
        if pinned(email):  # a known company makes the new end user (else the item fails)
            item.pop("companyId", None)
            item["companyExternalId"] = contract.param("companyExternalId")
    return item


def prepare(contract: Contract, case: Case, body: Any) -> Any:
    ticket_id = case.path_parameters.get("id")
    if isinstance(ticket_id, str) and not contract.ledger.has("planhat", "ticket", ticket_id):
        mine = ours(contract, case, "ticket", ticket_id)
        case.path_parameters["id"] = mine if mine is not None else namespaced(contract, ticket_id)
    if isinstance(body, list):
        return [_prepare_item(contract, case, item) for item in body]
    return _prepare_item(contract, case, body)


def observe(contract: Contract, case: Case, status: int, body: dict[str, Any]) -> None:
    label = f"{case.method.upper()} {case.path}"
    ledger = contract.ledger
    if label == "PUT /tickets" and status in (200, 206) and isinstance(body.get("upsertedIds"), list):
        for ticket_id in body["upsertedIds"]:
            if isinstance(ticket_id, str):
                ledger.add("planhat", "ticket", ticket_id)
    elif label == "DELETE /tickets/{id}" and status == 200:
        ledger.removed("planhat", "ticket", str(case.path_parameters.get("id")))


# -- documented refusals and misreadings ----------------------------------------------------------

BULK_LIMIT = 16 * MiB  # the bulk PUT's request body limit (docs/serving.md)
REFUSALS = {
    "PUT /tickets": [refusal(400, "*", "every item failed (unknown _id or e-mail, no sourceId, bad date)")],
}
MISREADINGS = {
    "PUT /tickets": body_rules(BULK_LIMIT),
}
