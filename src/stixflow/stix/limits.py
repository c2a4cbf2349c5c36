"""Bounds on the shape of one STIX object, measured without recursion.

Every later step (normalising, validating with jsonschema-rs, serialising with orjson, merging)
walks an object recursively, and each gives up somewhere between 250 and 1,000 levels with its
own exception. An object nested deeper than ``MAX_DEPTH`` is refused before any of them sees
it; real STIX objects (extensions, granular markings, embedded observables) stay under ten.
"""

from __future__ import annotations

MAX_DEPTH = 100


def too_deep(value: object, *, limit: int = MAX_DEPTH) -> bool:
    """True when ``value`` nests JSON objects or arrays more than ``limit`` levels deep."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: list[object] = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def depth_reason(limit: int = MAX_DEPTH) -> str:
    return f"nested deeper than {limit} levels of JSON objects and arrays"
