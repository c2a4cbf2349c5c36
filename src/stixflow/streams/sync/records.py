"""Synchroniser rows (``stream_syncs``): settings, checkpoint and health.

The token of the remote user is kept in the database, sealed with the instance's ``SecretBox``
(never returned by the API). ``created_by`` is the synchroniser's owner. The
checkpoint is ``last_event_id``, saved after each queued batch; a restart of either side resumes
from it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from stixflow.clock import now
from stixflow.crypto import SecretBox
from stixflow.db.base import Database, Row, Tx
from stixflow.errors import Conflict, NotFound

COLUMNS = (
    "id, name, description, source, uri, token, stream_id, user_id, running, starting_date, "
    "listen_deletion, no_dependencies, ssl_verify, synchronized, last_event_id, last_event_at, "
    "events_received, connected, last_error, last_error_at, last_work_id, created_by, "
    "created_at, updated_at"
)
BOOLEANS = (8, 10, 11, 12, 13, 17)
MAX_ERROR = 2000


@dataclass
class Sync:
    id: str
    name: str
    description: str
    source: str
    uri: str
    token: str = field(repr=False)
    stream_id: str
    user_id: str | None
    running: bool = False
    starting_date: str | None = None
    listen_deletion: bool = True
    no_dependencies: bool = False
    ssl_verify: bool = True
    synchronized: bool = False
    last_event_id: str | None = None
    last_event_at: str | None = None
    events_received: int = 0
    connected: bool = False
    last_error: str | None = None
    last_error_at: str | None = None
    last_work_id: str | None = None
    created_by: str | None = None
    created_at: str = field(default_factory=now)
    updated_at: str = field(default_factory=now)


def new_sync_id() -> str:
    return str(uuid.uuid4())


def _sync(row: Row, box: SecretBox) -> Sync:
    values = list(row)
    values[5] = box.open(values[5])
    for index in BOOLEANS:
        values[index] = bool(values[index])
    return Sync(*values)


class SyncRecords:
    def __init__(self, db: Database, box: SecretBox) -> None:
        self.db = db
        self.box = box

    def list(self, *, running_only: bool = False, owner: str | None = None) -> list[Sync]:
        """Every synchroniser (created by ``owner`` when given)."""
        clauses, params = ["1=1"], []
        if running_only:
            clauses.append("running = 1")
        if owner is not None:
            clauses.append("created_by = ?")
            params.append(owner)
        where = " AND ".join(clauses)
        with self.db.read() as tx:
            rows = tx.fetchall(
                f"SELECT {COLUMNS} FROM stream_syncs WHERE {where} ORDER BY name", params
            )
        return [_sync(row, self.box) for row in rows]

    def get(self, ref: str) -> Sync:
        with self.db.read() as tx:
            return self.get_in(tx, ref)

    def get_in(self, tx: Tx, ref: str) -> Sync:
        row = tx.fetchone(
            f"SELECT {COLUMNS} FROM stream_syncs WHERE id = ? OR name = ?", (ref, ref)
        )
        if row is None:
            raise NotFound(f"no live-stream synchroniser {ref}")
        return _sync(row, self.box)

    def insert(self, tx: Tx, sync: Sync) -> None:
        self._check_name(tx, sync)
        values = [getattr(sync, name) for name in COLUMNS.split(", ")]
        values[5] = self.box.seal(sync.token)
        tx.execute(
            f"INSERT INTO stream_syncs ({COLUMNS}) VALUES ({','.join('?' * len(values))})",
            [int(v) if isinstance(v, bool) else v for v in values],
        )

    def save(self, tx: Tx, sync: Sync) -> None:
        """Write the settings (and the checkpoint, which a settings change may reset)."""
        self._check_name(tx, sync)
        tx.execute(
            "UPDATE stream_syncs SET name = ?, description = ?, uri = ?, token = ?, "
            "stream_id = ?, user_id = ?, running = ?, starting_date = ?, listen_deletion = ?, "
            "no_dependencies = ?, ssl_verify = ?, synchronized = ?, last_event_id = ?, "
            "updated_at = ? WHERE id = ?",
            (
                sync.name,
                sync.description,
                sync.uri,
                self.box.seal(sync.token),
                sync.stream_id,
                sync.user_id,
                int(sync.running),
                sync.starting_date,
                int(sync.listen_deletion),
                int(sync.no_dependencies),
                int(sync.ssl_verify),
                int(sync.synchronized),
                sync.last_event_id,
                now(),
                sync.id,
            ),
        )

    def delete(self, tx: Tx, sync_id: str) -> None:
        tx.execute("DELETE FROM stream_syncs WHERE id = ?", (sync_id,))

    def _check_name(self, tx: Tx, sync: Sync) -> None:
        row = tx.fetchone("SELECT id FROM stream_syncs WHERE name = ?", (sync.name,))
        if row is not None and row[0] != sync.id:
            raise Conflict(f"a live-stream synchroniser named {sync.name!r} already exists")

    # -- progress and health -------------------------------------------------------------

    def checkpoint(
        self,
        sync_id: str,
        event_id: str,
        *,
        received: int,
        work_id: str | None,
        version: str,
    ) -> bool:
        """Save the last queued event; only while the settings are still ``version`` (the
        ``updated_at`` the consumer started with), so that a consumer about to be restarted after
        a reset or a settings change cannot write back its old position. False if refused."""
        with self.db.transaction() as tx:
            return (
                tx.rowcount(
                    "UPDATE stream_syncs SET last_event_id = ?, last_event_at = ?, "
                    "events_received = events_received + ?, "
                    "last_work_id = COALESCE(?, last_work_id) WHERE id = ? AND updated_at = ?",
                    (event_id, now(), received, work_id, sync_id, version),
                )
                > 0
            )

    def record_connected(self, sync_id: str, connected: bool) -> None:
        with self.db.transaction() as tx:
            if connected:
                tx.execute(
                    "UPDATE stream_syncs SET connected = 1, last_error = NULL, "
                    "last_error_at = NULL WHERE id = ?",
                    (sync_id,),
                )
            else:
                tx.execute("UPDATE stream_syncs SET connected = 0 WHERE id = ?", (sync_id,))

    def record_error(self, sync_id: str, message: str) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE stream_syncs SET connected = 0, last_error = ?, last_error_at = ? "
                "WHERE id = ?",
                (message[:MAX_ERROR], now(), sync_id),
            )
