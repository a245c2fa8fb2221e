"""What `ticketfakes check VENDOR` checks: the registered check vendors, and the CLI's arguments for them.

A *check vendor* is one API contract (a `CheckVendor`: its spec, credentials and parameters, and all
the checker knows of it besides its rules), given by its fake's `contract()` (the built-in fakes':
`rules/<vendor>.py`); `registered()` finds them. Credentials (`--header`) and the ids the checks work with (`--param`)
default to the default fixture's names, so a run against the fakes needs no arguments.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..fakes import registered as registered_fakes
from .interface import CheckVendor, Param

__all__ = ["ALL", "CHOICES", "VENDORS", "CheckVendor", "ConfigurationError", "Param", "registered"]


class ConfigurationError(ValueError):
    """A vendor, header or parameter that `ticketfakes check` cannot use; the message says why."""


def registered() -> dict[str, CheckVendor]:
    """Every check vendor, by name: what each registered fake's `contract()` gives (ticketfakes.fakes)."""
    return {vendor.name: vendor for fake in registered_fakes() if fake.contract for vendor in fake.contract()}


VENDORS: dict[str, CheckVendor] = registered()
ALL = "all"
CHOICES = (*VENDORS, ALL)


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
