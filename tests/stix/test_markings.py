"""Built-in markings: TLP 1.0 (stix2 is the oracle), TLP 2.0 (OASIS ids), statements."""

from __future__ import annotations

import json
import uuid

import pytest
import stix2
from stix2validator import ValidationOptions, validate_instance

from stixflow.stix.ids import NAMESPACE
from stixflow.stix.markings import (
    BUILT_IN_MARKINGS,
    TLP2_EXTENSION_ID,
    TLP_BY_NAME,
    TLP_NAME_BY_ID,
    statement_marking,
)
from stixflow.stix.validate import default_validator

V21 = ValidationOptions(version="2.1")

#: Published in oasis-open/cti-stix-common-objects, extension-definition-specifications/tlp-2.0.
OASIS_TLP2_IDS = {
    "TLP:CLEAR": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "TLP:GREEN": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "TLP:AMBER": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "TLP:AMBER+STRICT": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "TLP:RED": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}


@pytest.mark.parametrize("marking", BUILT_IN_MARKINGS, ids=lambda m: m["id"])
def test_built_ins_pass_stix2_validator_and_ours(marking: dict) -> None:
    result = validate_instance(marking, V21)
    assert result.is_valid, [error.message for error in result.errors]
    assert default_validator().check(marking) is None


def test_tlp_1_0_markings_are_the_ones_the_spec_predefines() -> None:
    expected = [
        json.loads(m.serialize())
        for m in (stix2.v21.TLP_WHITE, stix2.v21.TLP_GREEN, stix2.v21.TLP_AMBER, stix2.v21.TLP_RED)
    ]
    assert BUILT_IN_MARKINGS[:4] == expected


def test_tlp_2_0_markings_carry_the_oasis_ids_and_extension() -> None:
    tlp2 = BUILT_IN_MARKINGS[4:]
    assert {m["name"]: m["id"] for m in tlp2} == OASIS_TLP2_IDS
    for marking in tlp2:
        extension = marking["extensions"][TLP2_EXTENSION_ID]
        assert extension == {
            "extension_type": "property-extension",
            "tlp_2_0": marking["name"].removeprefix("TLP:").lower(),
        }
        assert marking["created"] == "2022-10-01T00:00:00.000Z"
        assert "definition_type" not in marking


def test_tlp_by_name() -> None:
    assert set(TLP_BY_NAME) == {*OASIS_TLP2_IDS, "TLP:WHITE"}
    for name, marking in TLP_BY_NAME.items():
        assert marking["name"] == name
    assert TLP_BY_NAME["TLP:GREEN"]["id"] == OASIS_TLP2_IDS["TLP:GREEN"]
    assert TLP_BY_NAME["TLP:WHITE"]["id"] == stix2.v21.TLP_WHITE.id


def test_tlp_name_by_id_treats_both_versions_as_one_level() -> None:
    assert TLP_NAME_BY_ID[stix2.v21.TLP_WHITE.id] == "TLP:CLEAR"
    assert TLP_NAME_BY_ID[stix2.v21.TLP_GREEN.id] == "TLP:GREEN"
    assert TLP_NAME_BY_ID[stix2.v21.TLP_RED.id] == "TLP:RED"
    for name, marking_id in OASIS_TLP2_IDS.items():
        assert TLP_NAME_BY_ID[marking_id] == name
    # OpenCTI's own AMBER+STRICT id, seen in its exports.
    assert TLP_NAME_BY_ID["marking-definition--826578e1-40ad-459f-bc73-ede076f81f37"] == (
        "TLP:AMBER+STRICT"
    )


def test_statement_marking_id_depends_on_the_statement_only() -> None:
    text = "Copyright 2015-2025, The MITRE Corporation."
    marking = statement_marking(text)
    expected = uuid.uuid5(
        NAMESPACE,
        json.dumps({"definition": text, "definition_type": "statement"}, separators=(",", ":")),
    )
    assert marking["id"] == f"marking-definition--{expected}"
    assert marking["definition"] == {"statement": text}
    assert statement_marking(text) == marking
    assert statement_marking(text, created="2017-06-01T00:00:00Z")["id"] == marking["id"]
    assert statement_marking(text + ".")["id"] != marking["id"]
    result = validate_instance(marking, V21)
    assert result.is_valid, [error.message for error in result.errors]


def test_statement_marking_created() -> None:
    assert statement_marking("x")["created"] == "1970-01-01T00:00:00.000Z"
    assert statement_marking("x", created="2017-06-01T00:00:00Z")["created"] == (
        "2017-06-01T00:00:00.000Z"
    )
    with pytest.raises(ValueError, match="not a STIX timestamp"):
        statement_marking("x", created="June 2017")
    with pytest.raises(ValueError, match="non-empty"):
        statement_marking("  ")
