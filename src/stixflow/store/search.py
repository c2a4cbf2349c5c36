"""Text search over the knowledge base, answered by each database's own index.

A search for ``text`` finds the objects whose ``search_text`` (name, value, aliases and the start
of the description, lower-cased: ``rows.search_text``) contains it, exactly as a
``LIKE '%text%'`` scan would, but without reading every row:

- SQLite: an FTS5 table with the trigram tokenizer (migration 0016; ``detail=none``: no
  positions, about a quarter of the size). FTS5 answers ``LIKE '%text%'`` of three or more
  characters from it and checks each candidate against the row's text. FTS5 sees no
  ``ESCAPE``: a text holding ``%``, ``_`` or a backslash is searched by the scan.
- PostgreSQL: two ``pg_trgm`` GIN indexes on ``search_text`` (migration 0020), one over the
  edges (``EDGES``: relationships and sightings without a name, most rows of a knowledge base)
  and one over the rest; the planner answers ``LIKE '%text%'`` of three or more characters from
  the one whose part a query names.

Shorter texts (one or two characters) have no trigram to look up: they fall back to the scan.
``%`` and ``_`` are searched as themselves, never as wildcards.

Ranking (``rank_sql``): exact name, value or alias matches first, then names starting with the
text, then the rest; ties in id order (bytes), so a page cursor (``Cursor``) is stable.

A page (``ranked``) ranks every match it reads, so on PostgreSQL it reads the parts one by one:
the named part first, then the edges only when they may reach the page. An edge has no name, so
it ranks last, and its id (``relationship--…``, ``sighting--…``: an id starts with its type,
``stix.validate``) sorts after the ids of most object types: a page of a frequent word is usually
full before the thousands of relationships whose descriptions hold it are read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stixflow.db.base import Database, Tx

MIN_INDEXED = 3
EXACT, PREFIX, OTHER = 0, 1, 2
NAME_KEYS = ("name", "value")
ALIAS_KEYS = ("aliases", "x_mitre_aliases")
# PostgreSQL's two index parts (migration 0020: the same predicates, so the planner picks them)
EDGES = "o.type IN ('relationship', 'sighting') AND o.search_names IS NULL"
NAMED = f"NOT ({EDGES})"
FIRST_EDGE_ID = "relationship--"  # no edge id sorts before it


def search_names(obj: dict[str, Any]) -> str | None:
    """The names a search ranks first, lower-cased, each between newlines (``\\nemotet\\n``)."""
    names = [obj.get(key) for key in NAME_KEYS]
    for key in ALIAS_KEYS:
        value = obj.get(key)
        if isinstance(value, list):
            names.extend(value)
    kept = [str(name).lower() for name in names if name]
    return "\n" + "".join(f"{name}\n" for name in kept) if kept else None


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def like_pattern(text: str) -> str:
    return f"%{escape_like(text.lower())}%"


def text_clause(dialect: str, text: str) -> tuple[str, list[Any]]:
    """The WHERE clause (over ``objects o``) keeping the rows whose search text holds ``text``."""
    wanted = text.lower()
    if dialect == "sqlite" and len(wanted) >= MIN_INDEXED and escape_like(wanted) == wanted:
        return (
            "o.rowid IN (SELECT rowid FROM objects_fts WHERE objects_fts.search_text LIKE ?)",
            [f"%{wanted}%"],
        )
    return "o.search_text LIKE ? ESCAPE '\\'", [like_pattern(wanted)]


def rank_sql(text: str) -> tuple[str, list[Any]]:
    """An SQL expression: 0 for an exact name/alias match, 1 for a name prefix, else 2."""
    wanted = escape_like(text.lower())
    return (
        "(CASE WHEN o.search_names LIKE ? ESCAPE '\\' THEN 0 "
        "WHEN o.search_names LIKE ? ESCAPE '\\' THEN 1 ELSE 2 END)",
        [f"%\n{wanted}\n%", f"%\n{wanted}%"],
    )


def ranked(
    tx: Tx, where: str, params: list[Any], text: str, *, after: Cursor | None, count: int
) -> list[tuple[str, int]]:
    """The first ``count`` rows (``objects o``) that ``where`` keeps after ``after``, in rank
    then id order: (id, rank). ``where`` holds the text clause (``text_clause``)."""
    postgres = tx.dialect == "postgresql"
    # ids compared as bytes, as Python compares them, whatever the database's collation
    order = 'o.id COLLATE "C"' if postgres else "o.id"

    def part(clause: str) -> list[tuple[str, int]]:
        return _ranked_part(tx, clause, params, text, after=after, count=count, order=order)

    if not postgres or len(text) < MIN_INDEXED:  # one index, or none (a scan)
        return part(where)
    named = part(f"{where} AND {NAMED}")
    if len(named) == count and (named[-1][1], named[-1][0]) < (OTHER, FIRST_EDGE_ID):
        return named  # full before the first edge: no edge can be on this page
    edges = part(f"{where} AND {EDGES}")
    # once each, should a write between the two reads have moved a row from one part to the other
    merged = dict([*edges, *named])
    return sorted(merged.items(), key=lambda row: (row[1], row[0]))[:count]


def _ranked_part(
    tx: Tx,
    where: str,
    params: list[Any],
    text: str,
    *,
    after: Cursor | None,
    count: int,
    order: str,
) -> list[tuple[str, int]]:
    rank, rank_params = rank_sql(text)
    if after is not None:
        where += f" AND ({rank} > ? OR ({rank} = ? AND {order} > ?))"
        params = [*params, *rank_params, after.rank, *rank_params, after.rank, after.object_id]
    found = tx.fetchall(
        f"SELECT o.id, {rank} FROM objects o WHERE {where} ORDER BY 2, {order} LIMIT ?",
        [*rank_params, *params, count],
    )
    return [(object_id, int(rank_found)) for object_id, rank_found in found]


@dataclass(frozen=True)
class Cursor:
    """Where a ranked page ends: ``<rank>:<id>`` (a plain id is read as rank 0)."""

    rank: int
    object_id: str

    @classmethod
    def parse(cls, value: str) -> Cursor:
        head, sep, tail = value.partition(":")
        if sep and head.isdigit():
            return cls(int(head), tail)
        return cls(EXACT, value)

    def __str__(self) -> str:
        return f"{self.rank}:{self.object_id}"


def rebuild(db: Database) -> None:
    """Rebuild the text index from ``objects`` (SQLite's FTS5 table follows row ids, which a
    manual ``VACUUM`` may renumber)."""
    with db.transaction() as tx:
        if db.dialect == "sqlite":
            tx.execute("INSERT INTO objects_fts (objects_fts) VALUES ('rebuild')")
        else:
            tx.execute("REINDEX INDEX objects_search_named_trgm")
            tx.execute("REINDEX INDEX objects_search_edges_trgm")
