"""Bundles: parse, follow and rewrite references, normalise, order for writing, split.

STIX 2.1 section 8 (bundle) and section 3.7 / 5 (identifier references: every ``*_ref``
and ``*_refs`` property, including those inside granular markings, extensions and
embedded objects).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import orjson

from stixflow.errors import InvalidBundle, InvalidObject
from stixflow.stix.ids import DETERMINISTIC_TYPES, deterministic_id
from stixflow.stix.timestamps import sort_key
from stixflow.stix.twins import authoritative_ids, to_separate, twin_id
from stixflow.stix.upgrade import to_v21

#: What a reference value looks like (``type--UUID``); 2.0 observed-data also uses local keys
#: such as ``"0"`` inside its embedded objects, which are not ids and are left alone.
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*--[0-9a-fA-F-]{36}$")

#: Write levels (STIX 2.1 dependency order: what is referenced comes first).
_LEVELS = {
    "marking-definition": 0,
    "identity": 1,
    "extension-definition": 2,
    "relationship": 4,
    "sighting": 4,
    "report": 5,
    "note": 5,
    "opinion": 5,
    "grouping": 5,
    "observed-data": 5,
    "language-content": 5,
}
_DEFAULT_LEVEL = 3

_T = TypeVar("_T")
#: Stored objects by id, for the ids asked (``Normalizer``'s view of the store).
HeldLookup = Callable[[list[str]], Mapping[str, dict]]


def parse_bundle(data: bytes | str | dict | list) -> list[dict]:
    """The objects of a bundle, of a single object or of a list of objects.

    Raises InvalidBundle for text that is not JSON, a JSON value that is neither an object nor
    an array, a bundle or list without objects, and objects that are not JSON objects.
    """
    document = _decode(data) if isinstance(data, bytes | str) else data
    if isinstance(document, dict):
        objects = _bundle_objects(document)
    elif isinstance(document, list):
        objects = document
    else:
        raise InvalidBundle(
            f"expected a STIX bundle, object or list of objects, got {type(document).__name__}"
        )
    if not objects:
        raise InvalidBundle("the bundle holds no objects")
    for index, item in enumerate(objects):
        if not isinstance(item, dict):
            raise InvalidBundle(f"objects[{index}] is a {_json_kind(item)}, not a JSON object")
    return objects


def _decode(data: bytes | str) -> object:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InvalidBundle(f"not valid JSON: {exc}") from exc


def _bundle_objects(document: dict) -> list:
    if document.get("type") != "bundle":
        if "type" not in document:
            raise InvalidBundle("a JSON object without 'type' is neither a bundle nor STIX")
        return [document]
    objects = document.get("objects", [])
    if not isinstance(objects, list):
        raise InvalidBundle(f"'objects' must be an array, not a {_json_kind(objects)}")
    return objects


def _json_kind(value: object) -> str:
    kinds = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return kinds.get(type(value), "number")


# -- references -----------------------------------------------------------------------------------


def is_identifier(value: object) -> bool:
    """True for a string that looks like a STIX identifier (``type--UUID``)."""
    return isinstance(value, str) and _ID_RE.match(value) is not None


def references(obj: dict) -> set[str]:
    """Every id held by a ``*_ref`` or ``*_refs`` property of ``obj``, at any depth."""
    found: set[str] = set()
    _collect(obj, found)
    return found


def _collect(value: object, found: set[str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and key.endswith("_ref"):
                if isinstance(item, str) and _ID_RE.match(item):
                    found.add(item)
            elif isinstance(key, str) and key.endswith("_refs") and isinstance(item, list):
                found.update(ref for ref in item if isinstance(ref, str) and _ID_RE.match(ref))
            else:
                _collect(item, found)
    elif isinstance(value, list):
        for item in value:
            _collect(item, found)


def rewrite_refs(obj: dict, id_map: dict[str, str]) -> dict:
    """A new dict with every reference found by ``references`` remapped through ``id_map``.

    Ids absent from ``id_map`` stay as they are; ``obj`` is not modified. Nested values that
    hold no remapped reference are shared with ``obj``, not copied (this runs on every object
    of a bundle, so it must be cheap).
    """
    rewritten = _rewrite_dict(obj, id_map)
    return dict(obj) if rewritten is obj else rewritten


def _rewrite_dict(obj: dict, id_map: dict[str, str]) -> dict:
    changed: dict | None = None
    for key, item in obj.items():
        kind = type(item)
        if kind is str:  # the common case, inline: only a ``*_ref`` value can change
            if not (type(key) is str and key.endswith("_ref") and item in id_map):
                continue
            new: object = id_map[item]
        elif kind is dict or kind is list:
            new = _rewrite_item(key, item, id_map)
        else:
            continue  # numbers, booleans, null: nothing to rewrite
        if new is not item:
            if changed is None:
                changed = dict(obj)
            changed[key] = new
    return obj if changed is None else changed


# STIX 2.1 properties whose values can never hold a reference (§2.5, §2.8): not walked.
_REF_FREE = frozenset(
    {"external_references", "kill_chain_phases", "labels", "aliases", "description", "name"}
)


def _rewrite_item(key: object, item: object, id_map: dict[str, str]) -> object:
    if key in _REF_FREE:
        return item
    if type(item) is str:
        if isinstance(key, str) and key.endswith("_ref") and item in id_map:
            return id_map[item]
        return item
    if isinstance(key, str) and key.endswith("_refs") and isinstance(item, list):
        if any(isinstance(ref, str) and ref in id_map for ref in item):
            return [id_map.get(ref, ref) if isinstance(ref, str) else ref for ref in item]
        return item
    return _rewrite_nested(item, id_map)


def _rewrite_nested(value: object, id_map: dict[str, str]) -> object:
    if type(value) is dict:
        return _rewrite_dict(value, id_map)
    if type(value) is list:
        new = [_rewrite_nested(item, id_map) for item in value]
        return value if all(a is b for a, b in zip(new, value, strict=True)) else new
    return value


# -- normalisation --------------------------------------------------------------------------------


@dataclass
class Normalized:
    """Objects after ``normalize``, and the ids they were known by before (old id -> new id)."""

    objects: list[dict]
    aliases: dict[str, str] = field(default_factory=dict)


def normalize(objects: list[dict]) -> Normalized:
    """Upgrade to 2.1, give deterministic ids, and point every reference at the new ids.

    Objects that cannot be upgraded are passed through untouched (validation rejects them
    later). Two objects may end up with the same id (two sources naming one malware): merging
    them is the store's job (``stixflow.stix.merge``). All versions of one object get one id:
    when a batch holds versions under different names (a rename), the id comes from the
    version with the latest ``modified`` (the last one on ties).
    """
    normalizer = Normalizer(objects)
    return Normalized([normalizer.one(index) for index in range(len(objects))], normalizer.aliases)


class Normalizer:
    """``normalize`` in two steps, so that a caller can hand out objects before all are done.

    Building it computes the id map (``aliases``, old id -> deterministic id) over the whole
    batch: only the objects of a type with a deterministic id (``ids.DETERMINISTIC_TYPES``) are
    upgraded for that, a small part of a typical bundle. ``one(index)`` then gives object
    ``index`` exactly as ``normalize`` would. ``held`` (stored objects by id) lets twins be
    told apart from an object already held under their name-based id.
    """

    def __init__(self, objects: Sequence[dict], *, held: HeldLookup | None = None) -> None:
        self.objects = objects
        self._upgraded: dict[int, dict | None] = {}
        for index, obj in enumerate(objects):
            if isinstance(obj, dict) and _has_deterministic_type(obj):
                self._upgraded[index] = _upgrade(obj)
        upgraded = [obj for obj in self._upgraded.values() if obj is not None]
        self.aliases = _aliases(upgraded, held)

    def one(self, index: int) -> dict:
        """Object ``index`` upgraded, re-identified and with its references rewritten."""
        old = self.objects[index]
        new = self._upgraded.pop(index) if index in self._upgraded else _upgrade(old)
        if new is None:
            return old
        if not self.aliases:
            return new
        rewritten = rewrite_refs(new, self.aliases)
        object_id = new.get("id")
        if isinstance(object_id, str) and object_id in self.aliases:
            rewritten["id"] = self.aliases[object_id]
        return rewritten


def _has_deterministic_type(obj: dict) -> bool:
    object_type = obj.get("type")
    return isinstance(object_type, str) and object_type in DETERMINISTIC_TYPES


def _aliases(objects: list[dict], held: HeldLookup | None = None) -> dict[str, str]:
    """Old id -> deterministic id, taken from the latest version of each object; twins (one
    name-based id, different authoritative external ids: ``stixflow.stix.twins``) are kept
    apart, the ones that do not keep the name-based id getting their twin id."""
    latest: dict[str, tuple[tuple[str, str], str, dict]] = {}
    for obj in objects:
        old_id, new_id = obj.get("id"), deterministic_id(obj)
        if not isinstance(old_id, str) or new_id is None:
            continue
        modified = obj.get("modified")
        version = sort_key(modified) if isinstance(modified, str) else ("", "")
        if old_id not in latest or version >= latest[old_id][0]:
            latest[old_id] = (version, new_id, obj)
    found = {old: new for old, (_, new, _) in latest.items()}
    found.update(_twin_moves(latest, held))
    return {old: new for old, new in found.items() if new != old}


def _twin_moves(
    latest: dict[str, tuple[tuple[str, str], str, dict]], held: HeldLookup | None
) -> dict[str, str]:
    """Old id -> twin id of the objects that must not take their name-based id."""
    groups: dict[str, list[tuple[str, dict]]] = {}
    for old_id, (_, new_id, obj) in latest.items():
        if authoritative_ids(obj):
            groups.setdefault(new_id, []).append((old_id, obj))
    stored = held(sorted(groups)) if held is not None and groups else {}
    moves: dict[str, str] = {}
    for new_id, members in groups.items():
        if len(members) < 2 and new_id not in stored:
            continue
        claiming = [obj for old_id, obj in members if old_id == new_id]
        keeper = stored.get(new_id) or (claiming[0] if claiming else None)
        for index in to_separate([obj for _, obj in members], keeper):
            old_id, obj = members[index]
            twin = twin_id(obj)
            if twin is not None and old_id != new_id:
                moves[old_id] = twin
    return moves


def _upgrade(obj: object) -> dict | None:
    if not isinstance(obj, dict):
        return None
    try:
        return to_v21(obj)
    except InvalidObject:
        return None


# -- writing --------------------------------------------------------------------------------------


def write_order(objects: list[dict]) -> list[dict]:
    """``objects`` in dependency order, stable within each level.

    Levels: marking definitions; identities; extension definitions; other SDOs and SCOs;
    relationships and sightings; containers (report, note, opinion, grouping, observed-data,
    language-content), which may point at anything before them.
    """
    return sorted(objects, key=_level)


def write_order_indexes(objects: Sequence[dict]) -> list[int]:
    """The positions of ``objects`` in ``write_order`` (normalising keeps every type)."""
    return sorted(range(len(objects)), key=lambda index: _level(objects[index]))


def _level(obj: dict) -> int:
    object_type = obj.get("type")
    return (
        _LEVELS.get(object_type, _DEFAULT_LEVEL) if isinstance(object_type, str) else _DEFAULT_LEVEL
    )


def chunks(objects: list[_T], size: int) -> Iterator[list[_T]]:
    """Consecutive slices of at most ``size`` objects (ValueError when size < 1)."""
    if size < 1:
        raise ValueError(f"chunk size must be at least 1, got {size}")
    for start in range(0, len(objects), size):
        yield objects[start : start + size]
