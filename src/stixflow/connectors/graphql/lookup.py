"""Reads for every entity area: one object by id, or a page of objects matching OpenCTI's
``FilterGroup`` (the keys connectors send), all cut by the reader's markings (the store's
``Access``): an object the reader may not see is not found, and is in no list."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from stixflow.connectors.graphql import meta, nodes
from stixflow.connectors.graphql.context import Context
from stixflow.errors import InvalidInput
from stixflow.store.base import ObjectQuery, StixObject

OPERATORS = frozenset(
    {"eq", "not_eq", "gt", "gte", "lt", "lte", "starts_with", "contains", "search", "wildcard",
     "nil", "not_nil"}
)  # fmt: skip
SCAN_PAGE = 1000
MAX_SCANNED = 20_000
ID_KEYS = frozenset({"id", "ids", "standard_id", "internal_id"})
TYPE_ALIASES = {
    "stixfile": "file",
    "organization": "identity",
    "individual": "identity",
    "sector": "identity",
    "system": "identity",
    "securityplatform": "identity",
    "country": "location",
    "city": "location",
    "region": "location",
    "position": "location",
    "administrative-area": "location",
    "threat-actor-group": "threat-actor",
    "threat-actor-individual": "threat-actor",
    "case-incident": "x-opencti-case-incident",
    "hostname": "hostname",
}


def stix_type(opencti_type: str) -> str:
    """The STIX type an OpenCTI entity type is stored as (``IPv4-Addr`` -> ``ipv4-addr``)."""
    lowered = opencti_type.lower()
    return TYPE_ALIASES.get(lowered, lowered)


@dataclass(frozen=True)
class Filter:
    keys: tuple[str, ...]
    values: tuple[Any, ...]
    operator: str
    mode: str


@dataclass(frozen=True)
class FilterTree:
    """OpenCTI's FilterGroup: filters and nested groups, combined by ``mode``."""

    filters: tuple[Filter, ...] = ()
    groups: tuple[FilterTree, ...] = ()
    mode: str = "and"


def parse_filters(group: dict[str, Any] | None) -> FilterTree:
    """A FilterGroup as a tree (an absent one matches everything)."""
    if not group:
        return FilterTree()
    found = []
    for item in group.get("filters") or []:
        key = item.get("key")
        keys = tuple(key) if isinstance(key, list) else (str(key),)
        values = tuple(item.get("values") or ())
        operator, mode = str(item.get("operator") or "eq"), str(item.get("mode") or "or")
        if operator not in OPERATORS:
            raise InvalidInput(f"filter operator {operator!r} is not served")
        found.append(Filter(keys, values, operator, mode))
    nested = tuple(parse_filters(g) for g in group.get("filterGroups") or [])
    return FilterTree(tuple(found), nested, str(group.get("mode") or "and"))


def field_values(obj: StixObject, node: dict[str, Any], key: str) -> list[Any]:
    """What ``key`` holds on an object, as a list (OpenCTI's filter keys)."""
    if key.startswith("hashes."):
        return [(obj.get("hashes") or {}).get(key.split(".", 1)[1])]
    if key in ID_KEYS:
        return [obj["id"]]
    if key in ("entity_type", "parent_types"):
        return [node["entity_type"], *node["parent_types"], obj.get("type")]
    if key in ("objectLabel", "labels", "label"):
        return [*(obj.get("labels") or []), *(meta.label_id(v) for v in obj.get("labels") or [])]
    if key in ("objectMarking", "object_marking_refs"):
        return list(obj.get("object_marking_refs") or [])
    if key in ("createdBy", "created_by_ref"):
        return [obj.get("created_by_ref")]
    if key in ("x_opencti_aliases", "aliases"):
        return [*(obj.get("aliases") or []), *(obj.get("x_opencti_aliases") or [])]
    if key in ("fromId", "toId"):
        return [obj.get("source_ref" if key == "fromId" else "target_ref")]
    value = node.get(key, obj.get(key))
    return value if isinstance(value, list) else [value]


