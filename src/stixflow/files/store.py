"""Uploaded files, stored in the database (``files`` + ``file_chunks``, migration 0009) so that
every machine of an instance reads the same files, on SQLite as on PostgreSQL.

A file carries markings (ids): a reader whose allowed markings do not cover them never sees it.
Who may read a file at all (``may_read``): its uploader, administrators, and the user of a
connector that was given a job for it (``file_jobs``).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from stixflow.clock import now
from stixflow.db.base import Database, Tx
from stixflow.errors import InvalidInput, NotFound, PayloadTooLarge
from stixflow.store.base import Access

CHUNK = 1024 * 1024
COLUMNS = "id, name, mime_type, size, sha256, markings, entity_id, uploaded_by, created_at"


@dataclass(frozen=True)
class StoredFile:
    id: str
    name: str
    mime_type: str
    size: int
    sha256: str
    markings: tuple[str, ...]
    entity_id: str | None
    uploaded_by: str | None
    created_at: str

    @property
    def fetch_path(self) -> str:
        """Where connectors read it (pycti's ``file_fetch``)."""
        return f"/storage/get/{self.id}"

    def visible_to(self, access: Access) -> bool:
        allowed = access.allowed_markings
        return allowed is None or set(self.markings) <= allowed


def _file(row: Sequence[object]) -> StoredFile:
    values = list(row)
    return StoredFile(
        id=str(values[0]),
        name=str(values[1]),
        mime_type=str(values[2]),
        size=int(str(values[3])),
        sha256=str(values[4]),
        markings=tuple(orjson.loads(str(values[5]) or "[]")),
        entity_id=None if values[6] is None else str(values[6]),
        uploaded_by=None if values[7] is None else str(values[7]),
        created_at=str(values[8]),
    )


def clean_name(name: str) -> str:
    """The file's base name, without path parts or control characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    base = "".join(ch for ch in base if ch.isprintable())
    if not base or base in (".", ".."):
        raise InvalidInput("a file needs a name")
    return base[:200]


class FileStore:
    def __init__(self, db: Database, *, max_bytes: int) -> None:
        self.db = db
        self.max_bytes = max_bytes

    def put(
        self,
        name: str,
        content: bytes,
        *,
        mime_type: str,
        markings: Sequence[str] = (),
        entity_id: str | None = None,
        uploaded_by: str | None,
    ) -> StoredFile:
        if len(content) > self.max_bytes:
            raise PayloadTooLarge(f"file over the limit of {self.max_bytes} bytes")
        base = clean_name(name)
        stored = StoredFile(
            id=f"import/global/{uuid.uuid4()}/{base}",
            name=base,
            mime_type=mime_type.split(";", 1)[0].strip().lower() or "application/octet-stream",
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            markings=tuple(sorted(set(markings))),
            entity_id=entity_id,
            uploaded_by=uploaded_by,
            created_at=now(),
        )
        with self.db.transaction() as tx:
            tx.execute(
                f"INSERT INTO files ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    stored.id,
                    stored.name,
                    stored.mime_type,
                    stored.size,
                    stored.sha256,
                    orjson.dumps(list(stored.markings)).decode(),
                    stored.entity_id,
                    stored.uploaded_by,
                    stored.created_at,
                ),
            )
            tx.executemany(
                "INSERT INTO file_chunks (file_id, part, data) VALUES (?, ?, ?)",
                [
                    (stored.id, part, content[start : start + CHUNK])
                    for part, start in enumerate(range(0, max(len(content), 1), CHUNK))
                ],
            )
        return stored

    def get(self, file_id: str) -> StoredFile:
        with self.db.read() as tx:
            row = tx.fetchone(f"SELECT {COLUMNS} FROM files WHERE id = ?", (file_id,))
        if row is None:
            raise NotFound(f"no file {file_id}")
        return _file(row)

    def list(self, *, uploaded_by: str | None = None, limit: int = 100) -> list[StoredFile]:
        where, params = ("WHERE uploaded_by = ?", [uploaded_by]) if uploaded_by else ("", [])
        with self.db.read() as tx:
            rows = tx.fetchall(
                f"SELECT {COLUMNS} FROM files {where} ORDER BY created_at DESC LIMIT ?",
                [*params, limit],
            )
        return [_file(row) for row in rows]

    def of_entity(self, entity_id: str) -> list[StoredFile]:
        """The files attached to an entity (OpenCTI's ``importFiles``), oldest first."""
        with self.db.read() as tx:
            rows = tx.fetchall(
                f"SELECT {COLUMNS} FROM files WHERE entity_id = ? ORDER BY created_at, id",
                (entity_id,),
            )
        return [_file(row) for row in rows]

    def content(self, file_id: str) -> bytes:
        with self.db.read() as tx:
            rows = tx.fetchall(
                "SELECT data FROM file_chunks WHERE file_id = ? ORDER BY part", (file_id,)
            )
        return b"".join(bytes(row[0]) for row in rows)

    def record_job(self, tx: Tx, *, work_id: str, file_id: str, connector_id: str) -> None:
        tx.execute(
            "INSERT INTO file_jobs (work_id, file_id, connector_id) VALUES (?, ?, ?)",
            (work_id, file_id, connector_id),
        )

    def jobs(self, file_ids: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
        """The import jobs of each file: (work id, connector id), oldest first."""
        if not file_ids:
            return {}
        marks = ", ".join("?" for _ in file_ids)
        with self.db.read() as tx:
            rows = tx.fetchall(
                "SELECT j.file_id, j.work_id, j.connector_id FROM file_jobs j "
                f"JOIN works w ON w.id = j.work_id WHERE j.file_id IN ({marks}) "
                "ORDER BY w.created_at",
                list(file_ids),
            )
        found: dict[str, list[tuple[str, str]]] = {}
        for file_id, work_id, connector_id in rows:
            found.setdefault(str(file_id), []).append((str(work_id), str(connector_id)))
        return found

    def handled_by(self, file_id: str, user_id: str) -> bool:
        """Whether ``user_id`` is the user of a connector given a job for the file."""
        with self.db.read() as tx:
            found = tx.scalar(
                "SELECT 1 FROM file_jobs j JOIN connectors c ON c.id = j.connector_id "
                "WHERE j.file_id = ? AND c.user_id = ? LIMIT 1",
                (file_id, user_id),
            )
        return found is not None

    def may_read(self, stored: StoredFile, *, user_id: str, is_admin: bool, access: Access) -> bool:
        if not stored.visible_to(access):
            return False
        if is_admin or stored.uploaded_by == user_id:
            return True
        return self.handled_by(stored.id, user_id)
