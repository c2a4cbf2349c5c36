"""Granular markings (STIX 2.1 §7.2.3): what one reader may see of one object.

A granular marking puts a marking definition on parts of an object, named by selectors:
``description``, ``labels.[1]``, ``external_references.[0].url``. ``redact`` cuts, for a reader
allowed a set of marking ids, every part selected by a granular marking outside that set:

* the object is hidden whole (``None``) when one of its ``object_marking_refs`` is not allowed,
  or when a cut part is a property the object cannot lose (``name``, ``id``, ``type``, an
  indicator's ``pattern``…: ``REQUIRED``; STIX forbids removing them, and showing the object
  without them would show something else), or when a selector cannot be read;
* a selected property is removed; a selected list element is removed from its list; a list or
  dictionary emptied that way is removed too (STIX forbids empty ones);
* the granular markings the reader may not see are removed; nothing else is added or changed.

Two versions merged keep the granular markings of both (``merged_markings``): a part kept from
one version keeps its markings even when the other version marks other parts. A marking is
never lost in a merge; only a replacing write (perfect synchronisation) removes one.

``hiding_markings`` are the markings that decide whether an object is seen at all (its
``object_marking_refs`` and the granular markings on properties it cannot lose): the store
indexes them for its SQL filter, so counts, relationship ends and pages agree with ``redact``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Set
from typing import Any

from stixflow.stix.ids import canonical_json

StixObject = dict[str, Any]
Path = tuple[str | int, ...]

#: Properties every object keeps (STIX 2.1 §3.2 common properties, §6 SCO common properties).
COMMON_REQUIRED = frozenset({"type", "id", "spec_version", "created", "modified"})
#: Properties each type cannot lose (required, or required in the usual case: a malware family's
#: name, a location's place), from the STIX 2.1 sections of each object (§4-§6).
REQUIRED: dict[str, frozenset[str]] = {
    object_type: COMMON_REQUIRED | frozenset(names.split())
    for object_type, names in {
        "attack-pattern": "name",
        "campaign": "name",
        "course-of-action": "name",
        "grouping": "context object_refs",
        "identity": "name",
        "incident": "name",
        "indicator": "pattern pattern_type valid_from",
        "infrastructure": "name",
        "intrusion-set": "name",
        "location": "region country latitude longitude",
        "malware": "name is_family",
        "malware-analysis": "product result analysis_sco_refs",
        "note": "content object_refs",
        "observed-data": "first_observed last_observed number_observed object_refs objects",
        "opinion": "opinion object_refs",
        "report": "name published object_refs",
        "threat-actor": "name",
        "tool": "name",
        "vulnerability": "name",
        "relationship": "relationship_type source_ref target_ref",
        "sighting": "sighting_of_ref",
        "marking-definition": "name definition_type definition extensions",
        "language-content": "object_ref object_modified contents",
        "extension-definition": "name schema version extension_types created_by_ref",
        "artifact": "payload_bin url hashes",
        "autonomous-system": "number",
        "directory": "path",
        "domain-name": "value",
        "email-addr": "value",
        "email-message": "is_multipart",
        "file": "name hashes",
        "ipv4-addr": "value",
        "ipv6-addr": "value",
        "mac-addr": "value",
        "mutex": "name",
        "network-traffic": "protocols",
        "software": "name",
        "url": "value",
        "windows-registry-key": "key",
    }.items()
}
#: Other types (custom ones, ``x-mitre-tactic``…) keep their name as well.
OTHER_REQUIRED = COMMON_REQUIRED | {"name"}

_INDEX = re.compile(r"^\[(\d+)\]$")
_CUT = object()  # a part selected for removal, pruned afterwards


def required_properties(object_type: object) -> frozenset[str]:
    return (
        REQUIRED.get(object_type, OTHER_REQUIRED)
        if isinstance(object_type, str)
        else COMMON_REQUIRED
    )


def parse_selector(selector: object) -> Path | None:
    """``external_references.[0].url`` → ``("external_references", 0, "url")``; None when the
    selector is not one (a selector starts with a property name, STIX 2.1 §7.2.3.1)."""
    if not isinstance(selector, str) or not selector:
        return None
    path: list[str | int] = []
    for part in selector.split("."):
        index = _INDEX.match(part)
        if index is not None:
            path.append(int(index.group(1)))
        elif part and "[" not in part and "]" not in part:
            path.append(part)
        else:
            return None
    return tuple(path) if isinstance(path[0], str) else None


def redact(obj: StixObject, allowed: Set[str] | None) -> StixObject | None:
    """``obj`` as a reader allowed ``allowed`` (None: everything) may see it; None: not at all.

    Returns ``obj`` itself when nothing is cut, else a new dict (``obj`` is never changed). The
    selectors of the granular markings kept follow the parts they name (``labels.[2]`` becomes
    ``labels.[1]`` once ``labels.[1]`` is cut; a selector whose part is cut goes).
    """
    if allowed is None:
        return obj
    if not all(ref in allowed for ref in _object_markings(obj)):
        return None
    entries = _entries(obj.get("granular_markings"))
    hidden = [entry for entry in entries if not _sees(entry, allowed)]
    if not hidden:
        return obj
    paths = [parse_selector(s) for entry in hidden for s in _selectors(entry)]
    required = required_properties(obj.get("type"))
    if any(path is None or path[0] in required for path in paths):
        return None
    cut = copy.deepcopy(obj)
    cut.pop("granular_markings", None)
    for path in paths:
        assert path is not None
        _mark(cut, path, _CUT)
    kept = [entry for entry in entries if _sees(entry, allowed)]
    tags = _tag_selectors(cut, kept)
    result: StixObject = _prune(cut)
    moved: dict[int, str] = {}
    result = _untag(result, (), moved)
    markings = [_moved(entry, tags[index], moved) for index, entry in enumerate(kept)]
    markings = [entry for entry in markings if entry is not None]
    if markings and "granular_markings" not in _cut_roots(paths):
        result["granular_markings"] = markings
    return result


def hiding_markings(obj: StixObject) -> list[str]:
    """The marking ids a reader must be allowed to see ``obj`` at all, without duplicates."""
    found = dict.fromkeys(_object_markings(obj))
    required = required_properties(obj.get("type"))
    for entry in _entries(obj.get("granular_markings")):
        ref = entry.get("marking_ref")
        if not isinstance(ref, str):
            continue
        paths = [parse_selector(s) for s in _selectors(entry)]
        if any(path is None or path[0] in required for path in paths):
            found[ref] = None
    return list(found)


def merged_markings(
    existing: StixObject, incoming: StixObject, merged: StixObject, unioned: Set[str]
) -> list[dict[str, Any]]:
    """The granular markings of ``merged`` (``stixflow.stix.merge``): those of both versions,
    so that no part loses a marking because the other version did not carry it. Lists in
    ``unioned`` keep the existing items first; an incoming selector of one of their items
    follows the item to its place in the merged list."""
    found = _entries(existing.get("granular_markings"))
    seen = {canonical_json(entry) for entry in found}
    for entry in _entries(incoming.get("granular_markings")):
        moved = _follow(entry, incoming, merged, unioned)
        if canonical_json(moved) not in seen:
            seen.add(canonical_json(moved))
            found.append(moved)
    return found


def _follow(
    entry: dict[str, Any], incoming: StixObject, merged: StixObject, unioned: Set[str]
) -> dict[str, Any]:
    selectors = entry.get("selectors")
    if not isinstance(selectors, list):
        return entry
    moved = [_moved_selector(selector, incoming, merged, unioned) for selector in selectors]
    return {**entry, "selectors": moved}


def _moved_selector(
    selector: object, incoming: StixObject, merged: StixObject, unioned: Set[str]
) -> object:
    path = parse_selector(selector)
    if path is None or len(path) < 2 or path[0] not in unioned or not isinstance(path[1], int):
        return selector
    key, index = str(path[0]), path[1]
    items, into = incoming.get(key), merged.get(key)
    if not isinstance(items, list) or not isinstance(into, list) or index >= len(items):
        return selector
    wanted = canonical_json(items[index]) if not isinstance(items[index], str) else items[index]
    for place, item in enumerate(into):
        if (item if isinstance(item, str) else canonical_json(item)) == wanted:
            return _selector((key, place, *path[2:]))
    return selector


def _object_markings(obj: StixObject) -> list[str]:
    refs = obj.get("object_marking_refs")
    return [ref for ref in refs if isinstance(ref, str)] if isinstance(refs, list) else []


def _entries(granular: object) -> list[dict[str, Any]]:
    return (
        [entry for entry in granular if isinstance(entry, dict)]
        if isinstance(granular, list)
        else []
    )


def _sees(entry: dict[str, Any], allowed: Set[str]) -> bool:
    """A language marking (``lang``) restricts nobody; a marking needs its id allowed."""
    if "marking_ref" not in entry:
        return "lang" in entry
    ref = entry["marking_ref"]
    return isinstance(ref, str) and ref in allowed


def _selectors(entry: dict[str, Any]) -> list[object]:
    selectors = entry.get("selectors")
    return list(selectors) if isinstance(selectors, list) and selectors else [None]


def _cut_roots(paths: list[Path | None]) -> set[str | int]:
    return {path[0] for path in paths if path is not None}


class _Tag:
    """A part named by a kept selector, wrapped to find where it ends up after the cuts."""

    __slots__ = ("number", "value")

    def __init__(self, number: int, value: Any) -> None:
        self.number = number
        self.value = value


def _tag_selectors(obj: StixObject, kept: list[dict[str, Any]]) -> list[list[int | None]]:
    """Wrap the part each kept selector names; per entry, per selector, its tag number (None:
    the selector names nothing, or a part already cut)."""
    numbers: list[list[int | None]] = []
    count = 0
    for entry in kept:
        found: list[int | None] = []
        for selector in entry.get("selectors") or ():
            path = parse_selector(selector)
            if path is not None and _mark(obj, path, lambda value, n=count: _Tag(n, value)):
                found.append(count)
                count += 1
            else:
                found.append(None)
        numbers.append(found)
    return numbers


def _moved(
    entry: dict[str, Any], numbers: list[int | None], moved: dict[int, str]
) -> dict[str, Any] | None:
    """``entry`` with its selectors renamed after the cuts; None when none of them is left."""
    if "selectors" not in entry:
        return entry
    selectors = [moved[n] for n in numbers if n is not None and n in moved]
    return {**entry, "selectors": selectors} if selectors else None


def _mark(obj: StixObject, path: Path, replace: Any) -> bool:
    """Replace the part at ``path`` (``_CUT``, or ``replace(part)`` when callable); False when
    there is no such part (or it is already cut)."""
    parent: Any = obj
    for step in path[:-1]:
        parent = _child(parent, step)
        if parent is None or parent is _CUT:
            return False
    parent = _unwrap(parent)
    last = path[-1]
    if isinstance(last, int) and isinstance(parent, list) and last < len(parent):
        key: str | int = last
    elif isinstance(last, str) and isinstance(parent, dict) and last in parent:
        key = last
    else:
        return False
    if parent[key] is _CUT:
        return False
    parent[key] = replace(parent[key]) if callable(replace) else replace
    return True


def _unwrap(value: Any) -> Any:
    while isinstance(value, _Tag):
        value = value.value
    return value


def _child(value: Any, step: str | int) -> Any:
    value = _unwrap(value)
    if isinstance(step, int):
        return value[step] if isinstance(value, list) and step < len(value) else None
    return value.get(step) if isinstance(value, dict) else None


def _prune(value: Any) -> Any:
    """``value`` without its cut parts; a container emptied by cuts becomes a cut part."""
    if isinstance(value, _Tag):
        inner = _prune(value.value)
        return _CUT if inner is _CUT else _Tag(value.number, inner)
    if isinstance(value, dict):
        kept = {key: _prune(item) for key, item in value.items() if item is not _CUT}
        kept = {key: item for key, item in kept.items() if item is not _CUT}
        return _CUT if value and not kept else kept
    if isinstance(value, list):
        items = [_prune(item) for item in value if item is not _CUT]
        items = [item for item in items if item is not _CUT]
        return _CUT if value and not items else items
    return value


def _untag(value: Any, path: Path, moved: dict[int, str]) -> Any:
    """``value`` without tags; ``moved`` gets the selector of each tag's new place."""
    while isinstance(value, _Tag):
        moved[value.number] = _selector(path)
        value = value.value
    if isinstance(value, dict):
        return {key: _untag(item, (*path, key), moved) for key, item in value.items()}
    if isinstance(value, list):
        return [_untag(item, (*path, index), moved) for index, item in enumerate(value)]
    return value


def _selector(path: Path) -> str:
    return ".".join(f"[{step}]" if isinstance(step, int) else step for step in path)
