"""Dashboard figures (``stixflow.store.stats``), on every back-end pair."""

from __future__ import annotations

from stixflow.runtime import Runtime
from stixflow.store import stats
from stixflow.store.base import Access, Provenance
from tests.support import TLP_AMBER, TLP_GREEN, malware

EVERYTHING = Access.everything()
GREEN_ONLY = Access.only([TLP_GREEN])


def write(runtime: Runtime, objects, *, source: str, at: str, user: str | None = None) -> None:
    with runtime.db.transaction() as tx:
        runtime.store.upsert(tx, objects, provenance=Provenance(at, user, source))


def test_timeline_counts_new_objects_per_source_per_hour_with_gaps(runtime: Runtime) -> None:
    write(runtime, [malware("a"), malware("b")], source="feed-a", at="2026-01-02T10:05:00.000Z")
    write(runtime, [malware("c")], source="feed-b", at="2026-01-02T10:40:00.000Z")
    write(runtime, [malware("d")], source="feed-a", at="2026-01-02T13:00:00.000Z")
    timeline = stats.ingest_timeline(runtime.db, EVERYTHING, until="2026-01-02T14:30:00.000Z")
    assert timeline.unit == "hour"
    assert len(timeline.buckets) == stats.MIN_BUCKETS
    assert timeline.buckets[0] == "2026-01-02T03" and timeline.buckets[-1] == "2026-01-02T14"
    assert {s.source: s.counts[-5:] for s in timeline.series} == {
        "feed-a": [2, 0, 0, 1, 0],
        "feed-b": [1, 0, 0, 0, 0],
    }
    assert sum(timeline.series[0].counts) == 3


def test_timeline_uses_days_then_months_for_longer_spans(runtime: Runtime) -> None:
    write(runtime, [malware("a")], source="feed", at="2026-01-30T10:00:00.000Z")
    write(runtime, [malware("b")], source="feed", at="2026-02-02T10:00:00.000Z")
    days = stats.ingest_timeline(runtime.db, EVERYTHING, until="2026-02-02T12:00:00.000Z")
    assert days.unit == "day" and days.buckets[-4:] == [
        "2026-01-30",
        "2026-01-31",
        "2026-02-01",
        "2026-02-02",
    ]
    assert days.series[0].counts[-4:] == [1, 0, 0, 1] and days.series[0].total == 2
    write(runtime, [malware("c")], source="feed", at="2027-03-01T10:00:00.000Z")
    months = stats.ingest_timeline(runtime.db, EVERYTHING, until="2027-03-01T10:00:00.000Z")
    assert months.unit == "month"
    assert months.buckets[0] == "2026-01" and months.buckets[-1] == "2027-03"
    assert len(months.buckets) == 15 and months.series[0].total == 3


def test_timeline_hides_what_the_reader_may_not_see(runtime: Runtime) -> None:
    green = malware("green", object_marking_refs=[TLP_GREEN])
    amber = malware("amber", object_marking_refs=[TLP_AMBER])
    write(runtime, [green], source="feed-a", at="2026-01-02T10:00:00.000Z")
    write(runtime, [amber], source="secret-feed", at="2026-01-02T11:00:00.000Z")
    timeline = stats.ingest_timeline(runtime.db, GREEN_ONLY)
    assert [s.source for s in timeline.series] == ["feed-a"]
    skipped = stats.ingest_timeline(runtime.db, EVERYTHING, skip=["feed-a"])
    assert [(s.source, s.total) for s in skipped.series] == [("secret-feed", 1)]
    assert stats.ingest_timeline(runtime.db, Access.only([])).series == []


def test_an_empty_platform_has_an_empty_timeline(runtime: Runtime) -> None:
    timeline = stats.ingest_timeline(runtime.db, Access.only([]))
    assert (timeline.buckets, timeline.series) == ([], [])


def test_top_sources_fold_the_rest_into_other(runtime: Runtime) -> None:
    for index in range(4):
        objects = [malware(f"m{index}-{n}") for n in range(index + 1)]
        write(runtime, objects, source=f"feed-{index}", at="2026-01-02T10:00:00.000Z")
    top = stats.ingest_timeline(runtime.db, EVERYTHING, until="2026-01-02T11:00:00.000Z").top(3)
    assert [(s.source, s.total) for s in top.series] == [
        ("feed-3", 4),
        ("feed-2", 3),
        (stats.OTHER, 3),
    ]


def test_sources_labels_and_creators(runtime: Runtime) -> None:
    first, second = malware("one"), malware("two")
    write(runtime, [first, second], source="connector-x", at="2026-01-02T10:00:00.000Z")
    write(runtime, [first], source="import", at="2026-01-02T11:00:00.000Z")
    with runtime.db.transaction() as tx:
        tx.execute(
            "INSERT INTO connectors (id, name, type, created_at, updated_at) VALUES (?,?,?,?,?)",
            ("connector-x", "MITRE", "EXTERNAL_IMPORT", "2026-01-01", "2026-01-01"),
        )
        tx.execute(
            "INSERT INTO users (id, email, name, created_at) VALUES (?, ?, ?, ?)",
            ("u-1", "ann@example.org", "Ann", "2026-01-01"),
        )
    assert stats.sources_of(runtime.db, [first["id"], second["id"]]) == {
        first["id"]: ["connector-x", "import"],
        second["id"]: ["connector-x"],
    }
    assert {"connector-x", "import"} <= set(stats.known_sources(runtime.db))
    runtime.store.delete(second["id"])
    runtime.store.delete(first["id"])
    assert {"connector-x", "import"} <= set(stats.known_sources(runtime.db))  # ever delivered
    assert stats.source_labels(runtime.db, ["connector-x", "import", "odd"]) == {
        "connector-x": "Connector: MITRE",
        "import": "Bundle uploads (import)",
        "odd": "odd",
    }
    assert stats.user_names(runtime.db, ["u-1", "nobody"]) == {"u-1": "Ann <ann@example.org>"}


def test_recent_dead_letters_newest_first(runtime: Runtime) -> None:
    for number in range(3):
        runtime.dead_letters.add(queue="q", body=b"junk", reason=f"bad {number}", attempts=1)
    recent = stats.recent_dead_letters(runtime.db, limit=2)
    assert [letter.reason for letter in recent] == ["bad 2", "bad 1"]
