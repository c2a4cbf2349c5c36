"""Merge rules, with property-based tests (hypothesis) and two real ATT&CK ICS versions."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stixflow.errors import InvalidObject
from stixflow.stix.ids import canonical_json
from stixflow.stix.merge import LIST_PROPERTIES, merge
from stixflow.stix.timestamps import sort_key
from tests.stix.data import STIX, objects

MALWARE_ID = "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"
PROPERTY_TESTS = settings(max_examples=150, deadline=None, database=None)

_timestamps = st.sampled_from(
    [
        "2019-01-01T00:00:00.000Z",
        "2020-06-01T12:00:00.000Z",
        "2020-06-01T12:00:00.5Z",  # equal to .500Z: precision must not matter
        "2020-06-01T12:00:00.500Z",
        "2021-01-01T00:00:00.123456Z",
    ]
)
_words = st.sampled_from(["a", "b", "c", "d", "e"])
_references = st.fixed_dictionaries(
    {"source_name": st.sampled_from(["mitre-attack", "blog"])},
    optional={"url": st.sampled_from(["https://a.example", "https://b.example"])},
)


@st.composite
def malware(draw: st.DrawFn) -> dict:
    """A malware version: random scalars, optional lists without duplicates, ordered dates."""
    first, second = sorted([draw(_timestamps), draw(_timestamps)], key=sort_key)
    obj: dict = {
        "type": "malware",
        "spec_version": "2.1",
        "id": MALWARE_ID,
        "created": first,
        "modified": second,
        "is_family": True,
    }
    scalars = {
        "name": _words,
        "description": _words,
        "confidence": st.integers(0, 100),
        "x_mitre_platforms": st.lists(_words, max_size=2),
    }
    for key, strategy in scalars.items():
        if draw(st.booleans()):
            obj[key] = draw(strategy)
    lists = {"labels": _words, "aliases": _words, "external_references": _references}
    for key, strategy in lists.items():
        if draw(st.booleans()):
            obj[key] = draw(st.lists(strategy, min_size=1, max_size=4, unique_by=canonical_json))
    return obj


def _as_set(items: list) -> set[str]:
    return {canonical_json(item) for item in items}


@PROPERTY_TESTS
@given(malware())
def test_merge_is_idempotent(a: dict) -> None:
    assert merge(a, a) == a


@PROPERTY_TESTS
@given(malware(), malware())
def test_merge_does_not_modify_its_arguments(a: dict, b: dict) -> None:
    before = copy.deepcopy((a, b))
    merge(a, b)
    assert (a, b) == before


@PROPERTY_TESTS
@given(malware(), malware())
def test_lists_union_the_same_way_in_both_directions(a: dict, b: dict) -> None:
    ab, ba = merge(a, b), merge(b, a)
    for key in LIST_PROPERTIES & (a.keys() | b.keys()):
        union = _as_set(a.get(key, [])) | _as_set(b.get(key, []))
        assert _as_set(ab[key]) == _as_set(ba[key]) == union
        assert len(ab[key]) == len(union)  # no duplicates
    for key in LIST_PROPERTIES & a.keys():
        assert ab[key][: len(a[key])] == a[key]  # existing items first, in their order


@PROPERTY_TESTS
@given(malware(), malware())
def test_older_never_overwrites_newer(a: dict, b: dict) -> None:
    if sort_key(a["modified"]) == sort_key(b["modified"]):
        return
    newer, older = (a, b) if sort_key(a["modified"]) > sort_key(b["modified"]) else (b, a)
    for merged in (merge(newer, older), merge(older, newer)):
        for key, value in newer.items():
            if key not in LIST_PROPERTIES and key != "created":
                assert merged[key] == value, key
        for key, value in older.items():
            if key not in newer:
                assert merged[key] == value, key  # gaps are filled from the older copy


@PROPERTY_TESTS
@given(malware(), malware())
def test_created_is_the_earliest_and_modified_the_latest(a: dict, b: dict) -> None:
    merged = merge(a, b)
    assert sort_key(merged["created"]) == min(sort_key(a["created"]), sort_key(b["created"]))
    assert sort_key(merged["modified"]) == max(sort_key(a["modified"]), sort_key(b["modified"]))


def test_equal_modified_keeps_the_existing_scalars() -> None:
    existing = {
        "type": "malware",
        "id": MALWARE_ID,
        "modified": "2020-01-01T00:00:00.000Z",
        "name": "Old",
        "labels": ["x"],
    }
    incoming = {
        **existing,
        "modified": "2020-01-01T00:00:00Z",
        "name": "New",
        "labels": ["y"],
        "description": "only here",
    }
    merged = merge(existing, incoming)
    assert merged["name"] == "Old"
    assert merged["description"] == "only here"
    assert merged["labels"] == ["x", "y"]


def test_an_enrichment_answer_wins_ties_and_only_ties() -> None:
    """``incoming_wins_ties`` (an enrichment connector's answer about its object): its scalars
    win on equal ``modified``; an older answer still loses, lists still union."""
    existing = {
        "type": "indicator",
        "id": "indicator--0d4bb3c0-3b68-4c3e-9a44-4b1a0c0f6c2a",
        "modified": "2020-01-01T00:00:00.000Z",
        "x_opencti_score": 30,
        "labels": ["x"],
    }
    answer = {**existing, "modified": "2020-01-01T00:00:00Z", "x_opencti_score": 44}
    answer["labels"] = ["y"]
    merged = merge(existing, answer, incoming_wins_ties=True)
    assert merged["x_opencti_score"] == 44
    assert merged["labels"] == ["x", "y"]
    assert merged["modified"] == existing["modified"]  # the store dates the new version
    assert merge(existing, answer)["x_opencti_score"] == 30  # a feed's copy: existing wins
    older = {**answer, "modified": "2019-12-31T23:59:59.999Z"}
    assert merge(existing, older, incoming_wins_ties=True)["x_opencti_score"] == 30


def test_objects_without_modified_take_the_incoming_scalars() -> None:
    existing = {
        "type": "ipv4-addr",
        "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd",
        "value": "198.51.100.3",
        "x_opencti_score": 10,
        "object_marking_refs": ["m--1"],
    }
    incoming = {**existing, "x_opencti_score": 80, "object_marking_refs": ["m--2"]}
    merged = merge(existing, incoming)
    assert merged["x_opencti_score"] == 80
    assert merged["object_marking_refs"] == ["m--1", "m--2"]
    assert "modified" not in merged


def test_incoming_duplicates_are_added_once_and_existing_lists_kept_verbatim() -> None:
    base = {"type": "malware", "id": MALWARE_ID, "modified": "2020-01-01T00:00:00.000Z"}
    existing = {**base, "aliases": ["x", "x", "y"]}
    incoming = {**base, "aliases": ["z", "y", "z", "w"]}
    assert merge(existing, incoming)["aliases"] == ["x", "x", "y", "z", "w"]


def test_dict_items_are_compared_by_content_not_key_order() -> None:
    base = {"type": "malware", "id": MALWARE_ID, "modified": "2020-01-01T00:00:00.000Z"}
    first = {**base, "external_references": [{"source_name": "a", "url": "https://a.example"}]}
    second = {**base, "external_references": [{"url": "https://a.example", "source_name": "a"}]}
    assert merge(first, second)["external_references"] == first["external_references"]


def test_state_lists_follow_the_scalar_rule() -> None:
    old = {
        "type": "attack-pattern",
        "id": "attack-pattern--0042a9f5-f053-4769-b3ef-9ad018dfa298",
        "modified": "2020-01-01T00:00:00.000Z",
        "x_mitre_platforms": ["Windows", "macOS"],
    }
    new = {**old, "modified": "2021-01-01T00:00:00.000Z", "x_mitre_platforms": ["Windows"]}
    assert merge(old, new)["x_mitre_platforms"] == ["Windows"]
    assert merge(new, old)["x_mitre_platforms"] == ["Windows"]


@pytest.mark.parametrize("key", ["type", "id"])
def test_merging_different_objects_is_refused(key: str) -> None:
    a = {"type": "malware", "id": MALWARE_ID}
    b = {**a, key: "tool" if key == "type" else "malware--007b44b6-e4c5-480b-b5b9-56f2081b1b7b"}
    with pytest.raises(InvalidObject, match=f"'{key}' differs"):
        merge(a, b)


def test_real_versions_ics_attack_8_0_and_17_1() -> None:
    """Objects present in both ICS releases merge to the 17.1 content, whatever the order."""
    old = {o["id"]: o for o in objects(STIX / "attack-stix-data-ics-attack-8.0.json")}
    new = {o["id"]: o for o in objects(STIX / "attack-stix-data-ics-attack-17.1.json")}
    common = [i for i in old.keys() & new.keys() if "modified" in old[i]]
    changed = [i for i in common if sort_key(new[i]["modified"]) > sort_key(old[i]["modified"])]
    assert len(changed) > 100
    for object_id in changed:
        forward, backward = (
            merge(old[object_id], new[object_id]),
            merge(new[object_id], old[object_id]),
        )
        for key, value in new[object_id].items():
            if key not in LIST_PROPERTIES and key != "created":
                assert forward[key] == backward[key] == value, (object_id, key)
        assert forward["modified"] == new[object_id]["modified"]


AMBER = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
GREEN = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"


def test_a_kept_part_keeps_its_granular_marking_whatever_the_other_version_marks() -> None:
    old = {
        "type": "malware",
        "id": MALWARE_ID,
        "modified": "2020-01-01T00:00:00.000Z",
        "description": "secret",
        "granular_markings": [{"marking_ref": AMBER, "selectors": ["description"]}],
    }
    new = {
        **old,
        "modified": "2021-01-01T00:00:00.000Z",
        "labels": ["x"],
        "granular_markings": [{"marking_ref": GREEN, "selectors": ["labels.[0]"]}],
    }
    del new["description"]
    for merged in (merge(old, new), merge(new, old)):
        assert merged["description"] == "secret"
        assert {"marking_ref": AMBER, "selectors": ["description"]} in merged["granular_markings"]


def test_a_marked_item_of_a_unioned_list_keeps_its_marking_at_its_new_place() -> None:
    base = {"type": "malware", "id": MALWARE_ID, "modified": "2020-01-01T00:00:00.000Z"}
    existing = {**base, "labels": ["a", "b"]}
    incoming = {
        **base,
        "modified": "2021-01-01T00:00:00.000Z",
        "labels": ["c", "secret"],
        "granular_markings": [{"marking_ref": AMBER, "selectors": ["labels.[1]"]}],
    }
    merged = merge(existing, incoming)
    assert merged["labels"] == ["a", "b", "c", "secret"]
    assert merged["granular_markings"] == [{"marking_ref": AMBER, "selectors": ["labels.[3]"]}]
