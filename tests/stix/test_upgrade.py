"""STIX 2.0 -> 2.1 upgrade, with stix2-validator as the oracle on real 2.0 data."""

from __future__ import annotations

import copy
import random
from collections import defaultdict

import pytest
from stix2validator import ValidationOptions, validate_instance

from stixflow.errors import InvalidObject
from stixflow.stix.upgrade import is_v20, to_v21
from tests.stix.data import ENTERPRISE, MOBILE, objects, unit42_files

V21 = ValidationOptions(version="2.1")

MALWARE_20 = {
    "type": "malware",
    "id": "malware--007b44b6-e4c5-480b-b5b9-56f2081b1b7b",
    "created": "2017-05-31T21:32:40Z",
    "modified": "2020-01-01T10:00:00.1Z",
    "name": "HDoor",
    "labels": ["backdoor"],
}


def _errors(obj: dict) -> list[str]:
    result = validate_instance(obj, V21)
    return [error.message for error in result.errors]


def test_is_v20() -> None:
    assert is_v20(MALWARE_20)
    assert is_v20({"type": "marking-definition", "id": "marking-definition--x", "created": "x"})
    assert is_v20({**MALWARE_20, "spec_version": "2.0"})
    assert not is_v20({**MALWARE_20, "spec_version": "2.1"})
    # 2.1 SCOs may omit spec_version; they have an id and no created/modified.
    assert not is_v20({"type": "ipv4-addr", "id": "ipv4-addr--x", "value": "1.2.3.4"})
    assert not is_v20({"type": "x-custom-sco", "id": "x-custom-sco--x", "value": "a"})
    assert is_v20({"type": "x-mitre-tactic", "id": "x-mitre-tactic--x", "created": "x"})


def test_malware_gets_types_family_and_millisecond_dates() -> None:
    before = copy.deepcopy(MALWARE_20)
    upgraded = to_v21(MALWARE_20)
    assert before == MALWARE_20  # input untouched
    assert upgraded["spec_version"] == "2.1"
    assert upgraded["malware_types"] == ["backdoor"]
    assert upgraded["labels"] == ["backdoor"]
    assert upgraded["is_family"] is True
    assert upgraded["created"] == "2017-05-31T21:32:40.000Z"
    assert upgraded["modified"] == "2020-01-01T10:00:00.100Z"
    assert list(upgraded)[:3] == ["type", "spec_version", "id"]
    assert _errors(upgraded) == []
    assert _errors({**MALWARE_20, "spec_version": "2.1"}) != []  # the upgrade was needed


@pytest.mark.parametrize(
    ("object_type", "types_property", "extra"),
    [
        ("tool", "tool_types", {"name": "Net"}),
        ("threat-actor", "threat_actor_types", {"name": "APT1"}),
        (
            "report",
            "report_types",
            {
                "name": "R",
                "published": "2020-01-01T00:00:00Z",
                "object_refs": ["malware--007b44b6-e4c5-480b-b5b9-56f2081b1b7b"],
            },
        ),
        (
            "indicator",
            "indicator_types",
            {"pattern": "[url:value = 'http://x.example/']", "valid_from": "2020-01-01T00:00:00Z"},
        ),
    ],
)
def test_labels_become_the_types_vocabulary(
    object_type: str, types_property: str, extra: dict
) -> None:
    obj = {
        "type": object_type,
        "id": f"{object_type}--6b616fc1-1505-48e3-8b2c-0d19337bff38",
        "created": "2016-04-06T20:03:48.000Z",
        "modified": "2016-04-06T20:03:48.000Z",
        "labels": ["malicious-activity"],
        **extra,
    }
    upgraded = to_v21(obj)
    assert upgraded[types_property] == ["malicious-activity"]
    assert upgraded["labels"] == ["malicious-activity"]
    assert _errors(upgraded) == []
    if object_type == "indicator":
        assert upgraded["pattern_type"] == "stix"


