"""TAXII 2.1 media types and content negotiation (TAXII 2.1 section 1.6.8, 3.2)."""

from __future__ import annotations

from stixflow.errors import InvalidInput

TAXII = "application/taxii+json"
STIX = "application/stix+json"
TAXII_21 = f"{TAXII};version=2.1"
STIX_21 = f"{STIX};version=2.1"


class NotAcceptable(InvalidInput):
    """The client's ``Accept`` names no media type this server answers with."""


class UnsupportedMediaType(InvalidInput):
    """A request body whose ``Content-Type`` is not a TAXII 2.1 / STIX 2.1 envelope."""


def _parse(value: str) -> tuple[str, dict[str, str]]:
    kind, _, rest = value.partition(";")
    params = {}
    for part in rest.split(";"):
        key, _, item = part.partition("=")
        if key.strip():
            params[key.strip().lower()] = item.strip().strip('"')
    return kind.strip().lower(), params


def check_accept(header: str | None) -> None:
    """Accept ``application/taxii+json`` (version 2.1 or none given); refuse anything else."""
    for candidate in (header or "").split(","):
        kind, params = _parse(candidate)
        if kind == TAXII and params.get("version", "2.1") == "2.1":
            return
    raise NotAcceptable(f"the Accept header must name {TAXII_21} (got {header or 'nothing'})")


def check_content_type(header: str | None) -> None:
    """A body must be ``application/taxii+json`` or ``application/stix+json``, version 2.1."""
    kind, params = _parse(header or "")
    if kind in (TAXII, STIX) and params.get("version", "2.1") == "2.1":
        return
    raise UnsupportedMediaType(f"Content-Type must be {TAXII_21} (got {header or 'nothing'})")


class Unsupported(InvalidInput):
    """An operation this server does not offer on a resource (e.g. deleting objects)."""
