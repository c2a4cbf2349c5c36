"""Lossless repairs of common real-world STIX defects, tried only on objects that fail validation.

Real corpora carry small defects that make a whole object invalid (MITRE ATT&CK for ICS cites
some sources with a plain-text "url"). Rejecting the object would drop good intelligence, so the
worker tries these repairs and validates again; nothing is silently discarded: a moved value is
kept in the reference's ``description``.
"""

from __future__ import annotations

import re
from typing import Any

URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s\"<>\\^`{|}]+$")


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
