"""Native ingesters (TAXII, RSS, ... feeds) shown as built-in connectors.

Read through the ingest package's public records (``IngesterRecords.list``). A built-in
connector's id is the ingester's source name, so its queue is the ingester's ``push_<source>``;
it is alive while the ingester runs; its state is the ingester's cursor, reset through the
ingester (``stixflow ingest ... reset``), not here.
"""

from __future__ import annotations

from datetime import timedelta

import isodate

from stixflow.connectors.model import BUILT_IN_TYPE, Connector
from stixflow.crypto import SecretBox
from stixflow.db.base import Database
from stixflow.ingest.common import parse_timestamp
from stixflow.ingest.records import Ingester, IngesterRecords


def built_in_connectors(db: Database, box: SecretBox) -> list[Connector]:
    return [as_connector(ingester) for ingester in IngesterRecords(db, box).list()]


def as_connector(ingester: Ingester) -> Connector:
    return Connector(
        id=ingester.source,
        name=f"[{ingester.kind.upper()}] {ingester.name}",
        type=BUILT_IN_TYPE,
        scope=[],
        auto=False,
        only_contextual=False,
        user_id=ingester.user_id,
        state="",
        state_reset=False,
        state_updated_at=None,
        info={
            "last_run_datetime": ingester.last_run_at,
            "next_run_datetime": _next_run(ingester),
            "buffering": ingester.buffering,
        },
        last_seen_at=ingester.last_run_at,
        broker_user=None,
        broker_secret=None,
        created_at=ingester.created_at,
        updated_at=ingester.updated_at,
        built_in=True,
        extra={"running": ingester.running, "kind": ingester.kind, "ingester_id": ingester.id},
    )


def _next_run(ingester: Ingester) -> str | None:
    if not ingester.running or not ingester.last_run_at:
        return None
    last = parse_timestamp(ingester.last_run_at)
    try:
        period = isodate.parse_duration(ingester.scheduling_period)
    except (isodate.ISO8601Error, ValueError):
        return None
    if last is None or not isinstance(period, timedelta):
        return None
    return (last + period).strftime("%Y-%m-%dT%H:%M:%SZ")
