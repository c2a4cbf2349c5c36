"""Read-only figures about the knowledge base for people: what came in from which source and when,
who the sources and creators are, the latest dead letters.

Plain SQL that runs unchanged on SQLite and PostgreSQL. Every figure about objects goes through
the marking filter (``visible_clause``), so a reader's counts never include what they cannot see.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from stixflow.clock import now
from stixflow.db.base import Database, batched
from stixflow.store.base import Access
from stixflow.store.visibility import visible_clause

IN_BATCH = 500
#: Bucket sizes, smallest first: (unit, characters of a STIX timestamp that name the bucket).
UNITS = (("hour", 13), ("day", 10), ("month", 7))
HOUR_SPAN = timedelta(hours=48)
DAY_SPAN = timedelta(days=120)
MIN_BUCKETS = 12
KEY_FORMATS = {"hour": "%Y-%m-%dT%H", "day": "%Y-%m-%d", "month": "%Y-%m"}
OTHER = "other sources"
PLATFORM = "stixflow"  # the source of what the platform writes itself (built-in markings)


@dataclass(frozen=True)
class SourceSeries:
    source: str
    counts: list[int]

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class Timeline:
    """Objects first seen per source per bucket; ``buckets`` are consecutive, gaps included."""

    unit: str
    buckets: list[str]
    series: list[SourceSeries]

    def top(self, count: int) -> Timeline:
        """The ``count`` biggest sources; the rest summed into one "other sources" series."""
        ranked = sorted(self.series, key=lambda s: (-s.total, s.source))
        if len(ranked) <= count:
            return self
        kept, rest = ranked[: count - 1], ranked[count - 1 :]
        other = SourceSeries(
            OTHER, [sum(values) for values in zip(*(s.counts for s in rest), strict=True)]
        )
        return Timeline(self.unit, self.buckets, [*kept, other])


@dataclass(frozen=True)
class RecentDeadLetter:
    id: int
    queue: str
    reason: str
    attempts: int
    created_at: str


def ingest_timeline(
    db: Database, access: Access, *, skip: Sequence[str] = (), until: str | None = None
) -> Timeline:
    """New objects per source over time up to ``until`` (default now), by hour (up to two days),
    day or month, at least ``MIN_BUCKETS`` buckets; sources in ``skip`` are left out."""
    visible, params = visible_clause(access)
    deliveries = (  # the creating source is in the object's row, the others in object_sources
        "(SELECT id AS object_id, source, first_seen FROM objects WHERE source IS NOT NULL "
        "UNION ALL SELECT object_id, source, first_seen FROM object_sources)"
    )
    joined = f"FROM {deliveries} s JOIN objects o ON o.id = s.object_id WHERE {visible}"
    if skip:
        joined += f" AND s.source NOT IN {db.in_clause(len(skip))}"
        params = [*params, *skip]
    with db.read() as tx:
        first, last = tx.fetchone(f"SELECT MIN(s.first_seen), MAX(s.first_seen) {joined}", params)
        if first is None:
            return Timeline("day", [], [])
        end = max(last, until or now())
        unit, width = _unit_for(_parse(first), _parse(end))
        found = tx.fetchall(
            f"SELECT s.source, SUBSTR(s.first_seen, 1, {width}), COUNT(*) {joined} GROUP BY 1, 2",
            params,
        )
    buckets = bucket_keys(first[:width], end[:width], unit)
    index = {key: position for position, key in enumerate(buckets)}
    counts: dict[str, list[int]] = {}
    for source, key, count in found:
        counts.setdefault(source, [0] * len(buckets))[index[key]] += int(count)
    series = [SourceSeries(source, values) for source, values in sorted(counts.items())]
    return Timeline(unit, buckets, series)


def _unit_for(first: datetime, last: datetime) -> tuple[str, int]:
    span = last - first
    if span <= HOUR_SPAN:
        return UNITS[0]
    if span <= DAY_SPAN:
        return UNITS[1]
    return UNITS[2]


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(UTC)


def bucket_start(key: str, unit: str) -> datetime:
    """The moment a bucket key ("2026-01-02T13", "2026-01-02", "2026-01") starts."""
    padded = {"hour": f"{key}:00:00", "day": f"{key}T00:00:00", "month": f"{key}-01T00:00:00"}
    return datetime.fromisoformat(padded[unit]).replace(tzinfo=UTC)


def bucket_keys(first: str, last: str, unit: str) -> list[str]:
    """Every bucket key from ``first`` to ``last`` inclusive, starting earlier if needed to make
    ``MIN_BUCKETS`` buckets."""
    end = bucket_start(last, unit)
    moment = min(bucket_start(first, unit), _shift(end, unit, 1 - MIN_BUCKETS))
    keys = []
    while moment <= end:
        keys.append(moment.strftime(KEY_FORMATS[unit]))
        moment = _shift(moment, unit, 1)
    return keys


def _shift(moment: datetime, unit: str, count: int) -> datetime:
    """``moment`` moved by ``count`` hours, days or months (a bucket start stays one)."""
    if unit == "hour":
        return moment + timedelta(hours=count)
    if unit == "day":
        return moment + timedelta(days=count)
    months = moment.year * 12 + moment.month - 1 + count
    return moment.replace(year=months // 12, month=months % 12 + 1)


def recent_dead_letters(db: Database, *, limit: int = 5) -> list[RecentDeadLetter]:
    """The newest dead letters first."""
    with db.read() as tx:
        found = tx.fetchall(
            "SELECT id, queue, reason, attempts, created_at FROM dead_letters "
            "ORDER BY id DESC LIMIT ?",
            (limit,),
        )
    return [RecentDeadLetter(int(row[0]), row[1], row[2], int(row[3]), row[4]) for row in found]


def sources_of(db: Database, object_ids: Sequence[str]) -> dict[str, list[str]]:
    """The sources that delivered each object (sorted); objects without one are left out."""
    found: dict[str, list[str]] = {}
    with db.read() as tx:
        for part in batched(list(object_ids), IN_BATCH):
            clause = db.in_clause(len(part))
            for object_id, source in tx.fetchall(
                f"SELECT id, source FROM objects WHERE source IS NOT NULL AND id IN {clause} "
                f"UNION SELECT object_id, source FROM object_sources WHERE object_id IN {clause}",
                [*part, *part],
            ):
                found.setdefault(object_id, []).append(source)
    return {object_id: sorted(sources) for object_id, sources in found.items()}


def known_sources(db: Database) -> list[str]:
    """Every source that ever delivered an object."""
    with db.read() as tx:
        return [row[0] for row in tx.fetchall("SELECT source FROM known_sources ORDER BY source")]


#: Where a source's readable name is kept: (table, column holding the source, label expression).
_LABEL_SOURCES = (
    ("ingesters", "source", "UPPER(kind) || ' feed: ' || name"),
    ("taxii_push_ingesters", "source", "'TAXII push: ' || name"),
    ("stream_syncs", "source", "'Live stream: ' || name"),
    ("connectors", "id", "'Connector: ' || name"),
)
_FIXED_LABELS = {PLATFORM: "stixflow (built in)", "import": "Bundle uploads (import)"}


def source_labels(db: Database, sources: Iterable[str]) -> dict[str, str]:
    """A readable name for each source: the feed, connector or stream it stands for."""
    wanted = sorted(set(sources))
    labels = {source: _FIXED_LABELS.get(source, source) for source in wanted}
    with db.read() as tx:
        for part in batched(wanted, IN_BATCH):
            for table, column, label in _LABEL_SOURCES:
                labels.update(
                    tx.fetchall(
                        f"SELECT {column}, {label} FROM {table} "
                        f"WHERE {column} IN {db.in_clause(len(part))}",
                        part,
                    )
                )
    return labels


def user_names(db: Database, user_ids: Iterable[str]) -> dict[str, str]:
    """ "Name <email>" of each known user id."""
    wanted = sorted(set(user_ids))
    found: dict[str, str] = {}
    with db.read() as tx:
        for part in batched(wanted, IN_BATCH):
            for user_id, name, email in tx.fetchall(
                f"SELECT id, name, email FROM users WHERE id IN {db.in_clause(len(part))}", part
            ):
                found[user_id] = f"{name} <{email}>"
    return found
