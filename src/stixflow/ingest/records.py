"""Ingester rows: what a feed is, where its cursor stands, and how healthy it is.

``config`` holds the kind's settings, ``secret`` its credentials (never returned by the API) and
``state`` its cursor, each as JSON; ``secret`` is sealed with the instance's ``SecretBox``.
``source`` names the ingester's queue (``push_<source>``). ``created_by`` is the ingester's owner
(None: made by the local CLI, so administrators' only).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from stixflow.clock import now
from stixflow.crypto import SecretBox
from stixflow.db.base import Database, Row, Tx
from stixflow.errors import Conflict, NotFound

COLUMNS = (
    "id, kind, name, description, source, running, user_id, created_by, import_from, "
    "scheduling_period, config, secret, state, generation, last_run_at, last_success_at, "
    "last_error, last_error_at, last_run_objects, total_objects, last_work_id, buffering, "
    "created_at, updated_at"
)
MAX_ERROR = 2000


@dataclass
class Ingester:
    id: str
    kind: str
    name: str
    description: str
    source: str
    running: bool
    user_id: str | None
    created_by: str | None
    import_from: str | None
    scheduling_period: str
    config: dict[str, Any] = field(default_factory=dict)
    secret: dict[str, Any] = field(default_factory=dict, repr=False)
    state: dict[str, Any] = field(default_factory=dict)
    generation: int = 0
    last_run_at: str | None = None
    last_success_at: str | None = None
    last_error: str | None = None
    last_error_at: str | None = None
    last_run_objects: int = 0
    total_objects: int = 0
    last_work_id: str | None = None
    buffering: bool = False
    created_at: str = ""
    updated_at: str = ""


@dataclass(frozen=True)
class SeenItem:
    """An item a feed already mapped: the name and date its object was first given."""

    key: str
    name: str
    published: str


def new_ingester_id() -> str:
    return str(uuid.uuid4())


def source_of(ingester_id: str) -> str:
    """The stable, unique source name of an ingester; its queue is ``push_<source>``."""
    return f"ingester-{ingester_id}"


def _row_to_ingester(row: Row, box: SecretBox) -> Ingester:
    values = list(row)
    for index in (10, 12):
        values[index] = orjson.loads(values[index] or "{}")
    values[11] = box.open_json(values[11])
    values[5] = bool(values[5])
    values[21] = bool(values[21])
    return Ingester(*values)


def _json(value: dict[str, Any]) -> str:
    return orjson.dumps(value).decode()


class IngesterRecords:
    """SQL access to the ``ingesters`` and ``ingester_items`` tables."""

    def __init__(self, db: Database, box: SecretBox) -> None:
        self.db = db
        self.box = box

    def insert(self, tx: Tx, ingester: Ingester) -> None:
        taken = tx.fetchone(
            "SELECT id FROM ingesters WHERE kind = ? AND name = ?", (ingester.kind, ingester.name)
        )
        if taken is not None:
            raise Conflict(f"a {ingester.kind} ingester named {ingester.name!r} already exists")
        tx.execute(
            f"INSERT INTO ingesters ({COLUMNS}) VALUES ({','.join('?' * 24)})",
            self._values(ingester),
        )

    def save(self, tx: Tx, ingester: Ingester) -> None:
        """Write the settings of an ingester (not its health, see ``record_*``)."""
        taken = tx.fetchone(
            "SELECT id FROM ingesters WHERE kind = ? AND name = ? AND id <> ?",
            (ingester.kind, ingester.name, ingester.id),
        )
        if taken is not None:
            raise Conflict(f"a {ingester.kind} ingester named {ingester.name!r} already exists")
        tx.execute(
            "UPDATE ingesters SET name = ?, description = ?, running = ?, user_id = ?, "
            "import_from = ?, scheduling_period = ?, config = ?, secret = ?, state = ?, "
            "generation = ?, updated_at = ? WHERE id = ?",
            (
                ingester.name,
                ingester.description,
                int(ingester.running),
                ingester.user_id,
                ingester.import_from,
                ingester.scheduling_period,
                _json(ingester.config),
                self.box.seal_json(ingester.secret),
                _json(ingester.state),
                ingester.generation,
                now(),
                ingester.id,
            ),
        )

    def _values(self, ingester: Ingester) -> tuple[Any, ...]:
        return (
            ingester.id,
            ingester.kind,
            ingester.name,
            ingester.description,
            ingester.source,
            int(ingester.running),
            ingester.user_id,
            ingester.created_by,
            ingester.import_from,
            ingester.scheduling_period,
            _json(ingester.config),
            self.box.seal_json(ingester.secret),
            _json(ingester.state),
            ingester.generation,
            ingester.last_run_at,
            ingester.last_success_at,
            ingester.last_error,
            ingester.last_error_at,
            ingester.last_run_objects,
            ingester.total_objects,
            ingester.last_work_id,
            int(ingester.buffering),
            ingester.created_at,
            ingester.updated_at,
        )

    def get(self, ingester_id: str, *, kind: str | None = None) -> Ingester:
        with self.db.read() as tx:
            return self.get_in(tx, ingester_id, kind=kind)

    def get_in(self, tx: Tx, ref: str, *, kind: str | None = None) -> Ingester:
        """An ingester by id or name (of ``kind`` when given)."""
        where, params = "(id = ? OR name = ?)", [ref, ref]
        if kind is not None:
            where, params = where + " AND kind = ?", [*params, kind]
        rows = tx.fetchall(f"SELECT {COLUMNS} FROM ingesters WHERE {where}", params)
        if not rows:
            raise NotFound(f"no {kind or ''} ingester {ref}".replace("  ", " "))
        return _row_to_ingester(rows[0], self.box)

    def list(
        self, *, kind: str | None = None, running_only: bool = False, owner: str | None = None
    ) -> list[Ingester]:
        """Every ingester (of ``kind``; created by ``owner`` when given)."""
        clauses, params = ["1=1"], []
        if kind is not None:
            clauses.append("kind = ?")
            params.append(kind)
        if owner is not None:
            clauses.append("created_by = ?")
            params.append(owner)
        if running_only:
            clauses.append("running = 1")
        with self.db.read() as tx:
            rows = tx.fetchall(
                f"SELECT {COLUMNS} FROM ingesters WHERE {' AND '.join(clauses)} ORDER BY name",
                params,
            )
        return [_row_to_ingester(row, self.box) for row in rows]

    def delete(self, tx: Tx, ingester_id: str) -> None:
        tx.execute("DELETE FROM ingester_items WHERE ingester_id = ?", (ingester_id,))
        tx.execute("DELETE FROM ingesters WHERE id = ?", (ingester_id,))

    # -- health --------------------------------------------------------------------------

    def record_success(
        self, tx: Tx, ingester: Ingester, *, state: dict[str, Any], queued: int, work_id: str | None
    ) -> None:
        """A run that went to the end: its new cursor (unless a reset came meanwhile)."""
        stamp = now()
        tx.execute(
            "UPDATE ingesters SET state = CASE WHEN generation = ? THEN ? ELSE state END, "
            "last_run_at = ?, last_success_at = ?, "
            "last_error = NULL, last_error_at = NULL, last_run_objects = ?, "
            "total_objects = total_objects + ?, last_work_id = COALESCE(?, last_work_id), "
            "buffering = 0 WHERE id = ?",
            (
                ingester.generation,
                _json(state),
                stamp,
                stamp,
                queued,
                queued,
                work_id,
                ingester.id,
            ),
        )

    def record_failure(
        self, ingester_id: str, message: str, *, queued: int, work_id: str | None
    ) -> None:
        """A failed run: the error, and what it queued before failing (its cursor is kept)."""
        stamp = now()
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE ingesters SET last_run_at = ?, last_error = ?, last_error_at = ?, "
                "last_run_objects = ?, total_objects = total_objects + ?, "
                "last_work_id = COALESCE(?, last_work_id), buffering = 0 WHERE id = ?",
                (stamp, _shown(message), stamp, queued, queued, work_id, ingester_id),
            )

    def record_buffering(self, ingester_id: str, buffering: bool) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE ingesters SET buffering = ? WHERE id = ?", (int(buffering), ingester_id)
            )

    # -- items seen (RSS) ----------------------------------------------------------------

    def seen_items(self, ingester_id: str, keys: Sequence[str]) -> dict[str, tuple[SeenItem, int]]:
        """The items among ``keys`` already mapped, with the generation they were last sent in."""
        found: dict[str, tuple[SeenItem, int]] = {}
        with self.db.read() as tx:
            for start in range(0, len(keys), 500):
                part = list(keys[start : start + 500])
                rows = tx.fetchall(
                    "SELECT item_key, name, published, generation FROM ingester_items "
                    "WHERE ingester_id = ? AND item_key IN " + self.db.in_clause(len(part)),
                    [ingester_id, *part],
                )
                for key, name, published, generation in rows:
                    found[key] = (SeenItem(key, name, published), int(generation))
        return found

    def mark_seen(
        self, tx: Tx, ingester_id: str, items: Sequence[SeenItem], generation: int
    ) -> None:
        stamp = now()
        tx.executemany(
            "INSERT INTO ingester_items (ingester_id, item_key, name, published, generation, "
            "first_seen) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (ingester_id, item_key) "
            "DO UPDATE SET generation = excluded.generation",
            [(ingester_id, i.key, i.name, i.published, generation, stamp) for i in items],
        )


def _shown(message: str) -> str:
    """An error as stored: cut to ``MAX_ERROR``, NUL characters (which a remote may send, and
    no back end stores) shown as ``\\0``."""
    return message[:MAX_ERROR].replace("\x00", "\\0")
