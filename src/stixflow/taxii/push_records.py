"""TAXII Push ingester rows (``taxii_push_ingesters``) and push status rows.

An ingester is a name, a description, the user responsible for data creation, who may push
(users, groups, organizations, by id), whether indicator confidence is copied to the score, and
whether it runs; ``created_by`` is its owner. Its ``source`` names its queue (``push_<source>``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import orjson
from pydantic import BaseModel, Field

from stixflow.clock import now
from stixflow.db.base import Database, Row, Tx
from stixflow.errors import Conflict, NotFound

COLUMNS = (
    "id, name, description, source, user_id, authorized, confidence_to_score, running, "
    "created_by, last_push_at, total_objects, last_work_id, created_at, updated_at"
)


class Authorized(BaseModel):
    """Who may push: ids (or, on input, emails and names) of users, groups, organizations."""

    users: list[str] = Field(default_factory=list)
    groups: list[str] = Field(default_factory=list)
    organizations: list[str] = Field(default_factory=list)


@dataclass
class PushIngester:
    id: str
    name: str
    description: str
    source: str
    user_id: str | None
    authorized: Authorized
    confidence_to_score: bool
    running: bool
    created_by: str | None = None
    last_push_at: str | None = None
    total_objects: int = 0
    last_work_id: str | None = None
    created_at: str = field(default_factory=now)
    updated_at: str = field(default_factory=now)


@dataclass(frozen=True)
class PushStatus:
    work_id: str
    ingester_id: str
    user_id: str
    versions: dict[str, str]


def new_push_ingester_id() -> str:
    return str(uuid.uuid4())


def _ingester(row: Row) -> PushIngester:
    values = list(row)
    values[5] = Authorized.model_validate(orjson.loads(values[5] or "{}"))
    values[6] = bool(values[6])
    values[7] = bool(values[7])
    return PushIngester(*values)


class PushRecords:
    def __init__(self, db: Database) -> None:
        self.db = db

    def list(self, *, owner: str | None = None) -> list[PushIngester]:
        """Every ingester (created by ``owner`` when given)."""
        where, params = ("WHERE created_by = ?", [owner]) if owner is not None else ("", [])
        with self.db.read() as tx:
            rows = tx.fetchall(
                f"SELECT {COLUMNS} FROM taxii_push_ingesters {where} ORDER BY name", params
            )
        return [_ingester(row) for row in rows]

    def get(self, ref: str) -> PushIngester:
        with self.db.read() as tx:
            return self.get_in(tx, ref)

    def get_in(self, tx: Tx, ref: str) -> PushIngester:
        row = tx.fetchone(
            f"SELECT {COLUMNS} FROM taxii_push_ingesters WHERE id = ? OR name = ?", (ref, ref)
        )
        if row is None:
            raise NotFound(f"no TAXII Push ingester {ref}")
        return _ingester(row)

    def insert(self, tx: Tx, ingester: PushIngester) -> None:
        self._check_name(tx, ingester)
        tx.execute(
            f"INSERT INTO taxii_push_ingesters ({COLUMNS}) VALUES ({','.join('?' * 14)})",
            (
                ingester.id,
                ingester.name,
                ingester.description,
                ingester.source,
                ingester.user_id,
                ingester.authorized.model_dump_json(),
                int(ingester.confidence_to_score),
                int(ingester.running),
                ingester.created_by,
                None,
                0,
                None,
                ingester.created_at,
                ingester.updated_at,
            ),
        )

    def save(self, tx: Tx, ingester: PushIngester) -> None:
        """Write the settings (not the push counters)."""
        self._check_name(tx, ingester)
        tx.execute(
            "UPDATE taxii_push_ingesters SET name = ?, description = ?, user_id = ?, "
            "authorized = ?, confidence_to_score = ?, running = ?, updated_at = ? WHERE id = ?",
            (
                ingester.name,
                ingester.description,
                ingester.user_id,
                ingester.authorized.model_dump_json(),
                int(ingester.confidence_to_score),
                int(ingester.running),
                now(),
                ingester.id,
            ),
        )

    def delete(self, tx: Tx, ingester_id: str) -> None:
        tx.execute("DELETE FROM taxii_push_ingesters WHERE id = ?", (ingester_id,))

    def _check_name(self, tx: Tx, ingester: PushIngester) -> None:
        row = tx.fetchone("SELECT id FROM taxii_push_ingesters WHERE name = ?", (ingester.name,))
        if row is not None and row[0] != ingester.id:
            raise Conflict(f"a TAXII Push ingester named {ingester.name!r} already exists")

    # -- pushes --------------------------------------------------------------------------

    def record_push(self, tx: Tx, ingester_id: str, status: PushStatus, count: int) -> None:
        stamp = now()
        tx.execute(
            "INSERT INTO taxii_push_statuses (work_id, ingester_id, user_id, versions, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                status.work_id,
                ingester_id,
                status.user_id,
                orjson.dumps(status.versions).decode(),
                stamp,
            ),
        )
        tx.execute(
            "UPDATE taxii_push_ingesters SET last_push_at = ?, total_objects = total_objects + ?, "
            "last_work_id = ? WHERE id = ?",
            (stamp, count, status.work_id, ingester_id),
        )

    def status(self, work_id: str) -> PushStatus:
        with self.db.read() as tx:
            row = tx.fetchone(
                "SELECT work_id, ingester_id, user_id, versions FROM taxii_push_statuses "
                "WHERE work_id = ?",
                (work_id,),
            )
        if row is None:
            raise NotFound(f"no status {work_id}")
        return PushStatus(row[0], row[1], row[2], orjson.loads(row[3] or "{}"))
