"""A knowledge base of any size, built deterministically from the real corpora in shared/data.

Copy 0 is the corpora as they are; copy ``k`` renames every id (a UUIDv5 of ``k`` and the old
id, references rewritten alike) and every name, value and alias (`` #k`` appended), so copies
never merge and text searches find each copy's names. Objects come in a fixed order, copy after
copy: within a copy, ordered by a hash of their original id.
Marking definitions are shared by every copy (never renamed).

The store is imported a whole copy at a time (``slices``), as issue 18 describes it ("imported
one copy after the other"): every slice holds the same mix of kinds and its own references, so
a slice's import rate depends on the size of the store it lands in, not on what it holds. (Cut
at fixed sizes, a slice ended inside a copy: its last objects waited for references that only
the next slice brought, and every slice but the first paid for relinking the one before.)
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

NAMESPACE = uuid.UUID("5f1f4f9e-6d8c-4c1b-9b7a-2d0c3e1a7b55")
FILES = (
    "mitre-cti-enterprise-attack.json",
    "mitre-cti-mobile-attack.json",
    "attack-stix-data-ics-attack-17.1.json",
    "mitre-cti-capec-2.1.json",
    "unit42-playbooks",
)
RENAMED = ("name", "value")
ALIASES = ("aliases", "x_mitre_aliases")
KEEP = ("marking-definition",)


def originals(data_dir: Path) -> list[dict[str, Any]]:
    """Every object of the corpora once (first occurrence of an id wins), in the fixed order."""
    seen: set[str] = set()
    found: list[dict[str, Any]] = []
    for path in _paths(data_dir):
        for obj in orjson.loads(path.read_bytes()).get("objects", []):
            if obj.get("id") and obj["id"] not in seen:
                seen.add(obj["id"])
                found.append(obj)
    return sorted(found, key=_order)


def _order(obj: dict[str, Any]) -> str:
    return hashlib.sha256(obj["id"].encode()).hexdigest()


def _paths(data_dir: Path) -> Iterator[Path]:
    for name in FILES:
        path = data_dir / name
        if path.is_dir():
            yield from sorted(path.glob("*.json"))
        elif path.is_file():
            yield path


def objects(data_dir: Path, size: int) -> Iterator[dict[str, Any]]:
    """``size`` objects: copies 0, 1, 2… of the corpora (shared markings only in copy 0)."""
    base = originals(data_dir)
    produced, copy = 0, 0
    while produced < size:
        for obj in base:
            if copy and obj["type"] in KEEP:
                continue
            yield obj if copy == 0 else renamed(obj, copy)
            produced += 1
            if produced == size:
                return
        copy += 1


def renamed(obj: dict[str, Any], copy: int) -> dict[str, Any]:
    out = _rewrite(obj, copy)
    for key in RENAMED:
        if isinstance(obj.get(key), str):
            out[key] = f"{obj[key]} #{copy}"
    for key in ALIASES:
        if isinstance(obj.get(key), list):
            out[key] = [f"{alias} #{copy}" for alias in obj[key]]
    if isinstance(out.get("x_mitre_id"), str):
        out["x_mitre_id"] = f"{out['x_mitre_id']} #{copy}"
    if isinstance(out.get("external_references"), list):
        out["external_references"] = [_reference(ref, copy) for ref in out["external_references"]]
    return out


def _reference(reference: Any, copy: int) -> Any:
    if not isinstance(reference, dict) or not isinstance(reference.get("external_id"), str):
        return reference
    if not str(reference.get("source_name", "")).startswith("mitre-"):
        return reference
    return {**reference, "external_id": f"{reference['external_id']} #{copy}"}


def _rewrite(value: Any, copy: int) -> Any:
    if isinstance(value, dict):
        return {key: _rewrite(item, copy) for key, item in value.items()}
    if isinstance(value, list):
        return [_rewrite(item, copy) for item in value]
    if isinstance(value, str) and "--" in value and not value.startswith(KEEP):
        return _new_id(value, copy)
    return value


def _new_id(value: str, copy: int) -> str:
    kind, _, tail = value.partition("--")
    try:
        uuid.UUID(tail)
    except ValueError:
        return value
    return f"{kind}--{uuid.uuid5(NAMESPACE, f'{copy}:{value}')}"


def slices(data_dir: Path, size: int, parts: int) -> Iterator[list[dict[str, Any]]]:
    """The store, slice by slice: whole copies, one a slice, as many as it takes to hold at
    least ``size`` objects; below the size of one copy, its first ``size`` objects in ``parts``
    slices (a smoke run)."""
    base = originals(data_dir)
    if size < len(base):
        part = max(1, -(-size // parts))
        for start in range(0, size, part):
            yield base[start : min(start + part, size)]
        return
    for copy in range(-(-size // len(base))):
        if copy == 0:
            yield base
        else:
            yield [renamed(obj, copy) for obj in base if obj["type"] not in KEEP]
