"""Saved filters that admins publish: TAXII collections and live streams (one shape, two tables).

A definition has a name, a description, an ``ObjectFilter``, ``public`` (readable without a
token, see ``public_access``) and ``running`` (a stopped one answers as if it did not exist).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import orjson
from pydantic import BaseModel, Field

from stixflow.access.markings import resolve_marking
from stixflow.access.schemas import Name
from stixflow.clock import now
from stixflow.db.base import Database, Row, Tx
from stixflow.errors import Conflict, NotFound
from stixflow.stix.markings import TLP_BY_NAME
from stixflow.store.base import Access
from stixflow.taxii.filters import ObjectFilter

COLUMNS = "id, name, description, filters, public, running, created_by, created_at, updated_at"
TABLES = frozenset({"taxii_collections", "live_streams"})


def public_access() -> Access:
    """What an anonymous reader of a public collection or stream sees: unmarked objects and
    TLP:CLEAR (both TLP versions' ids), nothing else."""
    return Access.only([TLP_BY_NAME["TLP:CLEAR"]["id"], TLP_BY_NAME["TLP:WHITE"]["id"]])


class DefinitionCreate(BaseModel):
    name: Name
    description: str = Field("", max_length=5000)
    filters: ObjectFilter = Field(default_factory=ObjectFilter)
    public: bool = Field(False, description="readable without a token (unmarked/TLP:CLEAR only)")
    running: bool = True


class DefinitionUpdate(BaseModel):
    name: Name | None = None
    description: str | None = Field(None, max_length=5000)
    filters: ObjectFilter | None = None
    public: bool | None = None
    running: bool | None = None


class DefinitionOut(BaseModel):
    id: str
    name: str
    description: str
    filters: ObjectFilter
    public: bool
    running: bool
    created_at: str
    updated_at: str


@dataclass
class Definition:
    id: str
    name: str
    description: str
    filters: ObjectFilter
    public: bool
    running: bool
    created_by: str | None
    created_at: str
    updated_at: str

    def out(self) -> DefinitionOut:
        return DefinitionOut(
            id=self.id,
            name=self.name,
            description=self.description,
            filters=self.filters,
            public=self.public,
            running=self.running,
            created_at=self.created_at,
            updated_at=self.updated_at,
        )


def _definition(row: Row) -> Definition:
    return Definition(
        id=row[0],
        name=row[1],
        description=row[2],
        filters=ObjectFilter.model_validate(orjson.loads(row[3] or "{}")),
        public=bool(row[4]),
        running=bool(row[5]),
        created_by=row[6],
        created_at=row[7],
        updated_at=row[8],
    )


class Definitions:
    """CRUD over one table of saved filters (``taxii_collections`` or ``live_streams``)."""

    def __init__(self, db: Database, table: str, *, label: str) -> None:
        if table not in TABLES:
            raise ValueError(f"unknown table {table}")
        self.db = db
        self.table = table
        self.label = label

    def list(self) -> list[Definition]:
        with self.db.read() as tx:
            rows = tx.fetchall(f"SELECT {COLUMNS} FROM {self.table} ORDER BY name")
        return [_definition(row) for row in rows]

    def get(self, ref: str) -> Definition:
        with self.db.read() as tx:
            return self._get(tx, ref)

    def _get(self, tx: Tx, ref: str) -> Definition:
        row = tx.fetchone(
            f"SELECT {COLUMNS} FROM {self.table} WHERE id = ? OR name = ?", (ref, ref)
        )
        if row is None:
            raise NotFound(f"no {self.label} {ref}")
        return _definition(row)

    def create(self, spec: DefinitionCreate, *, created_by: str | None) -> Definition:
        stamp = now()
        with self.db.transaction() as tx:
            self._check_name(tx, spec.name, None)
            definition = Definition(
                id=str(uuid.uuid4()),
                name=spec.name,
                description=spec.description,
                filters=_resolved(tx, spec.filters),
                public=spec.public,
                running=spec.running,
                created_by=created_by,
                created_at=stamp,
                updated_at=stamp,
            )
            tx.execute(
                f"INSERT INTO {self.table} ({COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    definition.id,
                    definition.name,
                    definition.description,
                    definition.filters.model_dump_json(),
                    int(definition.public),
                    int(definition.running),
                    created_by,
                    stamp,
                    stamp,
                ),
            )
        return definition

    def update(self, ref: str, patch: DefinitionUpdate) -> Definition:
        with self.db.transaction() as tx:
            current = self._get(tx, ref)
            changes = patch.model_dump(exclude_unset=True, exclude_none=True)
            if "filters" in changes:
                changes["filters"] = _resolved(tx, ObjectFilter.model_validate(changes["filters"]))
            if "name" in changes:
                self._check_name(tx, changes["name"], current.id)
            merged = Definition(**{**current.__dict__, **changes, "updated_at": now()})
            tx.execute(
                f"UPDATE {self.table} SET name = ?, description = ?, filters = ?, public = ?, "
                "running = ?, updated_at = ? WHERE id = ?",
                (
                    merged.name,
                    merged.description,
                    merged.filters.model_dump_json(),
                    int(merged.public),
                    int(merged.running),
                    merged.updated_at,
                    merged.id,
                ),
            )
        return merged

    def delete(self, ref: str) -> None:
        with self.db.transaction() as tx:
            current = self._get(tx, ref)
            tx.execute(f"DELETE FROM {self.table} WHERE id = ?", (current.id,))

    def _check_name(self, tx: Tx, name: str, own_id: str | None) -> None:
        row = tx.fetchone(f"SELECT id FROM {self.table} WHERE name = ?", (name,))
        if row is not None and row[0] != own_id:
            raise Conflict(f"a {self.label} named {name!r} already exists")


def _resolved(tx: Tx, filters: ObjectFilter) -> ObjectFilter:
    """Marking names (``TLP:AMBER``) become ids, so filters compare ids only."""
    markings = list(dict.fromkeys(resolve_marking(tx, ref) for ref in filters.markings))
    return filters.model_copy(update={"markings": markings})


def collections(db: Database) -> Definitions:
    return Definitions(db, "taxii_collections", label="collection")


def live_streams(db: Database) -> Definitions:
    return Definitions(db, "live_streams", label="live stream")
