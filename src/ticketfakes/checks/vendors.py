"""What `ticketfakes check VENDOR` checks: each checkable API, its spec, credentials and parameters.

A *check vendor* is one API contract: `talque` (the Ticket JSON API), `talque-webhook`, `gomry`,
`planhat`. Credentials (`--header`) and the ids the checks work with (`--param`) default to the
default fixture's names, so a run against the fakes needs no arguments.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..specs import SpecFile


class ConfigurationError(ValueError):
    """A vendor, header or parameter that `ticketfakes check` cannot use; the message says why."""


@dataclass(frozen=True)
class Param:
    default: str
    help: str


@dataclass(frozen=True)
class CheckVendor:
    name: str  # what the CLI takes: talque, talque-webhook, gomry, planhat
    fake: str  # the fake (and state section) that serves it: talque, gomry, planhat
    spec: SpecFile
    headers: Mapping[str, str]  # the default credential
    params: Mapping[str, Param] = field(default_factory=dict)

    @property
    def prefix(self) -> str:
        return self.spec.prefix


_TALQUE_PARAMS = {
    "orgId": Param("org-demo", "the talque organization (event) the checks write test tickets into"),
    "provider": Param("demo-shop", "the API client's provider"),
    "ticketType": Param("day-pass", "a ticket type identifier the organization knows"),
    "sessionId": Param("sess-keynote", "a session id of the organization (empty: not used)"),
    "extSessionId": Param("ext-workshop", "an external session id the organization maps (empty: not used)"),
    "vendorId": Param("vendor-acme", "a vendor id of the organization (empty: not used)"),
    "otherClientId": Param("other-client", "a second API client, not permitted for orgId (tenant isolation)"),
    "otherSecret": Param("other-secret", "the second API client's secret"),
    "otherOrgId": Param("org-other", "an organization the main client is not permitted for"),
    "pageLimit": Param("3", "page size of the paging check (small pages, many requests)"),
}

VENDORS: dict[str, CheckVendor] = {
    "talque": CheckVendor(
        "talque",
        "talque",
        SpecFile("talque-json-api.yaml", "/talque"),
        {"X-TQ-CLIENT-ID": "demo-client", "X-TQ-SECRET": "demo-secret"},
        _TALQUE_PARAMS,
    ),
    "talque-webhook": CheckVendor(
        "talque-webhook",
        "talque",
        SpecFile("talque-webhook.yaml", "/talque"),
        {"X-TQ-CLIENT-ID": "demo-client", "X-TQ-SECRET": "demo-secret"},
        _TALQUE_PARAMS,
    ),
    "gomry": CheckVendor(
        "gomry",
        "gomry",
        SpecFile("gomry.yaml", "/gomry/api/v1"),
        {"X-API-KEY": "gk_demo_write"},
        {
            "eventId": Param("evt_demo", "an event the key may write attendees to"),
            "ticketClassId": Param("tc_general", "a ticket class of eventId with seats left"),
            "smallEventId": Param("evt_small", "a small event the capacity check fills (and empties again)"),
            "smallTicketClassId": Param("tc_small", "a ticket class of smallEventId"),
            "otherApiKey": Param("gk_other", "an API key of another organization (tenant isolation)"),
            "otherEventId": Param(
                "evt_other", "an event otherApiKey may write to (Idempotency-Key scoping; nothing is created there)"
            ),
            "maxFill": Param("20", "the capacity check fills smallEventId only if at most this many seats are left"),
        },
    ),
    "planhat": CheckVendor(
        "planhat",
        "planhat",
        SpecFile("planhat.yaml", "/planhat"),
        {"Authorization": "Bearer ph_demo_token"},
        {
            "companyExternalId": Param("acme-ext", "externalId of a company; new end users are created there"),
            "otherToken": Param("", "a token of another workspace (tenant isolation; empty: not checked)"),
        },
    ),
}

ALL = "all"
CHOICES = (*VENDORS, ALL)

# Credentials of the default fixture: not secret, so reproductions show them; anything else is redacted.
FIXTURE_SECRETS = frozenset(
    {"demo-secret", "other-secret", "gk_demo_write", "gk_demo_read", "gk_other", "Bearer ph_demo_token"}
)
CREDENTIAL_HEADERS = frozenset({"x-tq-secret", "x-api-key", "authorization"})
SECRET_PARAMS = frozenset({"otherSecret", "otherApiKey", "otherToken"})


def expand(vendor: str) -> list[str]:
    """`all` -> every check vendor; a single name -> itself; anything else -> ConfigurationError."""
    if vendor == ALL:
        return list(VENDORS)
    if vendor not in VENDORS:
        raise ConfigurationError(f"unknown vendor {vendor!r}; choose one of {', '.join(CHOICES)}")
    return [vendor]


def resolve_params(vendors: list[str], given: Mapping[str, str] | None) -> dict[str, dict[str, str]]:
    """Each vendor's parameters: defaults overlaid with `given`; a name no vendor knows is an error."""
    given = dict(given or {})
    known = {name for vendor in vendors for name in VENDORS[vendor].params}
    unknown = sorted(set(given) - known)
    if unknown:
        raise ConfigurationError(
            f"unknown --param {', '.join(unknown)} for {', '.join(vendors)}; known: {', '.join(sorted(known))}"
        )
    resolved = {}
    for vendor in vendors:
        params = {name: param.default for name, param in VENDORS[vendor].params.items()}
        params.update({name: value for name, value in given.items() if name in params})
        resolved[vendor] = params
    return resolved


def resolve_headers(vendor: str, given: Mapping[str, str] | None) -> dict[str, str]:
    """The vendor's default credential overlaid with `given` (header names compare case-insensitively)."""
    headers = dict(VENDORS[vendor].headers)
    for name, value in (given or {}).items():
        for existing in [key for key in headers if key.lower() == name.lower()]:
            del headers[existing]
        headers[name] = value
    return headers


def parse_pairs(pairs: list[str] | None, option: str) -> dict[str, str]:
    """`["K=V", ...]` -> dict; a pair without `=` or with an empty name -> ConfigurationError."""
    result: dict[str, str] = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ConfigurationError(f"{option} expects NAME=VALUE, got {pair!r}")
        result[name.strip()] = value
    return result


def base_url_for(vendor: str, base_url: str | None, single: bool) -> str | None:
    """The vendor's base URL: as given for a single vendor, root + the fake's prefix for `all`."""
    if base_url is None:
        return None
    base_url = base_url.rstrip("/")
    if not base_url.startswith(("http://", "https://")):
        raise ConfigurationError(f"--base-url must start with http:// or https://, got {base_url!r}")
    return base_url if single else base_url + VENDORS[vendor].prefix
