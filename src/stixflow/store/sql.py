"""SQLStore: the knowledge store over any ``stixflow.db`` database (SQLite or PostgreSQL).

Upsert rules (STIX 2.1 §3.6 versioning; merge rules in ``stixflow.stix.merge``): the same id is
one object; writers on the same ids are serialised (``Tx.lock_keys``) so concurrent workers never
lose an update; known aliases are resolved before writing so that an object pushed again under its
original id lands on the same row. An object named ``enriched`` (an enrichment connector's answer
about the object it was asked to enrich) wins ties: on equal ``modified`` its scalars replace the
stored ones, and when that changes the object, the result is a new version (``modified`` = the
time of the write), as OpenCTI's upsert updates an object with what its enrichment found.

A ``writer`` may not change a stored object it cannot read whole (a marking, or a granular
marking, outside its allowed set): that object is refused and left as it is, the others are written.

Reads are cut to the reader (``visibility``): the SQL filter hides what they may not see, and
every object returned is redacted of the parts granular markings hide from them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any, NamedTuple

from stixflow.clock import now
from stixflow.db.base import Database, Tx, batched
from stixflow.stix.bundle import rewrite_refs
from stixflow.stix.merge import merge
from stixflow.stix.timestamps import sort_key
from stixflow.stix.twins import conflicting, twin_id
from stixflow.store import compact, events, marking_sets, rows, search
from stixflow.store.base import (
    Access,
    ObjectQuery,
    Page,
    Provenance,
    StixObject,
    StoredObject,
    WriteResult,
)
from stixflow.store.missing import MissingRefs
from stixflow.store.prepared import PreparedWrite, top_level_refs
from stixflow.store.visibility import readable, readable_all, sees_whole, visible_clause

IN_BATCH = 500
MAX_LIMIT = 1000


class Held(NamedTuple):
    """What a write reads of a stored object's row (``obj``: its object, ``rows.load``)."""

    obj: StixObject
    first_seen: str
    source: str | None
    creator: str | None


class SQLStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.missing = MissingRefs(db)

    # -- writing -------------------------------------------------------------------------

    def upsert(
        self,
        tx: Tx,
        objects: Sequence[StixObject],
        *,
        provenance: Provenance,
        aliases: Mapping[str, str] | None = None,
        overwrite: bool = False,
        prepared: PreparedWrite | None = None,
        writer: Access | None = None,
        enriched: Collection[str] = (),
    ) -> WriteResult:
        """Write ``objects``; each merges with its stored version, or replaces it (``overwrite``,
        perfect synchronisation: the incoming version is kept exactly as it is). ``enriched``:
        ids whose incoming copy is an enrichment's result (it wins on equal ``modified``).

        ``prepared`` (built from the same ``objects`` before the transaction) saves serialising
        new objects while the write lock is held; the result is the same without it.
        ``writer``: what the writer may read (None: everything); an object whose stored version
        it cannot read whole is refused (``WriteResult.refused``) and nothing of it is written.
        """
        aliases = dict(aliases or {})
        if prepared is not None and not prepared.covers(objects):
            prepared = None
        given = [obj["id"] for obj in objects]
        objects = self._apply_known_aliases(tx, objects, aliases, prepared)
        incoming = _combine(objects)
        tx.lock_keys(list(incoming))
        existing = self._load(tx, list(incoming))
        moved = {} if overwrite else _twins_to_move(incoming, existing)
        if moved:  # twins of held objects get their own id (stix.twins), never merged
            incoming = {
                moved.get(k, k): _with_id(obj, moved.get(k, k)) for k, obj in incoming.items()
            }
            tx.lock_keys(list(moved.values()))
            existing.update(self._load(tx, list(moved.values())))
            aliases = {old: moved.get(new, new) for old, new in aliases.items()}
        refused = _unreadable(existing, writer)
        pairs = zip(given, objects, strict=True)
        result = WriteResult(refused=[given_id for given_id, obj in pairs if obj["id"] in refused])
        incoming = {key: obj for key, obj in incoming.items() if key not in refused}
        aliases = {old: new for old, new in aliases.items() if new not in refused}
        ids = list(incoming)
        now = provenance.seen_at
        writes: list[rows.Write] = []
        touched: list[str] = []
        changed: list[StixObject] = []
        log: list[events.PendingEvent] = []
        replaced: list[tuple[str, bytes]] = []
        origin = (provenance.source, provenance.user_id)
        for object_id, obj in incoming.items():
            if object_id not in existing:
                result.created += 1
                writes.append((_new_row(obj, now, prepared), obj, origin))
                log.append(events.PendingEvent(events.CREATE, obj, payload=events.IN_ROW))
                changed.append(obj)
                continue
            old, first_seen = existing[object_id].obj, existing[object_id].first_seen
            merged = obj if overwrite else merge(old, obj, incoming_wins_ties=object_id in enriched)
            if object_id in enriched and merged != old:
                merged = _new_version(merged, old, now)
            if merged == old:
                result.unchanged += 1
                touched.append(object_id)
            else:
                result.updated += 1
                row = rows.object_row(merged, first_seen, now)
                writes.append((row, merged, rows.KEEP_ORIGIN))
                replaced.append((object_id, compact.dump(old)))
                changed.append(merged)
                patch = events.top_level_patch(old, merged)
                log.append(events.PendingEvent(events.UPDATE, merged, patch, payload=events.IN_ROW))
        events.keep_history(tx, replaced)
        tx.executemany(rows.UPSERT_OBJECT, rows.with_sets(tx, self.db.in_clause, writes))
        tx.executemany(rows.TOUCH_OBJECT, [(now, object_id) for object_id in touched])
        self._write_aliases(tx, aliases)
        self._write_provenance(tx, {i: existing[i] for i in ids if i in existing}, provenance)
        events.append(tx, log, provenance)
        result.missing, late = self.missing.record(tx, changed)
        result.relinked = self.missing.resolve(
            tx, arrived=ids, aliases={**aliases, **late}, provenance=provenance
        )
        return result

    def _apply_known_aliases(
        self,
        tx: Tx,
        objects: Sequence[StixObject],
        aliases: dict[str, str],
        prepared: PreparedWrite | None,
    ) -> list[StixObject]:
        if prepared is not None:
            wanted = prepared.wanted
        else:
            wanted = set()
            for obj in objects:
                wanted.add(obj["id"])
                wanted.update(top_level_refs(obj))
        known = self._resolve(tx, wanted - aliases.keys())
        if not known:
            return list(objects)
        aliases.update({old: new for old, new in known.items() if old != new})
        remapped = []
        for obj in objects:
            obj = rewrite_refs(obj, known)
            if obj["id"] in known:
                obj = {**obj, "id": known[obj["id"]]}
            remapped.append(obj)
        return remapped

    def _resolve(self, tx: Tx, ids: Iterable[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for part in batched(sorted(ids), IN_BATCH):
            found.update(
                tx.fetchall(
                    "SELECT alias_id, object_id FROM object_aliases WHERE alias_id IN "
                    + self.db.in_clause(len(part)),
                    part,
                )
            )
        return found

    def _load(self, tx: Tx, ids: Sequence[str]) -> dict[str, Held]:
        found: dict[str, Held] = {}
        for part in batched(ids, IN_BATCH):
            for *body, first_seen, source, creator in tx.fetchall(
                f"SELECT {rows.body_columns('o')}, o.first_seen, o.source, o.creator "
                f"FROM objects o WHERE o.id IN {self.db.in_clause(len(part))}",
                part,
            ):
                obj = rows.load(body)
                found[obj["id"]] = Held(obj, first_seen, source, creator)
        return found

    def _write_aliases(self, tx: Tx, aliases: Mapping[str, str]) -> None:
        tx.executemany(
            "INSERT INTO object_aliases (alias_id, object_id) VALUES (?, ?) "
            "ON CONFLICT (alias_id) DO NOTHING",
            [(old, new) for old, new in aliases.items() if old != new],
        )

    def _write_provenance(
        self, tx: Tx, existed: Mapping[str, Held], provenance: Provenance
    ) -> None:
        """Side rows for the objects that were already held (``existed``) when another source
        or user than the one that created them brings them again; a new object's source and
        user are in its own row (``rows.ORIGIN_COLUMNS``)."""
        now = provenance.seen_at
        if provenance.source:
            tx.execute(
                "INSERT INTO known_sources (source, first_seen) VALUES (?, ?) "
                "ON CONFLICT (source) DO NOTHING",
                (provenance.source, now),
            )
            tx.executemany(
                "INSERT INTO object_sources (object_id, source, first_seen, last_seen) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (object_id, source) "
                "DO UPDATE SET last_seen = excluded.last_seen",
                [
                    (object_id, provenance.source, now, now)
                    for object_id, held in existed.items()
                    if held.source != provenance.source
                ],
            )
        if provenance.user_id:
            tx.executemany(
                "INSERT INTO object_creators (object_id, user_id, first_seen) VALUES (?, ?, ?) "
                "ON CONFLICT (object_id, user_id) DO NOTHING",
                [
                    (object_id, provenance.user_id, now)
                    for object_id, held in existed.items()
                    if held.creator != provenance.user_id
                ],
            )

    def delete(
        self,
        object_id: str,
        *,
        provenance: Provenance | None = None,
        writer: Access | None = None,
    ) -> bool:
        """Delete an object (by id or alias) and its side rows; log a delete event."""
        provenance = provenance or Provenance(seen_at=now())
        with self.db.transaction() as tx:
            return self.delete_in(tx, object_id, provenance=provenance, writer=writer)

    def delete_in(
        self,
        tx: Tx,
        object_id: str,
        *,
        provenance: Provenance,
        keep_shared: bool = False,
        writer: Access | None = None,
    ) -> bool:
        """``delete`` in the caller's transaction. With ``keep_shared``, an object that another
        source than ``provenance.source`` also contributed is kept, only unlinked from it. An
        object ``writer`` cannot read whole is kept (False), like one that is not there."""
        object_id = self._resolve(tx, [object_id]).get(object_id, object_id)
        tx.lock_keys([object_id])
        held = self._load(tx, [object_id])
        if not held or _unreadable(held, writer):
            return False
        obj, origin = held[object_id].obj, held[object_id].source
        if keep_shared and _shared(tx, object_id, provenance.source, origin):
            tx.execute(
                "DELETE FROM object_sources WHERE object_id = ? AND source = ?",
                (object_id, provenance.source),
            )
            tx.execute(
                "UPDATE objects SET source = NULL WHERE id = ? AND source = ?",
                (object_id, provenance.source),
            )
            return False
        whole = compact.dump(obj)  # the version the log keeps, and the deletion's payload
        events.keep_history(tx, [(object_id, whole)])
        tx.execute("DELETE FROM objects WHERE id = ?", (object_id,))
        for table in (
            "object_sources",
            "object_creators",
            "object_aliases",
            "object_missing_refs",
        ):
            tx.execute(f"DELETE FROM {table} WHERE object_id = ?", (object_id,))
        gone = events.PendingEvent(events.DELETE, obj, payload=whole)
        events.append(tx, [gone], provenance)
        return True

    # -- reading -------------------------------------------------------------------------

    def get(self, object_id: str, *, access: Access) -> StoredObject | None:
        visible, params = visible_clause(access)
        with self.db.read() as tx:
            object_id = self._resolve(tx, [object_id]).get(object_id, object_id)
            row = tx.fetchone(
                f"SELECT o.first_seen, o.last_seen, o.source, o.creator, "
                f"{rows.body_columns('o')} FROM objects o WHERE o.id = ? AND {visible}",
                [object_id, *params],
            )
            data = readable(rows.load(row[4:]), access) if row is not None else None
            if row is None or data is None:
                return None
            return StoredObject(
                data=data,
                first_seen=row[0],
                last_seen=row[1],
                sources=_column(tx, "SELECT source FROM object_sources", object_id, row[2]),
                creators=_column(tx, "SELECT user_id FROM object_creators", object_id, row[3]),
                aliases=_column(tx, "SELECT alias_id FROM object_aliases", object_id),
                missing_refs=_column(tx, "SELECT ref_id FROM object_missing_refs", object_id),
            )

    def held(self, ids: Sequence[str]) -> dict[str, StixObject]:
        """The stored objects among ``ids``, unfiltered: for the submitter's id decisions
        (twins, ``stixflow.stix.twins``), never shown to a reader."""
        with self.db.read() as tx:
            found = self._load(tx, ids)
        return {object_id: held.obj for object_id, held in found.items()}

    def query(self, query: ObjectQuery, *, access: Access) -> Page:
        """A page of objects in id order; with ``text``, ranked (``store.search``) then by id."""
        if query.text:
            return self._search(query, query.text, access)
        where, params = self._where(query, access)
        limit = max(1, min(query.limit, MAX_LIMIT))
        with self.db.read() as tx:
            found = tx.fetchall(
                f"SELECT {rows.body_columns('o')} FROM objects o WHERE {where} "
                "ORDER BY o.id LIMIT ?",
                [*params, limit + 1],
            )
        page = _readable_page([rows.load(body) for body in found[:limit]], query, access)
        next_cursor = found[limit - 1][rows.ID_AT] if len(found) > limit else None
        return Page(objects=page, next_cursor=next_cursor)

    def _search(self, query: ObjectQuery, text: str, access: Access) -> Page:
        where, params = self._where(replace(query, cursor=None), access)
        after = search.Cursor.parse(query.cursor) if query.cursor else None
        limit = max(1, min(query.limit, MAX_LIMIT))
        with self.db.read() as tx:
            # ids only through the ranking, bodies for the page alone
            found = search.ranked(tx, where, params, text, after=after, count=limit + 1)
            ids = [object_id for object_id, _ in found[:limit]]
            bodies = self._load(tx, ids)
        page = _readable_page([bodies[i].obj for i in ids if i in bodies], query, access)
        last = found[limit - 1] if len(found) > limit else None
        next_cursor = str(search.Cursor(last[1], last[0])) if last else None
        return Page(objects=page, next_cursor=next_cursor)

    def _where(self, query: ObjectQuery, access: Access) -> tuple[str, list[Any]]:
        clauses, params = [], []
        visible, visible_params = visible_clause(access)
        clauses.append(visible)
        params.extend(visible_params)
        for clause, values in _filters(query, self.db):
            clauses.append(clause)
            params.extend(values)
        if query.text:
            clause, values = search.text_clause(self.db.dialect, query.text)
            clauses.append(clause)
            params.extend(values)
        return " AND ".join(clauses), params

    def relationships(self, object_id: str, *, access: Access) -> list[StixObject]:
        visible, params = visible_clause(access)
        with self.db.read() as tx:
            object_id = self._resolve(tx, [object_id]).get(object_id, object_id)
            found = tx.fetchall(
                f"SELECT {rows.body_columns('o')} FROM objects o "
                f"WHERE (o.source_ref = ? OR o.target_ref = ?) AND {visible} ORDER BY o.id",
                [object_id, object_id, *params],
            )
        return readable_all((rows.load(body) for body in found), access)

    def count_by_type(self, *, access: Access) -> dict[str, int]:
        visible, params = visible_clause(access)
        # SQLite has no index on type (migration 0019): the type is the id's head
        kind = "substr(o.id, 1, instr(o.id, '--') - 1)" if self.db.dialect == "sqlite" else "o.type"
        with self.db.read() as tx:
            found = tx.fetchall(
                f"SELECT {kind}, COUNT(*) FROM objects o WHERE {visible} GROUP BY 1", params
            )
        return {object_type: int(count) for object_type, count in found}


def _twins_to_move(
    incoming: Mapping[str, StixObject], existing: Mapping[str, Held]
) -> dict[str, str]:
    """Incoming id -> twin id, for incoming objects whose held version is a twin (different
    authoritative external ids: ``stix.twins``) that reached the store under the same id
    (a connector's single-object message; bundles are separated by the submitter)."""
    moved: dict[str, str] = {}
    for object_id, obj in incoming.items():
        if object_id not in existing:
            continue
        if conflicting(existing[object_id].obj, obj):
            twin = twin_id(obj)
            if twin is not None and twin != object_id:
                moved[object_id] = twin
    return moved


def _new_version(merged: StixObject, old: StixObject, now: str) -> StixObject:
    """``merged`` (an enrichment changed ``old``) as a version of its own: when its ``modified``
    is still the stored one, the time of the write (objects without ``modified`` keep none)."""
    modified = old.get("modified")
    if not isinstance(modified, str) or merged.get("modified") != modified:
        return merged
    if sort_key(now) <= sort_key(modified):  # a stored version dated in the future stays last
        return merged
    return {**merged, "modified": now}


def _with_id(obj: StixObject, object_id: str) -> StixObject:
    return obj if obj["id"] == object_id else {**obj, "id": object_id}


def _combine(objects: Sequence[StixObject]) -> dict[str, StixObject]:
    """One object per id: versions repeated inside a batch are merged first."""
    combined: dict[str, StixObject] = {}
    for obj in objects:
        object_id = obj["id"]
        combined[object_id] = merge(combined[object_id], obj) if object_id in combined else obj
    return combined


def _new_row(obj: StixObject, now: str, prepared: PreparedWrite | None) -> tuple[Any, ...]:
    """A new object's row (prepared before the lock when possible)."""
    ready = prepared.created(obj, now) if prepared is not None else None
    if ready is not None:
        return ready.row
    return rows.object_row(obj, now, now)


def _unreadable(existing: Mapping[str, Held], writer: Access | None) -> set[str]:
    """Stored objects ``writer`` may not read whole, so may not change."""
    if writer is None or writer.allowed_markings is None:
        return set()
    return {object_id for object_id, held in existing.items() if not sees_whole(held.obj, writer)}


def _still_matches(obj: StixObject, query: ObjectQuery) -> bool:
    """The text and author filters hold for what the reader sees of a cut object, not for a
    part cut from it (else a search would tell whether a hidden description holds a word)."""
    if query.text and query.text.lower() not in (rows.search_text(obj) or ""):
        return False
    return not (query.author and obj.get("created_by_ref") != query.author)


def _readable_page(
    found: Iterable[StixObject], query: ObjectQuery, access: Access
) -> list[StixObject]:
    page = []
    for stored in found:
        seen = readable(stored, access)
        if seen is not None and (seen is stored or _still_matches(seen, query)):
            page.append(seen)
    return page


def _column(tx: Tx, select: str, object_id: str, origin: str | None = None) -> list[str]:
    """The values of a side table for one object, with ``origin`` (the one its row holds:
    ``rows.ORIGIN_COLUMNS``) when given."""
    found = {row[0] for row in tx.fetchall(f"{select} WHERE object_id = ?", (object_id,))}
    return sorted(found | {origin} if origin is not None else found)


def _shared(tx: Tx, object_id: str, source: str | None, origin: str | None) -> bool:
    """Another source than ``source`` brought the object too (``origin``: its creating one)."""
    sources = _column(tx, "SELECT source FROM object_sources", object_id, origin)
    return bool(set(sources) - {source})


def _filters(query: ObjectQuery, db: Database) -> list[tuple[str, list[Any]]]:
    found: list[tuple[str, list[Any]]] = []
    in_clause = db.in_clause
    if query.types:
        found.append(type_clause(db, query.types))
    if query.ids:
        found.append((f"o.id IN {in_clause(len(query.ids))}", list(query.ids)))
    if query.author:
        found.append(("o.created_by_ref = ?", [query.author]))
    if query.modified_after:
        found.append(("o.modified > ?", [query.modified_after]))
    if query.modified_before:
        found.append(("o.modified < ?", [query.modified_before]))
    if query.cursor:
        found.append(("o.id > ?", [query.cursor]))
    if query.marking:
        sets, params = marking_sets.holding([query.marking])
        found.append((f"o.marking_set IN ({sets})", params))
    if query.source:
        found.append((rows.origin_in("o", "source", in_clause(1)), [query.source] * 2))
    if query.creator:
        found.append((rows.origin_in("o", "creator", in_clause(1)), [query.creator] * 2))
    return found


def type_clause(db: Database, types: Sequence[str]) -> tuple[str, list[Any]]:
    """Objects of ``types``. Where ids compare as bytes (SQLite; PostgreSQL with a ``C``
    collation: ``Database.ids_in_byte_order``), an id starts with its type
    (``attack-pattern--…``) and each type is a range of the primary key, ``--`` to ``-.``
    holding exactly the ids ``<type>--…`` (no index on ``type``: migrations 0019, 0023)."""
    if not db.ids_in_byte_order():
        return f"o.type IN {db.in_clause(len(types))}", list(types)
    ranges = " OR ".join("(o.id >= ? AND o.id < ?)" for _ in types)
    return f"({ranges})", [bound for kind in types for bound in (f"{kind}--", f"{kind}-.")]
