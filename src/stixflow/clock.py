"""Timestamps in the one format the store sorts on: STIX's ``YYYY-MM-DDTHH:MM:SS.mmmZ``."""

from __future__ import annotations

from datetime import UTC, datetime


def stix_timestamp(moment: datetime) -> str:
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def now() -> str:
    return stix_timestamp(datetime.now(UTC))
