"""Repairs of real defects (OpenCTI's own test data): the object is kept, the change is said."""

from __future__ import annotations

import pytest

from stixflow.stix.bundle import normalize
from stixflow.stix.fixes import ORIGINAL, apply_fixes
from stixflow.stix.validate import Validator
from tests.stix.data import OPENCTI, objects

CLIENT_DATA = OPENCTI / "client-python-tests-data"
VALIDATOR = Validator()


def real(filename: str, object_id: str) -> dict:
    normalized = normalize(objects(CLIENT_DATA / filename)).objects
    return next(obj for obj in normalized if obj["id"] == object_id)


def test_modified_before_created_is_set_to_created_and_the_original_kept() -> None:
    obj = real("DATA-TEST-STIX2_v2.json", "relationship--10f2228d-cc68-45e3-bce2-53b1841b01c2")
    assert VALIDATOR.check(obj) == "'modified': must be later than or equal to 'created'"
    repaired = apply_fixes(obj)
    assert repaired is not None
    fixed, notes = repaired
    assert VALIDATOR.check(fixed) is None
    assert fixed["modified"] == fixed["created"] == obj["created"]
    # it also has stop_time == start_time: both repairs, both said, both originals kept
    assert fixed[ORIGINAL] == {"modified": obj["modified"], "stop_time": obj["stop_time"]}
    assert len(notes) == 2 and "'modified' was earlier than 'created'" in notes[0]
    assert {k: v for k, v in fixed.items() if k not in ("modified", ORIGINAL)} == {
        k: v for k, v in obj.items() if k not in ("modified", "stop_time")
    }


def test_stop_time_equal_to_start_time_is_removed_and_kept_aside() -> None:
    obj = real("bundle_ids_sample.json", "relationship--ba52fced-422a-4bee-816a-85aa21c9eacc")
    assert obj["stop_time"] == obj["start_time"]
    repaired = apply_fixes(obj)
    assert repaired is not None
    fixed, notes = repaired
    assert VALIDATOR.check(fixed) is None
    assert "stop_time" not in fixed and fixed["start_time"] == obj["start_time"]
    assert fixed[ORIGINAL] == {"stop_time": obj["stop_time"]}
    assert "'stop_time'" in notes[0]


@pytest.mark.parametrize(
    ("filename", "object_id", "added"),
    [
        ("cyclic-bundle.json", "malware--21c45dbe-54ec-5bb7-b8cd-9f27cc518714", {"is_family"}),
        (
            "DATA-TEST-STIX2_v2.json",
            "malware-analysis--8fd6fcd4-81a9-4937-92b8-4e1cbe68f263",
            {"result"},
        ),
        (
            "missing_refs.json",
            "relationship--10e8c71d-a1b4-4e35-bca8-2e4a3785ea04",
            {"spec_version", "created", "modified", ORIGINAL},
        ),
    ],
)
def test_other_real_defects_are_repaired(filename: str, object_id: str, added: set[str]) -> None:
    obj = real(filename, object_id)
    assert VALIDATOR.check(obj) is not None
    repaired = apply_fixes(obj)
    assert repaired is not None
    fixed, notes = repaired
    assert VALIDATOR.check(fixed) is None
    assert added <= fixed.keys() - obj.keys() | {ORIGINAL}
    assert notes


def test_a_valid_object_and_an_unrepairable_one_are_left_alone() -> None:
    for valid in normalize(objects(CLIENT_DATA / "indicator_stix.json")).objects:
        assert VALIDATOR.check(valid) is None and apply_fixes(valid) is None
    to_relationship = real(
        "DATA-TEST-STIX2_v2.json", "relationship--c32d553c-e22f-40ce-93e6-eb62dd145f3b"
    )
    repaired = apply_fixes(to_relationship)  # its stop_time is, its target is not (STIX forbids)
    assert repaired is not None
    assert VALIDATOR.check(repaired[0]) == "'target_ref': does not match the schema (Not)"
