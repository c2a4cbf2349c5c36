"""What the knowledge pages show about objects: readable names, list rows, an object's page.

Everything is read with the caller's ``Access``: a name, author, marking or relationship end the
reader may not see is never resolved (the raw id stays, without a link).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from stixflow.access.markings import list_markings
from stixflow.errors import NotFound
from stixflow.runtime import Runtime
from stixflow.store import rows, stats
from stixflow.store.base import Access, ObjectQuery, StixObject, StoredObject

NAME_KEYS = ("name", "value", "pattern", "path", "key", "account_login", "subject", "number")
MAX_LOOKUP = 1000


def display_name(obj: StixObject) -> str:
    """What a person calls an object: its name or value, else a telling property, else its id."""
    for key in NAME_KEYS:
        if obj.get(key) not in (None, ""):
            return str(obj[key])
    if obj.get("type") == "relationship" and obj.get("relationship_type"):
        return str(obj["relationship_type"])
    hashes = obj.get("hashes")
    if isinstance(hashes, dict) and hashes:
        algorithm, digest = next(iter(hashes.items()))
        return f"{algorithm}: {digest}"
    return str(obj.get("id", ""))


@dataclass(frozen=True)
class Ref:
    """A link to another object; ``name``/``type`` are None when the reader cannot see it."""

    id: str
    name: str | None = None
    type: str | None = None


class Names:
    """Readable names of the objects a page mentions, looked up once with the reader's access."""

    def __init__(self, runtime: Runtime, access: Access, ids: Iterable[str]) -> None:
        wanted = tuple(sorted({i for i in ids if isinstance(i, str) and "--" in i}))
        self.objects: dict[str, StixObject] = {}
        for start in range(0, len(wanted), MAX_LOOKUP):
            part = wanted[start : start + MAX_LOOKUP]
            page = runtime.store.query(ObjectQuery(ids=part, limit=MAX_LOOKUP), access=access)
            self.objects.update((obj["id"], obj) for obj in page.objects)

    def ref(self, object_id: str) -> Ref:
        found = self.objects.get(object_id)
        if found is None:
            return Ref(object_id)
        return Ref(object_id, display_name(found), str(found.get("type")))


@dataclass(frozen=True)
class ObjectRow:
    id: str
    type: str
    name: str
    author: Ref | None
    markings: list[str]
    modified: str | None
    sources: list[str]


def list_rows(runtime: Runtime, objects: Sequence[StixObject], access: Access) -> list[ObjectRow]:
    """Table rows for a page of objects: names of authors, relationship ends, markings, sources."""
    mentioned = [obj.get("created_by_ref") for obj in objects]
    mentioned += [end for obj in objects for end in rows.endpoints(obj) if end]
    names = Names(runtime, access, [ref for ref in mentioned if ref])
    marking_names = markings_by_id(runtime, access)
    sources = stats.sources_of(runtime.db, [obj["id"] for obj in objects])
    labels = stats.source_labels(runtime.db, {s for found in sources.values() for s in found})
    return [
        ObjectRow(
            id=obj["id"],
            type=str(obj["type"]),
            name=_row_name(obj, names),
            author=names.ref(obj["created_by_ref"]) if obj.get("created_by_ref") else None,
            markings=[marking_names.get(m, m) for m in obj.get("object_marking_refs") or ()],
            modified=obj.get("modified"),
            sources=[labels.get(s, s) for s in sources.get(obj["id"], [])],
        )
        for obj in objects
    ]


def _row_name(obj: StixObject, names: Names) -> str:
    source, target = rows.endpoints(obj)
    if not source or not target:
        return display_name(obj)
    ends = [names.ref(end) for end in (source, target)]
    left, right = (ref.name or ref.id for ref in ends)
    verb = obj.get("relationship_type") or obj.get("type")
    return f"{left} \u2192 {verb} \u2192 {right}"


def markings_by_id(runtime: Runtime, access: Access) -> dict[str, str]:
    return {marking.id: marking.name for marking in list_markings(runtime.store, access)}


@dataclass(frozen=True)
class Relation:
    """One relationship or sighting of an object, seen from that object."""

    id: str
    kind: str
    outgoing: bool
    other: Ref


@dataclass
class ObjectDetails:
    stored: StoredObject
    name: str
    markings: list[Ref]
    author: Ref | None
    sources: list[str]
    creators: list[str]
    relations: list[Relation]
    names: dict[str, Ref] = field(default_factory=dict)

    @property
    def data(self) -> StixObject:
        return self.stored.data


def object_details(runtime: Runtime, object_id: str, access: Access) -> ObjectDetails:
    """An object with everything its page shows; NotFound when missing or not visible."""
    stored = runtime.store.get(object_id, access=access)
    if stored is None:
        raise NotFound(f"no object {object_id} (or you may not see it)")
    obj = stored.data
    linked = runtime.store.relationships(obj["id"], access=access)
    ends = [end for rel in linked for end in rows.endpoints(rel) if end]
    names = Names(runtime, access, [*referenced_ids(obj), *ends])
    marking_names = markings_by_id(runtime, access)
    labels = stats.source_labels(runtime.db, stored.sources)
    users = stats.user_names(runtime.db, stored.creators)
    return ObjectDetails(
        stored=stored,
        name=display_name(obj),
        markings=[
            Ref(m, marking_names.get(m), "marking-definition")
            for m in obj.get("object_marking_refs") or ()
        ],
        author=names.ref(obj["created_by_ref"]) if obj.get("created_by_ref") else None,
        sources=[labels.get(s, s) for s in stored.sources],
        creators=[users.get(u, u) for u in stored.creators],
        relations=[_relation(rel, obj["id"], names) for rel in linked],
        names={ref_id: names.ref(ref_id) for ref_id in referenced_ids(obj)},
    )


def _relation(rel: StixObject, object_id: str, names: Names) -> Relation:
    source, target = rows.endpoints(rel)
    outgoing = source == object_id
    other = (target if outgoing else source) or ""
    kind = str(rel.get("relationship_type") or rel.get("type"))
    return Relation(id=rel["id"], kind=kind, outgoing=outgoing, other=names.ref(other))


def referenced_ids(value: Any) -> list[str]:
    """Every id held in a ``*_ref``/``*_refs`` property, at any depth."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key.endswith("_ref") and isinstance(item, str):
                found.append(item)
            elif key.endswith("_refs") and isinstance(item, list):
                found.extend(ref for ref in item if isinstance(ref, str))
            else:
                found.extend(referenced_ids(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(referenced_ids(item))
    return found
