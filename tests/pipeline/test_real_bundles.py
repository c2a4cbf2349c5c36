"""The real STIX corpora in ../shared/data/stix import completely, on every back-end pair."""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest

from stixflow.runtime import Runtime
from stixflow.stix.bundle import normalize
from stixflow.store.base import Access
from tests.support import drain

SOAK = bool(os.environ.get("STIXFLOW_SOAK"))
EVERYTHING = Access.everything()
BUNDLES = [
    "attack-stix-data-ics-attack-8.0.json",
    "attack-stix-data-ics-attack-17.1.json",
    "mitre-cti-mobile-attack.json",
    "mitre-cti-capec-2.1.json",
    pytest.param("mitre-cti-enterprise-attack.json", marks=pytest.mark.slow),
]


def load(path: Path) -> list[dict]:
    return orjson.loads(path.read_bytes())["objects"]


def expected_ids(objects: list[dict]) -> set[str]:
    """Distinct objects once name-based ids are applied (the dedup the platform promises)."""
    return {obj["id"] for obj in normalize(objects).objects}


def stored_total(runtime: Runtime) -> int:
    return sum(runtime.store.count_by_type(access=EVERYTHING).values())


@pytest.mark.parametrize("filename", BUNDLES)
def test_real_bundle_imports_completely(runtime: Runtime, data_dir: Path, filename: str) -> None:
    objects = load(data_dir / "stix" / filename)
    work = drain(runtime, runtime.submitter.submit(objects, name=filename), timeout=600)
    assert (work.processed, work.failed) == (len(objects), 0), work.errors[:5]
    assert stored_total(runtime) == len(expected_ids(objects))
    assert len({o["id"] for o in objects}) - stored_total(runtime) < 0.01 * len(objects)
    for original in objects[:: max(1, len(objects) // 50)]:
        stored = runtime.store.get(original["id"], access=EVERYTHING)
        assert stored is not None, original["id"]
        assert stored.data["type"] == original["type"]
        assert stored.data.get("spec_version") == "2.1"


def test_unit42_playbooks_import_with_repeated_versions(runtime: Runtime, data_dir: Path) -> None:
    files = sorted((data_dir / "stix" / "unit42-playbooks").glob("*.json"))
    files = files if SOAK else files[:12]
    everything: list[dict] = []
    for path in files:
        objects = load(path)
        everything.extend(objects)
        work = drain(runtime, runtime.submitter.submit(objects, name=path.name), timeout=600)
        assert (work.processed, work.failed) == (len(objects), 0), (path.name, work.errors[:3])
    assert stored_total(runtime) == len(expected_ids(everything))
    newest: dict[str, str] = {}
    for obj in everything:
        if obj.get("modified", "") > newest.get(obj["id"], ""):
            newest[obj["id"]] = obj["modified"]
    for object_id, modified in list(newest.items())[::200]:
        stored = runtime.store.get(object_id, access=EVERYTHING)
        assert stored is not None
        assert stored.data["modified"][:19] == modified[:19]
