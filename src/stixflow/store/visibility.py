"""The marking filter: SQL that hides what a reader's markings do not allow.

An object is hidden when it carries a marking outside the reader's allowed set. A relationship or
sighting is hidden too when either of its ends is hidden. An object with no marking is visible to
every reader. Ends that are not in the store (dangling references) do not hide anything.
"""

from __future__ import annotations

from typing import Any

from stixflow.store.base import Access


def _hidden(column: str, not_allowed: str) -> str:
    return (
        f"EXISTS (SELECT 1 FROM object_markings hm WHERE hm.object_id = {column} AND {not_allowed})"
    )


def visible_clause(access: Access, alias: str = "o") -> tuple[str, list[Any]]:
    """A WHERE fragment (and its parameters) keeping only what ``access`` may see."""
    if access.allowed_markings is None:
        return "1=1", []
    allowed = sorted(access.allowed_markings)
    if allowed:
        not_allowed = "hm.marking_id NOT IN (" + ",".join("?" * len(allowed)) + ")"
    else:
        not_allowed = "1=1"
    clause = (
        f"NOT {_hidden(f'{alias}.id', not_allowed)} "
        f"AND ({alias}.source_ref IS NULL OR NOT {_hidden(f'{alias}.source_ref', not_allowed)}) "
        f"AND ({alias}.target_ref IS NULL OR NOT {_hidden(f'{alias}.target_ref', not_allowed)})"
    )
    return clause, allowed * 3
