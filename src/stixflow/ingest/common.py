"""Settings every kind stores the same way: HTTP options, credentials, destinations, times."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from stixflow.clock import stix_timestamp
from stixflow.ingest.http import ClientCert, HttpOptions
from stixflow.ingest.records import Ingester
from stixflow.net.checks import Outbound

HTTP_FIELDS = ("timeout_seconds", "verify_tls", "proxy")
CREDENTIAL_FIELDS = ("password", "token", "key_pem", "header_value")
DEFAULT_PORTS = {"http": 80, "https": 443}

Destination = tuple[str, ...]
"""Where a feed's credentials go: scheme, host, port and path of its URL, and its proxy."""


def endpoint(url: str) -> Destination:
    """Scheme, host, port (the scheme's default when absent) and path (no trailing slash)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    try:
        port = parts.port or DEFAULT_PORTS.get(scheme, 0)
    except ValueError:
        port = -1  # not a port: compares unequal to every real one
    return (scheme, (parts.hostname or "").lower(), str(port), parts.path.rstrip("/"))


def destination_of(fields: Mapping[str, Any]) -> Destination:
    """A feed's destination from its create-shaped fields (``url`` and ``proxy``)."""
    proxy = fields.get("proxy") or ""
    return (*endpoint(str(fields.get("url") or "")), *(endpoint(proxy) if proxy else ()))


def http_options(
    ingester: Ingester, *, outbound: Outbound, client_cert: ClientCert | None = None
) -> HttpOptions:
    """The feed's HTTP settings under the outbound policy (and a check's limits)."""
    config = ingester.config
    timeout = float(config.get("timeout_seconds", 30.0))
    return HttpOptions(
        timeout=timeout,
        connect_timeout=outbound.connect_timeout(timeout),
        retries=outbound.retries(HttpOptions.retries),
        verify_tls=bool(config.get("verify_tls", True)),
        proxy=config.get("proxy") or None,
        client_cert=client_cert,
        policy=outbound.policy,
    )


def to_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def taxii_timestamp(moment: datetime) -> str:
    """The form TAXII servers accept for ``added_after`` (microseconds, ``Z``)."""
    return to_utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(value: str) -> datetime | None:
    """An RFC 3339 timestamp (``Z`` or an offset), or None when it is not one."""
    try:
        return to_utc(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
    except (ValueError, AttributeError):
        return None


def import_from_of(ingester: Ingester) -> datetime | None:
    return parse_timestamp(ingester.import_from) if ingester.import_from else None


def stix_time(moment: datetime) -> str:
    return stix_timestamp(to_utc(moment))
