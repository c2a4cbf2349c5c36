"""The saved filter of a TAXII collection or a live stream, and the marking rule for one object.

Every list is optional and they combine with AND (an empty filter keeps everything):

* ``types``: STIX types;
* ``markings``: marking-definition ids, of which the object must carry at least one;
* ``authors``: ``created_by_ref`` values;
* ``sources``: the sources (``push_<source>`` names without the prefix) that brought the object
  in. Collections look at every source that contributed the object; live streams at the source
  that wrote the version an event carries.

What a reader gets is always cut down further to their markings, the rule of
``stixflow.store.visibility``: an object carrying a marking outside the reader's allowed set is
hidden, and so is a relationship or sighting one of whose ends is hidden; the parts of an object
under granular markings the reader may not see are cut (``visibility.readable``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from stixflow.stix.granular import hiding_markings
from stixflow.store import marking_sets, rows
from stixflow.store.base import StixObject


class ObjectFilter(BaseModel):
    types: list[str] = Field(default_factory=list, description="STIX types")
    markings: list[str] = Field(
        default_factory=list, description="marking ids or TLP names; the object carries one"
    )
    authors: list[str] = Field(default_factory=list, description="created_by_ref ids")
    sources: list[str] = Field(default_factory=list, description="source names")

    @property
    def empty(self) -> bool:
        return not (self.types or self.markings or self.authors or self.sources)

    def sql(self, in_clause: Callable[[int], str], alias: str = "o") -> tuple[str, list[Any]]:
        """A WHERE fragment over the ``objects`` table (and its side tables)."""
        clauses: list[str] = ["1=1"]
        params: list[Any] = []
        if self.types:
            clauses.append(f"{alias}.type IN {in_clause(len(self.types))}")
            params.extend(self.types)
        if self.authors:
            clauses.append(f"{alias}.created_by_ref IN {in_clause(len(self.authors))}")
            params.extend(self.authors)
        if self.markings:
            sets, listed = marking_sets.holding(self.markings)
            clauses.append(f"{alias}.marking_set IN ({sets})")
            params.extend(listed)
        if self.sources:
            clauses.append(rows.origin_in(alias, "source", in_clause(len(self.sources))))
            params.extend([*self.sources, *self.sources])
        return " AND ".join(clauses), params

    def matches(self, obj: StixObject, *, source: str | None = None) -> bool:
        """Whether one object (one version of it, written by ``source``) passes the filter."""
        if self.types and obj.get("type") not in self.types:
            return False
        if self.authors and obj.get("created_by_ref") not in self.authors:
            return False
        if self.markings and not set(markings_of(obj)) & set(self.markings):
            return False
        return not (self.sources and source not in self.sources)


def markings_of(obj: StixObject) -> list[str]:
    """The markings an object carries, as the store keeps them (``store.marking_sets``)."""
    return hiding_markings(obj)
