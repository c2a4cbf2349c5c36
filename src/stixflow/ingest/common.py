"""Settings every kind stores the same way: HTTP options and the create-shaped field values."""

from __future__ import annotations

from datetime import UTC, datetime

from stixflow.clock import stix_timestamp
from stixflow.ingest.http import ClientCert, HttpOptions
from stixflow.ingest.records import Ingester
from stixflow.net.checks import Outbound

HTTP_FIELDS = ("timeout_seconds", "verify_tls", "proxy")


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
