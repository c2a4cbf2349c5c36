"""A write's CPU work done before its transaction, so that the write lock is held for the SQL.

``SQLStore.upsert`` runs inside a write transaction: on SQLite that is the one lock every
worker queues for. Walking each object's references and serialising each new object (its row
and its packed body, which is also its live-stream payload) need nothing from the database, so
``PreparedWrite`` does them beforehand. ``upsert`` uses an entry only for the very dict it was
computed from and for the same ``seen_at``; anything else (an object rewritten through an alias
found in the store, merged with its stored version, or combined with another version in the
batch) is computed inside the transaction as before, so the result is the same either way.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from stixflow.store import rows
from stixflow.store.base import StixObject


@dataclass(frozen=True)
class PreparedObject:
    """A new object's ``objects`` row (its packed body is also its ``create`` event's)."""

    obj: StixObject
    row: tuple[Any, ...]


class PreparedWrite:
    """``objects`` (as they will be passed to ``upsert``) made ready to insert at ``seen_at``."""

    def __init__(self, objects: Sequence[StixObject], *, seen_at: str) -> None:
        self.objects = list(objects)
        self.seen_at = seen_at
        self.wanted: set[str] = set()
        self._entries: dict[int, PreparedObject] = {}
        for obj in self.objects:
            self.wanted.add(obj["id"])
            self.wanted.update(top_level_refs(obj))
            try:
                row = rows.object_row(obj, seen_at, seen_at)
            except (TypeError, ValueError):  # left to ``upsert``, where it fails that object
                continue
            self._entries[id(obj)] = PreparedObject(obj, row)

    def covers(self, objects: Sequence[StixObject]) -> bool:
        """True when ``objects`` are the very objects this was prepared from, in order."""
        return len(objects) == len(self.objects) and all(
            a is b for a, b in zip(objects, self.objects, strict=True)
        )

    def created(self, obj: StixObject, seen_at: str) -> PreparedObject | None:
        """The prepared row of ``obj`` when it is created at ``seen_at``."""
        entry = self._entries.get(id(obj))
        if entry is None or entry.obj is not obj or seen_at != self.seen_at:
            return None
        return entry


def top_level_refs(obj: StixObject) -> list[str]:
    """References held at the top level and in granular markings: where every STIX 2.1 object
    keeps the ids other objects are found by (the hot path cannot afford a deep walk)."""
    found: list[str] = []
    for key, value in obj.items():
        kind = _key_kind(key)
        if kind == "ref" and isinstance(value, str):
            found.append(value)
        elif kind == "refs" and isinstance(value, list):
            found.extend(ref for ref in value if isinstance(ref, str))
        elif kind == "granular" and isinstance(value, list):
            found.extend(
                m["marking_ref"] for m in value if isinstance(m, dict) and "marking_ref" in m
            )
    return found


@functools.cache
def _key_kind(key: str) -> str:
    if key.endswith("_ref"):
        return "ref"
    if key.endswith("_refs"):
        return "refs"
    return "granular" if key == "granular_markings" else ""
