"""Stored CSV mappers (table ``csv_mappers``): the spec as JSON, found by id or name."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import orjson

from stixflow.clock import now
from stixflow.csvmap.model import CsvMapperSpec
from stixflow.db.base import Database, Row, Tx
from stixflow.errors import Conflict, NotFound

COLUMNS = "id, name, config, created_by, created_at, updated_at"


@dataclass
class StoredMapper:
    id: str
    spec: CsvMapperSpec
    created_by: str | None
    created_at: str
    updated_at: str


class MapperStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def insert(self, tx: Tx, spec: CsvMapperSpec, *, user_id: str | None) -> StoredMapper:
        self._name_free(tx, spec.name, None)
        stamp = now()
        stored = StoredMapper(str(uuid.uuid4()), spec, user_id, stamp, stamp)
        tx.execute(
            f"INSERT INTO csv_mappers ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
            (stored.id, spec.name, spec.model_dump_json(), user_id, stamp, stamp),
        )
        return stored

    def update(self, tx: Tx, mapper_id: str, spec: CsvMapperSpec) -> None:
        self._name_free(tx, spec.name, mapper_id)
        tx.execute(
            "UPDATE csv_mappers SET name = ?, config = ?, updated_at = ? WHERE id = ?",
            (spec.name, spec.model_dump_json(), now(), mapper_id),
        )

    def _name_free(self, tx: Tx, name: str, mapper_id: str | None) -> None:
        row = tx.fetchone("SELECT id FROM csv_mappers WHERE name = ?", (name,))
        if row is not None and row[0] != mapper_id:
            raise Conflict(f"a CSV mapper named {name!r} already exists")

    def get(self, ref: str) -> StoredMapper:
        with self.db.read() as tx:
            return self.get_in(tx, ref)

    def get_in(self, tx: Tx, ref: str) -> StoredMapper:
        """A mapper by id or name."""
        row = tx.fetchone(
            f"SELECT {COLUMNS} FROM csv_mappers WHERE id = ? OR name = ? ORDER BY id = ? DESC",
            (ref, ref, ref),
        )
        if row is None:
            raise NotFound(f"no CSV mapper {ref}")
        return _stored(row)

    def list(self) -> list[StoredMapper]:
        with self.db.read() as tx:
            rows = tx.fetchall(f"SELECT {COLUMNS} FROM csv_mappers ORDER BY name")
        return [_stored(row) for row in rows]

    def delete(self, tx: Tx, mapper_id: str) -> None:
        tx.execute("DELETE FROM csv_mappers WHERE id = ?", (mapper_id,))


def _stored(row: Row) -> StoredMapper:
    spec = CsvMapperSpec.model_validate(orjson.loads(row[2]))
    return StoredMapper(row[0], spec, row[3], row[4], row[5])
