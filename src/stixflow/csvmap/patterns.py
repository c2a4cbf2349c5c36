"""STIX patterns (STIX 2.1 §9): built from observables, and checked with stix2-patterns.

``pattern_of`` writes one comparison per observable (``[ipv4-addr:value = '198.51.100.1']``,
``[file:hashes.'SHA-256' = '…']``), string literals escaped as §9.3 says (backslash and quote),
several observables joined with ``OR``. The builder is tested against the OASIS validator
(``tests/csvmap/test_patterns.py``) rather than calling it per row (ANTLR costs ~5 ms a
pattern); every pattern read from a column goes through the validator before it reaches an
indicator.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stix2patterns.validator import run_validator

from stixflow.csvmap.catalog import HASH_ALGORITHMS

#: The property a pattern compares, per observable type (hashes are handled apart).
_VALUE_PROPERTY = {
    "autonomous-system": "number",
    "directory": "path",
    "domain-name": "value",
    "email-addr": "value",
    "file": "name",
    "ipv4-addr": "value",
    "ipv6-addr": "value",
    "mac-addr": "value",
    "mutex": "name",
    "software": "name",
    "url": "value",
    "x509-certificate": "serial_number",
}


class PatternError(ValueError):
    """A pattern that the STIX 2.1 pattern grammar refuses."""


def literal(value: object) -> str:
    """A pattern literal: integers as they are, text quoted with ``\\`` and ``'`` escaped."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


def comparisons(observable: dict[str, Any]) -> list[str]:
    """The comparisons that identify one observable (its hashes first, else its value)."""
    object_type = observable["type"]
    hashes = observable.get("hashes") or {}
    found = [
        f"{object_type}:hashes.'{algorithm}' = {literal(hashes[algorithm])}"
        for algorithm in HASH_ALGORITHMS
        if algorithm in hashes
    ]
    if found:
        return found
    prop = _VALUE_PROPERTY.get(object_type)
    if prop is None or observable.get(prop) in (None, ""):
        raise PatternError(f"no pattern can be built for this {object_type}")
    return [f"{object_type}:{prop} = {literal(observable[prop])}"]


def pattern_of(observables: Sequence[dict[str, Any]]) -> str:
    """One pattern matching any of ``observables``."""
    if not observables:
        raise PatternError("no observable to build a pattern from")
    terms = [term for obs in observables for term in comparisons(obs)]
    return "[" + " OR ".join(terms) + "]"


def check_pattern(pattern: str) -> None:
    """PatternError with the validator's first message when ``pattern`` is not STIX 2.1."""
    errors = run_validator(pattern, stix_version="2.1")
    if errors:
        raise PatternError(f"not a valid STIX 2.1 pattern: {errors[0]}")
