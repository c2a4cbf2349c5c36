"""Marking sets: the markings an object carries, stored once per distinct set (migration 0022).

An object's row names its set (``objects.marking_set``, NULL when it carries none); a set is one
row of ``marking_sets`` (its key: the sorted marking ids joined by spaces) and one row per marking
in ``marking_set_members``. A store of a million objects holds a handful of sets, so writing an
object adds nothing beside its row, and the marking filter (``visibility``) reads a few rows: the
sets holding a marking the reader may not see.

The markings an object "carries" are those that decide whether a reader sees it at all
(``stixflow.stix.granular.hiding_markings``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from stixflow.db.base import Tx, batched
from stixflow.stix.granular import hiding_markings
from stixflow.store.base import StixObject

SEPARATOR = " "  # never in a STIX id; a marking id holding one is split (which fails closed)


def key_of(obj: StixObject) -> str | None:
    """The set key of what ``obj`` carries; None when it carries no marking."""
    markings = sorted(set(hiding_markings(obj)))
    return SEPARATOR.join(markings) if markings else None


InClause = Callable[[int], str]


def set_ids(tx: Tx, in_clause: InClause, objects: Iterable[StixObject]) -> dict[str, int | None]:
    """The marking set id of each object (by id), creating the sets not held yet."""
    keys = {obj["id"]: key_of(obj) for obj in objects}
    held = _ids(tx, in_clause, sorted({key for key in keys.values() if key is not None}))
    return {object_id: held[key] if key is not None else None for object_id, key in keys.items()}


def _ids(tx: Tx, in_clause: InClause, keys: Sequence[str]) -> dict[str, int]:
    if not keys:
        return {}
    found = _select(tx, in_clause, keys)
    missing = [key for key in keys if key not in found]
    if missing:
        tx.executemany(
            "INSERT INTO marking_sets (markings) VALUES (?) ON CONFLICT (markings) DO NOTHING",
            [(key,) for key in missing],
        )
        found.update(_select(tx, in_clause, missing))
        tx.executemany(
            "INSERT INTO marking_set_members (set_id, marking_id) VALUES (?, ?) "
            "ON CONFLICT DO NOTHING",
            [(found[key], marking) for key in missing for marking in key.split(SEPARATOR)],
        )
    return found


def _select(tx: Tx, in_clause: InClause, keys: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for part in batched(list(keys), 500):
        rows = tx.fetchall(
            f"SELECT markings, id FROM marking_sets WHERE markings IN {in_clause(len(part))}", part
        )
        found.update((key, int(set_id)) for key, set_id in rows)
    return found


def hidden_sets(allowed: Sequence[str]) -> tuple[str, list[str]]:
    """A subquery of the sets holding a marking outside ``allowed`` (every set if it is empty)."""
    if not allowed:
        return "SELECT id FROM marking_sets", []
    listed = ",".join("?" * len(allowed))
    return f"SELECT set_id FROM marking_set_members WHERE marking_id NOT IN ({listed})", list(
        allowed
    )


def holding(markings: Sequence[str]) -> tuple[str, list[str]]:
    """A subquery of the sets holding any of ``markings``."""
    listed = ",".join("?" * len(markings))
    return f"SELECT set_id FROM marking_set_members WHERE marking_id IN ({listed})", list(markings)
