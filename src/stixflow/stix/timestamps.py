"""STIX timestamp strings: parsing, millisecond form and ordering.

STIX 2.1 section 3.2 (timestamp): RFC 3339 in UTC with a ``Z`` suffix; ``created`` and
``modified`` must be precise to at least the millisecond. Everything here works on the
strings themselves (no ``datetime`` round trip), so values keep every digit they carry
unless a function says otherwise.
"""

from __future__ import annotations

import re

TIMESTAMP_RE = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$")


def to_millis(value: str) -> str | None:
    """``value`` as ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (padded or truncated), or None if malformed."""
    match = TIMESTAMP_RE.match(value)
    if match is None:
        return None
    fraction = (match.group(2) or "")[:3].ljust(3, "0")
    return f"{match.group(1)}.{fraction}Z"


def to_stix2_library_form(value: str) -> str:
    """``value`` the way the ``stix2`` library writes it: microseconds at most, no trailing zeros.

    Used for timestamps that contribute to deterministic SCO ids (network-traffic start/end), so
    that ids match what ``stix2`` generates. Malformed values are returned unchanged.
    """
    match = TIMESTAMP_RE.match(value)
    if match is None:
        return value
    fraction = (match.group(2) or "")[:6].rstrip("0")
    return f"{match.group(1)}.{fraction}Z" if fraction else f"{match.group(1)}Z"


def sort_key(value: str) -> tuple[str, str]:
    """A key ordering timestamps by time, whatever their fractional precision.

    Malformed values sort by their raw text after the date-time part of well-formed ones would
    (they compare as strings, which is the best that can be done without a time).
    """
    match = TIMESTAMP_RE.match(value)
    if match is None:
        return (value, "")
    return (match.group(1), (match.group(2) or "").ljust(9, "0"))
