"""What a collection holds for one reader: objects, manifest and versions (TAXII 2.1 §5.3-5.7).

The current version of every object is in the store; when it was added and every earlier version
are in the event log (``stixflow.store.events``). An object's ``date_added`` is the time of its
latest create/update event, and pages are ordered by that event's sequence number, so ``next`` is
the last sequence number served: a page never repeats or skips an object, even while writers go
on. Older versions (``match[version]=all|first|<timestamp>``) are rebuilt from the log, one
version per distinct ``modified``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stixflow.db.base import Database, Tx
from stixflow.errors import InvalidInput
from stixflow.stix.timestamps import sort_key, to_millis
from stixflow.store import events, rows
from stixflow.store.base import Access, StixObject
from stixflow.store.visibility import readable, visible_clause
from stixflow.taxii.filters import ObjectFilter

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
LATEST = (
    "NOT EXISTS (SELECT 1 FROM stream_events l WHERE l.object_id = e.object_id AND l.seq > e.seq)"
)


@dataclass(frozen=True)
class Match:
    """The ``match[...]`` query parameters (TAXII 2.1 §3.4.1); each value list is OR-ed."""

    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    versions: tuple[str, ...] = ("last",)
    spec_versions: tuple[str, ...] = ()

    @property
    def last_only(self) -> bool:
        return self.versions == ("last",)


@dataclass
class Entry:
    """One version of one object, with when it was added to the collection."""

    obj: StixObject
    date_added: str

    @property
    def version(self) -> str:
        return str(self.obj.get("modified") or self.obj.get("created") or self.date_added)


@dataclass
class Page:
    entries: list[Entry]
    more: bool
    next: str | None


def taxii_time(stamp: str) -> str:
    """A store timestamp (millisecond) in TAXII's microsecond form."""
    return stamp[:-1] + "000Z" if len(stamp) == 24 else stamp


def parse_added_after(value: str | None) -> str | None:
    if value is None:
        return None
    stamp = to_millis(value.strip())
    if stamp is None:
        raise InvalidInput(f"added_after is not a timestamp: {value!r}")
    return stamp


def parse_next(value: str | None) -> int:
    if not value:
        return 0
    if not value.isdigit():
        raise InvalidInput(f"unknown next token {value!r}")
    return int(value)


class CollectionReader:
    """Reads one collection (its filter) as one reader (their markings)."""

    def __init__(self, db: Database, filters: ObjectFilter, access: Access) -> None:
        self.db = db
        self.filters = filters
        self.access = access
        self.object_filter = filters.model_copy(update={"sources": []})

    def page(
        self,
        match: Match,
        *,
        added_after: str | None = None,
        limit: int = DEFAULT_LIMIT,
        after: int = 0,
    ) -> Page:
        """Objects added after ``after`` (a ``next`` token), oldest first."""
        limit = max(1, min(limit, MAX_LIMIT))
        where, params = self._where(match, added_after)
        with self.db.read() as tx:
            found = tx.fetchall(
                f"SELECT e.seq, e.created_at, {rows.body_columns('o')} FROM stream_events e "
                "JOIN objects o ON o.id = e.object_id "
                f"WHERE e.seq > ? AND e.kind <> 'delete' AND {LATEST} AND {where} "
                "ORDER BY e.seq LIMIT ?",
                [after, *params, limit + 1],
            )
            head = found[:limit]
            entries = self._entries(tx, head, match, added_after)
        more = len(found) > limit
        return Page(entries, more, str(head[-1][0]) if more else None)

    def one(self, object_id: str, match: Match, *, added_after: str | None = None) -> list[Entry]:
        """The versions of one object of the collection (empty: not there or not visible)."""
        scoped = Match(ids=(object_id,), versions=match.versions, spec_versions=match.spec_versions)
        where, params = self._where(scoped, added_after)
        with self.db.read() as tx:
            found = tx.fetchall(
                f"SELECT e.seq, e.created_at, {rows.body_columns('o')} FROM stream_events e "
                "JOIN objects o ON o.id = e.object_id "
                f"WHERE e.kind <> 'delete' AND {LATEST} AND {where}",
                params,
            )
            return self._entries(tx, found, scoped, added_after)

    def _where(self, match: Match, added_after: str | None) -> tuple[str, list[Any]]:
        visible_sql, params = visible_clause(self.access)
        clauses = [visible_sql]
        filter_sql, filter_params = self.filters.sql(self.db.in_clause)
        clauses.append(filter_sql)
        params = [*params, *filter_params]
        for column, values in (
            ("o.id", match.ids),
            ("o.type", match.types),
            ("o.spec_version", match.spec_versions),
        ):
            if values:
                clauses.append(f"{column} IN {self.db.in_clause(len(values))}")
                params.extend(values)
        if added_after is not None:
            clauses.append("e.created_at > ?")
            params.append(added_after)
        return " AND ".join(clauses), params

    def _entries(
        self, tx: Tx, found: list[Any], match: Match, added_after: str | None
    ) -> list[Entry]:
        if match.last_only:
            entries = [Entry(rows.load(body), taxii_time(added)) for _, added, *body in found]
            return self._readable(entries)
        entries = []
        for _, _, *body in found:
            history = history_of(tx, body[rows.ID_AT])
            chosen = select_versions(history, match.versions)
            entries.extend(
                entry
                for entry in chosen
                if added_after is None or entry.date_added > taxii_time(added_after)
            )
        return self._readable(entries)

    def _readable(self, entries: list[Entry]) -> list[Entry]:
        """Each version cut to what the reader may see of it (``visibility.readable``); a
        version hidden from them, or left out of the collection's filter once cut, goes."""
        kept: list[Entry] = []
        for entry in entries:
            obj = readable(entry.obj, self.access)
            if obj is not None and (obj is entry.obj or self.object_filter.matches(obj)):
                kept.append(Entry(obj, entry.date_added))
        return kept


def history_of(tx: Tx, object_id: str) -> list[Entry]:
    """Every version of an object since it was last (re)created, oldest first: one per distinct
    ``modified``, with the data last written for it and the time it was first added."""
    found = tx.fetchall(
        f"SELECT e.kind, e.created_at, {events.PAYLOAD} FROM {events.FROM} "
        "WHERE e.object_id = ? ORDER BY e.seq",
        (object_id,),
    )
    versions: dict[str, Entry] = {}
    for kind, added, *payload in found:
        if kind == "delete":
            versions.clear()
            continue
        obj = events.payload_of(payload)
        key = str(obj.get("modified") or obj.get("created") or added)
        first = versions[key].date_added if key in versions else taxii_time(added)
        versions[key] = Entry(obj, first)
    return sorted(versions.values(), key=lambda entry: sort_key(entry.version))


def select_versions(history: list[Entry], wanted: tuple[str, ...]) -> list[Entry]:
    if not history or "all" in wanted:
        return history
    chosen: dict[str, Entry] = {}
    for value in wanted:
        if value == "last":
            chosen[history[-1].version] = history[-1]
        elif value == "first":
            chosen[history[0].version] = history[0]
        else:
            target = to_millis(value)
            chosen.update((e.version, e) for e in history if to_millis(e.version) == target)
    return sorted(chosen.values(), key=lambda entry: sort_key(entry.version))
