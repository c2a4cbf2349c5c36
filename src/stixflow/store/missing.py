"""References to objects the store does not hold (yet), and their late resolution.

A bundle may reference an object that arrives later, possibly under another id: a relationship
to ``malware--X`` comes first, then ``malware--X`` itself, which the submitter re-identifies to
its name-based id ``malware--Y`` (``stixflow.stix.ids``) and records ``X`` as an alias of ``Y``.
Resolving the alias on read would leave every read path (API, relationships, export, TAXII,
live streams) to do it; instead the stored reference is rewritten once:

* when an object is written, each top-level reference (``*_ref``, ``*_refs``, granular marking
  refs: ``prepared.top_level_refs``) that names no stored object is recorded in
  ``object_missing_refs`` (built-in TLP markings are known to every reader and never counted);
* when an object is written under an id, or an alias is recorded, the objects whose references
  were missing under that id are rewritten to the canonical id (a new version of the row and an
  ``update`` event for live streams), and their missing rows are removed.

``missing_refs`` reports what is still missing to a reader (``/api/references/missing``, the
objects page of the web UI); each write's missing references are a warning on its work.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from stixflow.db.base import Database, Tx, batched
from stixflow.stix.bundle import is_identifier, rewrite_refs
from stixflow.stix.markings import TLP_NAME_BY_ID
from stixflow.stix.repair import WARNING
from stixflow.store import compact, events, rows
from stixflow.store.base import Access, MissingRef, Provenance, StixObject
from stixflow.store.prepared import top_level_refs
from stixflow.store.visibility import visible_clause

IN_BATCH = 500
#: Ids every reader knows without the store holding them (documented in docs/pipeline.md).
EXTERNAL_IDS: frozenset[str] = frozenset(TLP_NAME_BY_ID)


class MissingRefs:
    """The ``object_missing_refs`` table, kept by ``SQLStore.upsert``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def record(
        self, tx: Tx, objects: Sequence[StixObject]
    ) -> tuple[list[MissingRef], dict[str, str]]:
        """Replace the missing references of ``objects`` (as just written).

        Returns them, and the aliases among them (old id -> canonical id: an alias recorded by
        a concurrent writer after these objects' references were resolved), which ``resolve``
        rewrites. The candidates are locked before the alias check, so a writer recording that
        alias either committed before (seen here) or sees these rows after.
        """
        wanted = {
            ref for obj in objects for ref in top_level_refs(obj) if is_identifier(ref)
        } - EXTERNAL_IDS
        candidates = wanted - self._held(tx, wanted)
        late: dict[str, str] = {}
        if candidates:
            tx.lock_keys(sorted(candidates))
            candidates -= self._held(tx, candidates)
            late = self._aliases(tx, candidates)
        ids = [obj["id"] for obj in objects]
        for part in batched(ids, IN_BATCH):
            tx.execute(
                "DELETE FROM object_missing_refs WHERE object_id IN "
                + self.db.in_clause(len(part)),
                part,
            )
        found = [
            MissingRef(obj["id"], ref)
            for obj in objects
            for ref in dict.fromkeys(top_level_refs(obj))
            if ref in candidates
        ]
        tx.executemany(
            "INSERT INTO object_missing_refs (object_id, ref_id) VALUES (?, ?) "
            "ON CONFLICT DO NOTHING",
            [(item.object_id, item.ref_id) for item in found],
        )
        return [item for item in found if item.ref_id not in late], late

    def resolve(
        self,
        tx: Tx,
        *,
        arrived: Iterable[str],
        aliases: Mapping[str, str],
        provenance: Provenance,
    ) -> int:
        """Objects whose missing references are now held (``arrived`` ids) stop counting them;
        those that referenced an alias (``aliases``: old id -> canonical id) are rewritten to
        the canonical id. Returns the number of objects rewritten."""
        keys = sorted(set(arrived) | set(aliases))
        tx.lock_keys(sorted(aliases))
        waiting: dict[str, set[str]] = {}
        for part in batched(keys, IN_BATCH):
            for object_id, ref_id in tx.fetchall(
                "SELECT object_id, ref_id FROM object_missing_refs WHERE ref_id IN "
                + self.db.in_clause(len(part)),
                part,
            ):
                waiting.setdefault(object_id, set()).add(ref_id)
        if not waiting:
            return 0
        rewritten = self._rewrite(tx, waiting, aliases, provenance)
        tx.executemany(
            "DELETE FROM object_missing_refs WHERE object_id = ? AND ref_id = ?",
            [(object_id, ref) for object_id, refs in waiting.items() for ref in refs],
        )
        return rewritten

    def _rewrite(
        self,
        tx: Tx,
        waiting: Mapping[str, set[str]],
        aliases: Mapping[str, str],
        provenance: Provenance,
    ) -> int:
        to_rewrite = sorted(oid for oid, refs in waiting.items() if refs & aliases.keys())
        if not to_rewrite:
            return 0
        tx.lock_keys(to_rewrite)
        log: list[events.PendingEvent] = []
        writes: list[rows.Write] = []
        replaced: list[tuple[str, bytes]] = []
        for part in batched(to_rewrite, IN_BATCH):
            for *body, first_seen in tx.fetchall(
                f"SELECT {rows.body_columns('o')}, o.first_seen FROM objects o WHERE o.id IN "
                + self.db.in_clause(len(part)),
                part,
            ):
                old = rows.load(body)
                object_id = old["id"]
                id_map = {ref: aliases[ref] for ref in waiting[object_id] if ref in aliases}
                new = rewrite_refs(old, id_map)
                if new == old:
                    continue
                row = rows.object_row(new, first_seen, provenance.seen_at)
                writes.append((row, new, rows.KEEP_ORIGIN))
                replaced.append((object_id, compact.dump(old)))
                patch = events.top_level_patch(old, new)
                log.append(events.PendingEvent(events.UPDATE, new, patch, payload=events.IN_ROW))
        events.keep_history(tx, replaced)
        tx.executemany(rows.UPSERT_OBJECT, rows.with_sets(tx, self.db.in_clause, writes))
        events.append(tx, log, provenance)
        return len(writes)

    def _held(self, tx: Tx, ids: set[str]) -> set[str]:
        held: set[str] = set()
        for part in batched(sorted(ids), IN_BATCH):
            clause = self.db.in_clause(len(part))
            found = tx.fetchall(f"SELECT id FROM objects WHERE id IN {clause}", part)
            held.update(row[0] for row in found)
        return held

    def _aliases(self, tx: Tx, ids: set[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for part in batched(sorted(ids), IN_BATCH):
            clause = self.db.in_clause(len(part))
            found.update(
                tx.fetchall(
                    f"SELECT alias_id, object_id FROM object_aliases WHERE alias_id IN {clause}",
                    part,
                )
            )
        return found


def missing_refs(db: Database, access: Access, *, limit: int = 100) -> tuple[int, list[MissingRef]]:
    """(how many references of the objects ``access`` may see name no held object, the first
    ``limit`` of them by object id)."""
    visible, params = visible_clause(access)
    joined = f"FROM object_missing_refs m JOIN objects o ON o.id = m.object_id WHERE {visible}"
    with db.read() as tx:
        count = int(tx.scalar(f"SELECT COUNT(*) {joined}", params))
        found = tx.fetchall(
            f"SELECT m.object_id, m.ref_id {joined} ORDER BY m.object_id, m.ref_id LIMIT ?",
            [*params, limit],
        )
    return count, [MissingRef(object_id, ref_id) for object_id, ref_id in found]


def missing_note(found: Sequence[MissingRef]) -> str:
    """The note a work records for the references of one write that name no held object."""
    shown = ", ".join(sorted({item.ref_id for item in found})[:5])
    more = len({item.ref_id for item in found}) - 5
    tail = f" and {more} more" if more > 0 else ""
    return (
        f"{WARNING}{len(found)} reference(s) to objects not held yet ({shown}{tail}); "
        "they are linked when those objects arrive"
    )
