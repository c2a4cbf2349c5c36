"""Repairs of common real-world STIX defects, so that one small defect does not cost an object.

``repair`` is tried only on objects that fail validation: real corpora carry small defects that
make a whole object invalid (MITRE ATT&CK for ICS cites some sources with a plain-text "url").
Rejecting the object would drop good intelligence, so the worker tries these repairs and
validates again; nothing is silently discarded: a moved value is kept in the reference's
``description``.

``remove_nul`` is applied to every object: PostgreSQL text cannot hold U+0000 while SQLite
can, so NUL characters are removed from every string value on both back ends alike, and the
work records which properties lost them (``nul_note``; property names keep theirs: they are
only ever stored inside the JSON text, where the character is escaped). The submitter removes
them before it computes deterministic ids (so that ``Zeus\x00Panda`` gets the id of
``ZeusPanda``), the worker again for messages that did not come through it.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s\"<>\\^`{|}]+$")
NUL = "\x00"
#: How a work's note of a repair begins (it is kept with the errors, not counted as a failure).
REPAIRED = "repaired: "
#: How a work's warning begins (references to objects not held yet: ``store.missing``).
WARNING = "warning: "


def repair(obj: dict[str, Any]) -> dict[str, Any] | None:
    """A repaired copy of ``obj``, or None when no repair applies."""
    references = obj.get("external_references")
    if not isinstance(references, list):
        return None
    fixed = [_fix_reference(ref) for ref in references]
    if all(new is old for new, old in zip(fixed, references, strict=True)):
        return None
    return {**obj, "external_references": fixed}


def _fix_reference(ref: Any) -> Any:
    if not isinstance(ref, dict):
        return ref
    url = ref.get("url")
    if not isinstance(url, str) or URI.match(url):
        return ref
    fixed = {key: value for key, value in ref.items() if key != "url"}
    description = ref.get("description")
    fixed["description"] = f"{description} ({url})" if description else url
    return fixed


def remove_nul(obj: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``obj`` without NUL characters in its string values, and the paths that had some.

    ``obj`` itself when it has none (found out in C: orjson writes U+0000 as ``\\u0000``).
    Recursive: call it on objects within ``limits.MAX_DEPTH``.
    """
    if b"\\u0000" not in orjson.dumps(obj):
        return obj, []
    paths: list[str] = []
    cleaned = _without_nul(obj, "", paths)
    assert isinstance(cleaned, dict)
    return (cleaned, paths) if paths else (obj, [])


def nul_note(paths: list[str]) -> str:
    """The note a work records for an object whose NUL characters were removed."""
    shown = ", ".join(f"'{path}'" for path in paths[:5]) + (" …" if len(paths) > 5 else "")
    return f"{REPAIRED}removed NUL characters from {shown}"


def _without_nul(value: Any, path: str, paths: list[str]) -> Any:
    if isinstance(value, str):
        if NUL not in value:
            return value
        paths.append(path)
        return value.replace(NUL, "")
    if isinstance(value, dict):
        items = {
            key: _without_nul(item, _key_path(path, key), paths) for key, item in value.items()
        }
        return value if all(items[key] is item for key, item in value.items()) else items
    if isinstance(value, list):
        new = [_without_nul(item, f"{path}[{index}]", paths) for index, item in enumerate(value)]
        return value if all(a is b for a, b in zip(new, value, strict=True)) else new
    return value


def _key_path(path: str, key: str) -> str:
    shown = key.replace(NUL, "\\0")
    return f"{path}.{shown}" if path else shown
