"""pycti's splitter sends the ATT&CK copyright marking with ``"created_by_ref": null``: the
worker takes a null optional reference as an absent one instead of rejecting the object."""

from __future__ import annotations

from stixflow.stix.validate import Validator
from stixflow.worker.process import check_objects

COPYRIGHT = {
    "type": "marking-definition",
    "spec_version": "2.1",
    "id": "marking-definition--fa42a846-8d90-4e51-bc29-71d5b4802168",
    "created": "2017-06-01T00:00:00.000Z",
    "created_by_ref": None,
    "definition_type": "statement",
    "definition": {"statement": "Copyright 2015-2024, The MITRE Corporation."},
}


def test_null_created_by_ref_is_absent() -> None:
    checked = check_objects([COPYRIGHT], Validator())
    assert checked.errors == []
    assert len(checked.valid) == 1
    assert "created_by_ref" not in checked.valid[0]
    assert checked.valid[0]["definition"] == COPYRIGHT["definition"]


def test_a_null_required_property_is_still_rejected() -> None:
    broken = {**COPYRIGHT, "created_by_ref": "identity--x", "definition_type": None}
    checked = check_objects([broken], Validator())
    assert checked.valid == [] and len(checked.errors) == 1