def _compare(have: Any, want: Any, operator: str) -> bool:
    if have is None:
        return operator in ("nil", "not_eq")
    a, b = str(have).lower(), str(want).lower()
    checks: dict[str, Callable[[], bool]] = {
        "eq": lambda: a == b,
        "not_eq": lambda: a != b,
        "gt": lambda: a > b,
        "gte": lambda: a >= b,
        "lt": lambda: a < b,
        "lte": lambda: a <= b,
        "starts_with": lambda: a.startswith(b),
        "contains": lambda: b in a,
        "search": lambda: b in a,
        "wildcard": lambda: b.strip("*") in a,
        "not_nil": lambda: True,
        "nil": lambda: False,
    }
    if operator not in checks:
        raise InvalidInput(f"filter operator {operator!r} is not served")
    return checks[operator]()


def _one_matches(obj: StixObject, node: dict[str, Any], item: Filter) -> bool:
    have = [v for key in item.keys for v in field_values(obj, node, key)]
    if item.operator in ("nil", "not_nil"):
        empty = all(v in (None, "", []) for v in have)
        return empty if item.operator == "nil" else not empty
    results = [any(_compare(h, w, item.operator) for h in have) for w in item.values]
    if item.operator == "not_eq":
        results = [all(_compare(h, w, "not_eq") for h in have) for w in item.values]
    return all(results) if item.mode == "and" else any(results)


def matches(obj: StixObject, node: dict[str, Any], tree: FilterTree) -> bool:
    results = [
        *(_one_matches(obj, node, f) for f in tree.filters),
        *(matches(obj, node, group) for group in tree.groups),
    ]
    return all(results) if tree.mode == "and" else any(results)


def get_object(context: Context, object_id: str, types: Sequence[str] = ()) -> StixObject | None:
    """One object the reader may see, of one of ``types`` (STIX types; any when empty)."""
    stored = context.runtime.store.get(object_id, access=context.access)
    if stored is None or (types and stored.data.get("type") not in types):
        return None
    return stored.data


def _ids_wanted(tree: FilterTree) -> list[str] | None:
    if tree.mode != "and":
        return None
    for item in tree.filters:
        if set(item.keys) & ID_KEYS and item.operator == "eq":
            return [str(v) for v in item.values]
    return None


def _candidates(context: Context, types: Sequence[str], search: str | None) -> Iterator[StixObject]:
    cursor: str | None = None
    scanned = 0
    while scanned < MAX_SCANNED:
        query = ObjectQuery(types=tuple(types), text=search or None, limit=SCAN_PAGE, cursor=cursor)
        page = context.runtime.store.query(query, access=context.access)
        yield from page.objects
        scanned += SCAN_PAGE
        cursor = page.next_cursor
        if cursor is None:
            return


def find(
    context: Context,
    types: Sequence[str],
    filters: dict[str, Any] | None,
    search: str | None = None,
) -> list[tuple[StixObject, dict[str, Any]]]:
    """Every readable object of ``types`` matching ``filters`` and ``search``, with its node."""
    tree = parse_filters(filters)
    ids = _ids_wanted(tree)
    if ids is not None:
        objects: Iterator[StixObject] = iter(
            [o for i in ids if (o := get_object(context, i, types)) is not None]
        )
    else:
        objects = _candidates(context, types, search)
    matching = [obj for obj in objects if matches(obj, nodes.light(obj), tree)]
    return [(obj, nodes.node(context, obj)) for obj in matching]


def connection(found: list[dict[str, Any]], first: int | None, after: str | None) -> dict[str, Any]:
    """OpenCTI's connection (edges and pageInfo); the cursor is an offset."""
    start = int(after) if after and after.isdigit() else 0
    size = first if first and first > 0 else len(found)
    page = found[start : start + size]
    end = start + len(page)
    return {
        "edges": [{"node": n, "cursor": str(start + i + 1)} for i, n in enumerate(page)],
        "pageInfo": {
            "startCursor": str(start),
            "endCursor": str(end),
            "hasNextPage": end < len(found),
            "hasPreviousPage": start > 0,
            "globalCount": len(found),
        },
    }
