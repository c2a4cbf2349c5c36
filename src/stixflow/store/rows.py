"""How a STIX object maps to the columns of the ``objects`` table (``data``: the packed body,
``store.compact``; the search columns are computed here, never read back from it).

The body leaves out what the row's columns hold exactly (``IN_COLUMNS``: the id, type, dates,
author and a relationship's ends: a third of a packed body, mostly ids that do not compress):
``stored_body`` packs the rest, ``load`` puts them back from the columns. A body written before
(issue 18) holds them too, with the same values, and reads the same way."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stixflow.db.base import Tx
from stixflow.store import compact, marking_sets
from stixflow.store.search import search_names

SEARCH_DESCRIPTION_CHARS = 2000


def endpoints(obj: dict[str, Any]) -> tuple[str | None, str | None]:
    """(source, target) of a relationship or sighting; (None, None) for anything else."""
    if obj.get("type") == "relationship":
        return obj.get("source_ref"), obj.get("target_ref")
    if obj.get("type") == "sighting":
        where = obj.get("where_sighted_refs") or [None]
        return obj.get("sighting_of_ref"), where[0]
    return None, None


def search_text(obj: dict[str, Any]) -> str | None:
    parts = [
        obj.get("name"),
        obj.get("value"),
        (obj.get("description") or "")[:SEARCH_DESCRIPTION_CHARS],
    ]
    parts.extend(obj.get("aliases") or [])
    parts.extend(obj.get("x_mitre_aliases") or [])
    text = " ".join(str(p) for p in parts if p)
    return text.lower() or None


#: Properties a body leaves out, each equal to the column of the same name (a relationship's
#: ``source_ref``/``target_ref`` too: a sighting's ends come from other properties).
IN_COLUMNS = ("type", "spec_version", "id", "created_by_ref", "created", "modified")
ENDS = ("source_ref", "target_ref")


def body_columns(alias: str) -> str:
    """SQL: a row's body and the columns ``load`` puts back into it (``alias``: the objects)."""
    return ", ".join(f"{alias}.{column}" for column in ("data", *IN_COLUMNS, *ENDS))


BODY_WIDTH = 1 + len(IN_COLUMNS) + len(ENDS)  # the values ``body_columns`` selects
ID_AT = 1 + IN_COLUMNS.index("id")  # the id's place among them


def stored_body(obj: dict[str, Any]) -> bytes:
    """``obj`` packed without the properties its row's columns hold (strings only: a column
    gives back a string)."""
    left_out = (*IN_COLUMNS, *ENDS) if obj.get("type") == "relationship" else IN_COLUMNS
    kept = {k: v for k, v in obj.items() if not (k in left_out and isinstance(v, str))}
    return compact.dump(kept)


def load(values: Sequence[Any]) -> dict[str, Any]:
    """The object of a row's ``body_columns`` values."""
    data, *columns = values
    edge = columns[0] == "relationship"
    named = zip((*IN_COLUMNS, *ENDS), columns, strict=True)
    obj = {key: value for key, value in named if value is not None and (edge or key not in ENDS)}
    obj.update(compact.load(data))
    return obj


def object_row(
    obj: dict[str, Any], first_seen: str, last_seen: str, *, body: str | bytes | None = None
) -> tuple[Any, ...]:
    """The ``OBJECT_COLUMNS`` values of ``obj``; ``body``: a stored form other than the one
    written now (``stored_body``), as an earlier version wrote it."""
    source, target = endpoints(obj)
    name = obj.get("name") or obj.get("value")
    return (
        obj["id"],
        obj["type"],
        obj.get("spec_version"),
        obj.get("created"),
        obj.get("modified"),
        str(name) if name is not None else None,
        search_text(obj),
        obj.get("created_by_ref"),
        source,
        target,
        1 if obj.get("revoked") else 0,
        stored_body(obj) if body is None else body,
        first_seen,
        last_seen,
        search_names(obj),
    )


OBJECT_COLUMNS = (
    "id, type, spec_version, created, modified, name, search_text, created_by_ref, "
    "source_ref, target_ref, revoked, data, first_seen, last_seen, search_names"
)

#: The source and the user that created the object (migration 0021): written with a new row and
#: never changed by an update; other sources and users are side rows (``object_sources``,
#: ``object_creators``).
ORIGIN_COLUMNS = "source, creator"
KEEP_ORIGIN = (None, None)  # the origin values of a row that updates one already held
#: Each origin column's side table and the column there holding the same kind of value.
SIDE_ROWS = {"source": ("object_sources", "source"), "creator": ("object_creators", "user_id")}


def origin_in(alias: str, column: str, listed: str) -> str:
    """SQL: the object ``alias`` was brought by one of ``listed`` (an ``IN`` list, bound twice):
    the one in its row (``column``: ``source`` or ``creator``) or one in its side rows."""
    table, side = SIDE_ROWS[column]
    return (
        f"({alias}.{column} IN {listed} OR EXISTS (SELECT 1 FROM {table} sr "
        f"WHERE sr.object_id = {alias}.id AND sr.{side} IN {listed}))"
    )


UPSERT_OBJECT = (
    f"INSERT INTO objects ({OBJECT_COLUMNS}, marking_set, {ORIGIN_COLUMNS}) "
    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
    "ON CONFLICT (id) DO UPDATE SET type = excluded.type, spec_version = excluded.spec_version, "
    "created = excluded.created, modified = excluded.modified, name = excluded.name, "
    "search_text = excluded.search_text, created_by_ref = excluded.created_by_ref, "
    "source_ref = excluded.source_ref, target_ref = excluded.target_ref, "
    "revoked = excluded.revoked, data = excluded.data, last_seen = excluded.last_seen, "
    "search_names = excluded.search_names, marking_set = excluded.marking_set"
)  # source and creator: kept as the first write set them

TOUCH_OBJECT = "UPDATE objects SET last_seen = ? WHERE id = ?"


Row = tuple[Any, ...]
Write = tuple[Row, dict[str, Any], Row]  # (object row, the object, origin)


def with_sets(tx: Tx, in_clause: marking_sets.InClause, writes: Sequence[Write]) -> list[Row]:
    """``UPSERT_OBJECT`` parameters of each write: its row, its marking set
    (``store.marking_sets``, created when new) and its origin."""
    sets = marking_sets.set_ids(tx, in_clause, [obj for _, obj, _ in writes])
    return [(*row, sets[obj["id"]], *origin) for row, obj, origin in writes]