def test_existing_2_1_properties_are_not_overwritten() -> None:
    obj = {**MALWARE_20, "malware_types": ["ransomware"], "is_family": False}
    upgraded = to_v21(obj)
    assert upgraded["malware_types"] == ["ransomware"]
    assert upgraded["is_family"] is False


def test_identity_class_list_is_unwrapped() -> None:
    identity = {
        "type": "identity",
        "id": "identity--3624ad40-fd78-4997-a2a4-f1cd5a6e16d2",
        "created": "2022-02-11T17:32:05.344Z",
        "modified": "2022-04-14T00:07:30.379Z",
        "name": "cloud service platform",
        "identity_class": ["unknown"],
    }
    upgraded = to_v21(identity)
    assert upgraded["identity_class"] == "unknown"
    assert _errors(upgraded) == []


def test_timestamps_are_truncated_to_milliseconds() -> None:
    upgraded = to_v21({**MALWARE_20, "created": "2017-05-31T21:32:40.123456Z"})
    assert upgraded["created"] == "2017-05-31T21:32:40.123Z"
    malformed = to_v21({**MALWARE_20, "created": "yesterday"})
    assert malformed["created"] == "yesterday"  # left for validation to reject


def test_custom_types_only_get_spec_version() -> None:
    tactic = {
        "type": "x-mitre-tactic",
        "id": "x-mitre-tactic--2558fd61-8c75-4730-94c4-11926db2a263",
        "created": "2018-10-17T00:14:20.652Z",
        "modified": "2025-04-25T14:45:32.408Z",
        "name": "Credential Access",
        "x_mitre_shortname": "credential-access",
    }
    assert to_v21(tactic) == {**tactic, "spec_version": "2.1"}


def test_2_1_objects_come_back_equal_but_new() -> None:
    obj = {**MALWARE_20, "spec_version": "2.1", "created": "2017-05-31T21:32:40Z"}
    result = to_v21(obj)
    assert result == obj
    assert result is not obj


def test_objects_without_type_cannot_be_upgraded() -> None:
    with pytest.raises(InvalidObject, match="without a type"):
        to_v21({"id": "malware--007b44b6-e4c5-480b-b5b9-56f2081b1b7b"})


# -- real 2.0 data against stix2-validator --------------------------------------------------------


def _sample(items: list[dict], size: int, seed: int) -> list[dict]:
    """``size`` objects at random, plus the first object of every type (so no type is missed)."""
    first_of_type: dict[str, dict] = {}
    for obj in items:
        first_of_type.setdefault(obj["type"], obj)
    rnd = random.Random(seed)
    picked = rnd.sample(items, min(size, len(items)))
    return list({id(o): o for o in [*first_of_type.values(), *picked]}.values())


def test_enterprise_attack_sample_is_valid_2_1_after_upgrade() -> None:
    sample = _sample(objects(ENTERPRISE), 300, seed=1)
    assert all(is_v20(obj) for obj in sample)
    failures = {obj["id"]: _errors(to_v21(obj)) for obj in sample}
    assert {k: v for k, v in failures.items() if v} == {}


def test_unit42_playbooks_sample_is_valid_2_1_after_upgrade() -> None:
    """A few objects of every type from each of the 85 playbooks (2.0 bundles), every identity.

    (36 of their identities have a list as ``identity_class``.)
    """
    failures: dict[str, list[str]] = defaultdict(list)
    checked = 0
    for path in unit42_files():
        items = objects(path)
        identities = [obj for obj in items if obj["type"] == "identity"]
        for obj in [*_sample(items, 2, seed=len(path.name)), *identities]:
            checked += 1
            errors = _errors(to_v21(obj))
            if errors:
                failures[f"{path.name}:{obj['id']}"] = errors
    assert checked > 500
    assert dict(failures) == {}


def test_mobile_attack_is_entirely_valid_2_1_after_upgrade() -> None:
    """All 2,535 objects (about 15 s with stix2-validator)."""
    failures = {}
    for obj in objects(MOBILE):
        errors = _errors(to_v21(obj))
        if errors:
            failures[obj["id"]] = errors
    assert failures == {}
