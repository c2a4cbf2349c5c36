"""The marking filter: what a reader's markings let them see, in SQL and per object.

An object is hidden when it carries a marking outside the reader's allowed set. A relationship or
sighting is hidden too when either of its ends is hidden. An object with no marking is visible to
every reader. Ends that are not in the store (dangling references) do not hide anything.

The markings an object "carries" here (its marking set, ``store.marking_sets``) are its
``object_marking_refs`` and the granular markings on properties it cannot lose
(``stixflow.stix.granular.hiding_markings``). Every object read is then cut to what the reader
may see of it (``readable``: granular markings, STIX 2.1 §7.2.3), the one place per read path
where stored data becomes an object for a reader.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from stixflow.stix.granular import redact
from stixflow.store.base import Access, StixObject
from stixflow.store.marking_sets import hidden_sets


def visible_clause(access: Access, alias: str = "o") -> tuple[str, list[Any]]:
    """A WHERE fragment (and its parameters) keeping only what ``access`` may see."""
    if access.allowed_markings is None:
        return "1=1", []
    hidden, params = hidden_sets(sorted(access.allowed_markings))
    clause = (
        f"({alias}.marking_set IS NULL OR {alias}.marking_set NOT IN ({hidden})) "
        f"AND ({alias}.source_ref IS NULL OR NOT {_end_hidden(f'{alias}.source_ref', hidden)}) "
        f"AND ({alias}.target_ref IS NULL OR NOT {_end_hidden(f'{alias}.target_ref', hidden)})"
    )
    return clause, params * 3


def _end_hidden(column: str, hidden: str) -> str:
    return (
        f"EXISTS (SELECT 1 FROM objects he WHERE he.id = {column} AND he.marking_set IN ({hidden}))"
    )


def readable(obj: StixObject, access: Access) -> StixObject | None:
    """``obj`` cut to what ``access`` may see of it; None when it may not see it at all."""
    return redact(obj, access.allowed_markings)


def readable_all(objects: Iterable[StixObject], access: Access) -> list[StixObject]:
    """``readable`` of each object, the hidden ones left out."""
    found = (readable(obj, access) for obj in objects)
    return [obj for obj in found if obj is not None]


def sees_whole(obj: StixObject, access: Access) -> bool:
    """Whether ``access`` may see every part of ``obj`` (nothing cut, nothing hidden)."""
    return readable(obj, access) is obj
