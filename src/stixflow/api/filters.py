"""Query parameters shared by every route that lists objects (``/api/objects``, ``/api/export``)."""

from __future__ import annotations

from fastapi import Query

from stixflow.store.base import ObjectQuery


def object_filters(
    type: list[str] = Query(default=[], max_length=50),
    text: str | None = Query(
        None,
        max_length=200,
        description="text in the name, value, aliases or description (exact names first)",
    ),
    marking: str | None = Query(None, max_length=200),
    author: str | None = Query(None, max_length=200),
    source: str | None = Query(None, max_length=200),
    creator: str | None = Query(None, max_length=200),
    modified_after: str | None = Query(None, max_length=40),
    modified_before: str | None = Query(None, max_length=40),
) -> ObjectQuery:
    """The filters as an ObjectQuery (callers set ``limit`` and ``cursor``)."""
    return ObjectQuery(
        types=tuple(type),
        text=text,
        marking=marking,
        author=author,
        source=source,
        creator=creator,
        modified_after=modified_after,
        modified_before=modified_before,
    )
