"""A live stream asked for history the event-log retention removed: 410 and where it starts."""

from __future__ import annotations

import time

import httpx
import pytest

from stixflow.runtime import Runtime
from stixflow.store import retention
from stixflow.taxii.collections import DefinitionCreate, live_streams
from stixflow.taxii.filters import ObjectFilter
from tests.store.test_retention import CUTOFF, _history
from tests.streams.conftest import collect, data_events
from tests.taxii.conftest import LiveServer

pytestmark = pytest.mark.timeout(60)


def test_the_stream_answers_410_with_where_history_starts(
    runtime: Runtime, live: LiveServer, admin_token: str
) -> None:
    _history(runtime)
    retention.prune(runtime.db, CUTOFF)
    horizon = retention.horizon(runtime.db)
    assert horizon is not None
    definition = DefinitionCreate(
        name=f"s{time.monotonic_ns()}", filters=ObjectFilter(types=["malware"])
    )
    stream = live_streams(runtime.db).create(definition, created_by=None).id
    url = f"{live.url}/stream/{stream}"
    auth = {"Authorization": f"Bearer {admin_token}"}
    refused = httpx.get(url, headers={**auth, "Last-Event-ID": "1"}, timeout=10)
    assert refused.status_code == 410
    assert refused.json()["kept_after"] == horizon.seq
    assert refused.json()["kept_since"] == CUTOFF
    fresh = data_events(
        collect(
            url, admin_token, params={"from": "0"}, until=lambda found: len(data_events(found)) >= 3
        )
    )
    names = sorted(e["data"]["data"]["name"] for e in fresh)
    assert names == ["Kept", "Kept", "Old"]  # state at the cutoff, then the recent update
