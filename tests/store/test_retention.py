"""Event-log retention (``store.retention``): old history compacted, readers inside it refused."""

from __future__ import annotations

import pytest

from stixflow.errors import HistoryGone
from stixflow.runtime import Runtime
from stixflow.store import events, retention
from stixflow.store.base import Provenance
from stixflow.streams.server import start_of
from tests.support import malware

pytestmark = pytest.mark.timeout(60)

OLD = "2020-01-01T00:00:00.000Z"
CUTOFF = "2021-01-01T00:00:00.000Z"
RECENT = "2022-01-01T00:00:00.000Z"


def _write(runtime: Runtime, objects: list[dict], at: str) -> None:
    with runtime.db.transaction() as tx:
        runtime.store.upsert(tx, objects, provenance=Provenance(at, None, "test"))


def _version(obj: dict, n: int) -> dict:
    return {**obj, "modified": f"203{n}-01-01T00:00:00.000Z", "description": f"v{n}"}


def _history(runtime: Runtime) -> tuple[dict, dict, dict]:
    """``kept`` updated twice long ago then once recently; ``old`` written once long ago;
    ``gone`` deleted long ago."""
    kept, old, gone = malware("Kept"), malware("Old"), malware("Gone")
    _write(runtime, [kept, old, gone], OLD)
    _write(runtime, [_version(kept, 1)], OLD)
    _write(runtime, [_version(kept, 2)], OLD)
    runtime.store.delete(gone["id"], provenance=Provenance(OLD, None, "test"))
    _write(runtime, [_version(kept, 3)], RECENT)
    return kept, old, gone


def _latest_until(runtime: Runtime, upto: int) -> dict[str, dict]:
    latest: dict[str, dict] = {}
    for event in events.read_after(runtime.db, 0, limit=10_000):
        if event.seq <= upto:
            latest[event.object_id] = event.data if event.kind != events.DELETE else {}
    return {key: value for key, value in latest.items() if value}


def test_prune_keeps_each_objects_state_at_the_cutoff_and_everything_after(
    runtime: Runtime,
) -> None:
    kept, old, gone = _history(runtime)
    before = events.read_after(runtime.db, 0, limit=100)
    cutoff_seq = events.seq_at(runtime.db, CUTOFF)
    state_at_cutoff = _latest_until(runtime, cutoff_seq)

    removed = retention.prune(runtime.db, CUTOFF, batch=2)

    after = events.read_after(runtime.db, 0, limit=100)
    assert removed == len(before) - len(after) == 4  # Kept v0 and v1; Gone create, delete
    assert _latest_until(runtime, cutoff_seq) == state_at_cutoff
    assert {e.object_id for e in after} == {kept["id"], old["id"]}
    assert after[-1].data["description"] == "v3"  # the recent event stays
    assert gone["id"] not in state_at_cutoff
    horizon = retention.horizon(runtime.db)
    assert horizon == retention.Horizon(cutoff_seq, CUTOFF)
    assert retention.prune(runtime.db, CUTOFF) == 0  # nothing more to remove


def test_a_reader_inside_removed_history_is_refused_not_served_less(runtime: Runtime) -> None:
    _history(runtime)
    retention.prune(runtime.db, CUTOFF)
    horizon = retention.horizon(runtime.db)
    assert horizon is not None
    with pytest.raises(HistoryGone) as refused:
        start_of(runtime.db, str(horizon.seq - 1))
    assert refused.value.kept_after == horizon.seq
    assert CUTOFF in str(refused.value)
    with pytest.raises(HistoryGone):
        start_of(runtime.db, "2020-06-01T00:00:00Z")  # a snapshot as of a date before it
    assert start_of(runtime.db, str(horizon.seq)).after == horizon.seq
    assert start_of(runtime.db, "0").after == 0  # a new reader: the compacted history
    later = start_of(runtime.db, "2021-06-01T00:00:00Z")  # the state then, from the log
    assert later.snapshot_until == events.seq_at(runtime.db, "2021-06-01T00:00:00Z")


def test_nothing_is_refused_while_nothing_was_removed(runtime: Runtime) -> None:
    _write(runtime, [malware("Lonely")], OLD)
    assert retention.prune(runtime.db, CUTOFF) == 0  # its only event is its state
    assert retention.horizon(runtime.db) is None
    assert start_of(runtime.db, "1").after == 1
