"""Real STIX test data from the shared data folder (read in place, never copied)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import orjson

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
STIX = DATA / "stix"
OPENCTI = DATA / "opencti-fixtures"
ENTERPRISE = STIX / "mitre-cti-enterprise-attack.json"
MOBILE = STIX / "mitre-cti-mobile-attack.json"
UNIT42 = STIX / "unit42-playbooks"


@cache
def _objects(path: Path) -> tuple[dict, ...]:
    document = orjson.loads(path.read_bytes())
    return tuple(document["objects"])


def objects(path: Path) -> list[dict]:
    """The objects of the bundle at ``path`` (parsed once per test session; do not mutate)."""
    return list(_objects(path))


def unit42_files() -> list[Path]:
    return sorted(UNIT42.glob("*.json"))
