"""Notes of repairs, and the NUL-character repair every object goes through.

The repairs of invalid objects are in ``stixflow.stix.fixes``; each is recorded on the work
with a note starting with ``REPAIRED``.

``remove_nul`` is applied to every object: PostgreSQL text cannot hold U+0000 while SQLite
can, so NUL characters are removed from every string value on both back ends alike, and the
work records which properties lost them (``nul_note``; property names keep theirs: they are
only ever stored inside the JSON text, where the character is escaped). The submitter removes
them before it computes deterministic ids (so that ``Zeus\x00Panda`` gets the id of
``ZeusPanda``), the worker again for messages that did not come through it.
"""

from __future__ import annotations

from typing import Any

import orjson

NUL = "\x00"
#: How a work's note of a repair begins (it is kept with the errors, not counted as a failure).
REPAIRED = "repaired: "
#: How a work's warning begins (references to objects not held yet: ``store.missing``).
WARNING = "warning: "


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


def repair_note(notes: list[str]) -> str:
    """The note a work records for an invalid object the fixes made valid."""
    return REPAIRED + "; ".join(notes)


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
