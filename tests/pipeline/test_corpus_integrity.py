"""Every real STIX corpus imports with nothing lost, and its export is whole and valid STIX.

For each corpus in ``../shared/data`` (ATT&CK releases, CAPEC, Unit 42 playbooks, OpenCTI's
client test data): no object fails (except the few OpenCTI constructs STIX 2.1 forbids, named
below), every repair is noted on the work, the export references only objects it holds (or the
built-in TLP markings, documented as external, or what a source itself left dangling: reported
as missing), and ``stix2-validator`` finds no error in it.

``stix2-validator`` is slow (about a minute on enterprise ATT&CK): on the big corpora (marked
slow) it checks a bounded sample of the export, unless ``STIXFLOW_SOAK=1`` (then all of it):
every object of a type with at most ``SAMPLE_PER_TYPE`` objects, the first ``SAMPLE_PER_TYPE``
by id of the others, and every object a fix repaired; the import and reference checks always
cover every object.
"""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest
from stix2validator import ValidationOptions, validate_parsed_json

from stixflow.runtime import Runtime
from stixflow.stix.bundle import parse_bundle, references
from stixflow.stix.fixes import ORIGINAL
from stixflow.store.base import Access, ObjectQuery
from stixflow.store.export import iter_objects
from stixflow.store.missing import EXTERNAL_IDS, missing_refs
from tests.support import drain

EVERYTHING = Access.everything()
CLIENT = "opencti-fixtures/client-python-tests-data"
#: Objects of OpenCTI's client test data that STIX 2.1 forbids and no honest repair can make
#: valid (docs/pipeline.md, "Repairs"): they fail with their reason, nothing else does.
FORBIDDEN = {
    "relationship--c32d553c-e22f-40ce-93e6-eb62dd145f3b",  # a relationship to a relationship
    "relationship--8d2200a8-f9ef-4345-95d1-ba3ed49606f9",
    "relationship--eedcea8f-a464-4977-955c-5113aa3c0896",
    "observed-data--7d258c31-9a26-4543-aecb-2abc5ed366be",  # object_refs naming a malware
    "location--ce920c5b-03ea-576d-ac1d-701d9d7a1bed",  # a city: no region, country code
    "location--b8d0549f-de06-5ebd-a6e9-d31a581dba5d",  # a country by name, not by code
    "relationship--10e8c71d-a1b4-4e35-bca8-2e4a3785ea04",  # source_ref: an OpenCTI internal id
}
SOAK = bool(os.environ.get("STIXFLOW_SOAK"))
SAMPLE_PER_TYPE = 300
CORPORA = [
    ["stix/attack-stix-data-ics-attack-8.0.json"],
    ["stix/attack-stix-data-ics-attack-17.1.json"],
    [f"{CLIENT}/{name}" for name in ("DATA-TEST-STIX2_v2.json", "cyclic-bundle.json")],
    [
        f"{CLIENT}/{name}"
        for name in (
            "basicMalwareWithSample.json",
            "bundle_ids_sample.json",
            "bundle_with_internal_ids.json",
            "indicator_stix.json",
            "missing_refs.json",
            "mono-bundle-entity.json",
            "mono-bundle-relationship.json",
            "sectors.json",
            "mitre_att_capec.json",
        )
    ],
    ["stix/unit42-playbooks/emotet.json", "stix/unit42-playbooks/lokibot.json"],
    pytest.param(["stix/mitre-cti-mobile-attack.json"], marks=pytest.mark.slow),
    pytest.param(["stix/mitre-cti-capec-2.1.json"], marks=pytest.mark.slow),
    pytest.param(["stix/mitre-cti-enterprise-attack.json"], marks=pytest.mark.slow),
    pytest.param(["stix/unit42-playbooks"], marks=pytest.mark.slow),
]


def files(data_dir: Path, names: list[str]) -> list[Path]:
    found: list[Path] = []
    for name in names:
        path = data_dir / name
        found.extend(sorted(path.glob("*.json")) if path.is_dir() else [path])
    return found


def import_all(runtime: Runtime, paths: list[Path]) -> list[str]:
    """Import each file as one work; the ids of failed objects, checked against the reasons."""
    failed: list[str] = []
    for path in paths:
        objects = parse_bundle(path.read_bytes())
        submitted = runtime.submitter.submit(objects, name=path.name)
        work = drain(runtime, submitted, timeout=900)
        assert work.processed + work.failed == len(objects), path.name
        failures = [e for e in work.errors if not e.is_repair]
        assert len(failures) == work.failed, (path.name, failures)
        failed.extend(str(e.object_id) for e in failures)
        notes = [e for e in work.errors if e.reason.startswith("repaired: ")]
        assert all(e.object_id for e in notes)
    return failed


def exported(runtime: Runtime) -> list[dict]:
    return list(iter_objects(runtime.store, ObjectQuery(limit=1000), EVERYTHING))


def sample(objects: list[dict]) -> list[dict]:
    """Every type's first ``SAMPLE_PER_TYPE`` objects by id, and every repaired object."""
    kept: list[dict] = []
    per_type: dict[str, int] = {}
    for obj in sorted(objects, key=lambda obj: obj["id"]):
        seen = per_type[obj["type"]] = per_type.get(obj["type"], 0) + 1
        if seen <= SAMPLE_PER_TYPE or ORIGINAL in obj:
            kept.append(obj)
    return kept


@pytest.mark.parametrize("names", CORPORA)
def test_a_real_corpus_imports_whole_and_exports_valid_stix(
    runtime: Runtime, data_dir: Path, names: list[str], request: pytest.FixtureRequest
) -> None:
    failed = import_all(runtime, files(data_dir, names))
    assert set(failed) <= FORBIDDEN, failed
    objects = exported(runtime)
    held = {obj["id"] for obj in objects}
    dangling = {(obj["id"], ref) for obj in objects for ref in references(obj) if ref not in held}
    dangling = {(source, ref) for source, ref in dangling if ref not in EXTERNAL_IDS}
    # what the export references without holding it: only what the sources themselves left
    # dangling (named nowhere in the corpus, or failed), each one reported as missing
    count, missing = missing_refs(runtime.db, EVERYTHING, limit=1000)
    assert dangling == {(m.object_id, m.ref_id) for m in missing} and count == len(dangling)
    named = {
        obj.get("id") for path in files(data_dir, names) for obj in parse_bundle(path.read_bytes())
    }
    assert not {ref for _, ref in dangling} & (named - set(failed))
    assert orjson.dumps(objects)  # the export serialises
    if request.node.get_closest_marker("slow") and not SOAK:
        objects = sample(objects)  # the oracle's minute per big corpus: a bounded version
    bundle = {"type": "bundle", "id": "bundle--6f6d0b4a-0000-4000-8000-000000000000"}
    result = validate_parsed_json(
        {**bundle, "objects": objects}, ValidationOptions(version="2.1", silent=True)
    )
    errors = (
        [str(error) for item in result for error in item.errors]
        if isinstance(result, list)
        else [str(error) for error in result.errors]
    )
    assert errors == [], errors[:10]
