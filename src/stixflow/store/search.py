"""Text search over the knowledge base, answered by each database's own index.

A search for ``text`` finds the objects whose ``search_text`` (name, value, aliases and the start
of the description, lower-cased: ``rows.search_text``) contains it, exactly as a
``LIKE '%text%'`` scan would, but without reading every row:

- SQLite: an FTS5 table with the trigram tokenizer (migration 0016; ``detail=none``: no
  positions, about a quarter of the size). FTS5 answers ``LIKE '%text%'`` of three or more
  characters from it and checks each candidate against the row's text. FTS5 sees no
  ``ESCAPE``: a text holding ``%``, ``_`` or a backslash is searched by the scan.
- PostgreSQL: a ``pg_trgm`` GIN index on ``search_text``; the planner answers ``LIKE '%text%'``
  of three or more characters from it.

Shorter texts (one or two characters) have no trigram to look up: they fall back to the scan.
``%`` and ``_`` are searched as themselves, never as wildcards.

Ranking (``rank_sql``): exact name, value or alias matches first, then names starting with the
text, then the rest; ties in id order, so a page cursor (``Cursor``) is stable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stixflow.db.base import Database

MIN_INDEXED = 3
EXACT, PREFIX, OTHER = 0, 1, 2
NAME_KEYS = ("name", "value")
ALIAS_KEYS = ("aliases", "x_mitre_aliases")


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
            tx.execute("REINDEX INDEX objects_search_trgm")
