"""Bundles: parsing, references, normalisation, write order, chunks."""

from __future__ import annotations

import copy
import json
from collections import Counter, defaultdict

import pytest
import stix2

from stixflow.errors import InvalidBundle
from stixflow.stix.bundle import (
    Normalized,
    Normalizer,
    chunks,
    normalize,
    parse_bundle,
    references,
    rewrite_refs,
    write_order,
    write_order_indexes,
)
from stixflow.stix.ids import deterministic_id
from stixflow.stix.markings import TLP_BY_NAME
from tests.stix.data import ENTERPRISE, STIX, objects, unit42_files

MARKING = TLP_BY_NAME["TLP:GREEN"]["id"]
AMBER = TLP_BY_NAME["TLP:AMBER"]["id"]
IDENTITY = "identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5"
MALWARE_A = "malware--007b44b6-e4c5-480b-b5b9-56f2081b1b7b"
MALWARE_B = "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"
NOW = "2024-05-01T12:00:00.000Z"
NEW_A = "malware--aaaaaaaa-e4c5-580b-b5b9-56f2081b1b7b"
NEW_MARKING = "marking-definition--bbbbbbbb-e4c5-580b-b5b9-56f2081b1b7b"


def _malware(object_id: str, name: str) -> dict:
    return {
        "type": "malware",
        "spec_version": "2.1",
        "id": object_id,
        "created": NOW,
        "modified": NOW,
        "name": name,
        "is_family": True,
        "created_by_ref": IDENTITY,
    }


def _relationship(source: str, target: str) -> dict:
    return {
        "type": "relationship",
        "spec_version": "2.1",
        "created": NOW,
        "modified": NOW,
        "id": "relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad",
        "relationship_type": "variant-of",
        "source_ref": source,
        "target_ref": target,
    }


# -- parse_bundle ---------------------------------------------------------------------------------


def test_parse_bundle_accepts_bundles_objects_and_lists_in_any_form() -> None:
    malware = _malware(MALWARE_A, "HDoor")
    bundle = {
        "type": "bundle",
        "id": "bundle--ad1d6a00-ee1b-561f-93e1-219b1c4a6195",
        "objects": [malware],
    }
    for data in (bundle, json.dumps(bundle), json.dumps(bundle).encode(), [malware], malware):
        assert parse_bundle(data) == [malware]


def test_parse_bundle_reads_the_enterprise_bytes() -> None:
    parsed = parse_bundle(ENTERPRISE.read_bytes())
    assert len(parsed) == 24771


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "not valid JSON"),
        ("", "not valid JSON"),
        (b"42", "got int"),
        ('"bundle"', "got str"),
        ({"type": "bundle", "id": "bundle--x"}, "no objects"),
        ({"type": "bundle", "objects": []}, "no objects"),
        (b"[]", "no objects"),
        ({"type": "bundle", "objects": {"a": 1}}, "'objects' must be an array, not a object"),
        ({"name": "no type"}, "without 'type'"),
        ([{"type": "malware"}, "x"], "objects[1] is a string, not a JSON object"),
        ({"type": "bundle", "objects": [None]}, "objects[0] is a null"),
    ],
)
def test_parse_bundle_rejects_what_is_not_a_bundle(data: object, message: str) -> None:
    with pytest.raises(InvalidBundle, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_bundle(data)  # type: ignore[arg-type]


# -- references / rewrite_refs --------------------------------------------------------------------

OBSERVED_20 = {
    "type": "observed-data",
    "id": "observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf",
    "created_by_ref": IDENTITY,
    "object_marking_refs": [MARKING],
    "granular_markings": [{"marking_ref": AMBER, "selectors": ["description"]}],
    "objects": {
        "0": {"type": "ipv4-addr", "value": "198.51.100.3"},
        "1": {"type": "network-traffic", "src_ref": "0", "protocols": ["tcp"]},
        "2": {
            "type": "email-message",
            "from_ref": "email-addr--2d77a846-6264-5d51-b586-e43822ea1ea3",
        },
    },
    "extensions": {
        "x-acme-ext": {
            "analyst_ref": "identity--d37acc64-4a6f-4dc2-879a-a4c138d0a27f",
            "seen_refs": [MALWARE_A, MALWARE_B],
        },
    },
}


def test_references_finds_every_id_at_any_depth() -> None:
    assert references(OBSERVED_20) == {
        IDENTITY,
        MARKING,
        AMBER,
        "email-addr--2d77a846-6264-5d51-b586-e43822ea1ea3",
        "identity--d37acc64-4a6f-4dc2-879a-a4c138d0a27f",
        MALWARE_A,
        MALWARE_B,
    }  # the local key "0" of the 2.0 embedded objects is not an id


def test_references_of_a_relationship() -> None:
    relationship = _relationship(MALWARE_A, MALWARE_B)
    assert references(relationship) == {MALWARE_A, MALWARE_B}


def test_rewrite_refs_remaps_every_reference_and_nothing_else() -> None:
    before = copy.deepcopy(OBSERVED_20)
    id_map = {MALWARE_A: NEW_A, AMBER: NEW_MARKING, "0": "wrong"}
    rewritten = rewrite_refs(OBSERVED_20, id_map)
    assert before == OBSERVED_20
    assert rewritten["object_marking_refs"] == [MARKING]
    assert rewritten["granular_markings"][0]["marking_ref"] == NEW_MARKING
    assert rewritten["extensions"]["x-acme-ext"]["seen_refs"] == [NEW_A, MALWARE_B]
    assert rewritten["created_by_ref"] == IDENTITY
    assert rewritten["id"] == OBSERVED_20["id"]
    # rewriting is exactly a substitution on the references found.
    assert references(rewritten) == {id_map.get(r, r) for r in references(OBSERVED_20)}
    # local keys are only touched where the map asks, as every *_ref is a reference position.
    assert rewritten["objects"]["1"]["src_ref"] == "wrong"
    assert rewrite_refs(OBSERVED_20, {}) == OBSERVED_20


# -- normalize ------------------------------------------------------------------------------------


def test_normalize_gives_deterministic_ids_and_follows_them_in_references() -> None:
    relationship = _relationship(MALWARE_A, MALWARE_B)
    result = normalize(
        [_malware(MALWARE_A, "HDoor"), _malware(MALWARE_B, "Poison Ivy"), relationship]
    )
    assert isinstance(result, Normalized)
    new_a = deterministic_id(_malware(MALWARE_A, "HDoor"))
    new_b = deterministic_id(_malware(MALWARE_B, "Poison Ivy"))
    assert result.aliases == {MALWARE_A: new_a, MALWARE_B: new_b}
    assert [o["id"] for o in result.objects] == [new_a, new_b, relationship["id"]]
    assert result.objects[2]["source_ref"] == new_a
    assert result.objects[2]["target_ref"] == new_b
    assert relationship["source_ref"] == MALWARE_A  # inputs untouched


def test_normalize_maps_two_copies_of_one_thing_to_one_id() -> None:
    result = normalize([_malware(MALWARE_A, "Emotet"), _malware(MALWARE_B, " EMOTET")])
    assert result.objects[0]["id"] == result.objects[1]["id"]
    assert set(result.aliases) == {MALWARE_A, MALWARE_B}


def test_normalize_upgrades_2_0_and_gives_scos_their_stix_id() -> None:
    sco = {
        "type": "ipv4-addr",
        "spec_version": "2.1",
        "value": "91.200.148.232",
        "id": "ipv4-addr--5c2d5a4e-0b5c-4b5e-8b9e-7e7f9a1c2d3e",
    }
    legacy = {
        "type": "tool",
        "id": "tool--03342581-f790-4f03-ba41-e82e67392e23",
        "created": "2017-05-31T21:32:31Z",
        "modified": "2017-05-31T21:32:31Z",
        "name": "Net",
        "labels": ["tool"],
    }
    result = normalize([sco, legacy])
    ip, tool = result.objects
    assert ip["id"] == stix2.IPv4Address(value="91.200.148.232").id
    assert result.aliases[sco["id"]] == ip["id"]
    assert tool["spec_version"] == "2.1" and tool["tool_types"] == ["tool"]
    assert tool["created"] == "2017-05-31T21:32:31.000Z"


def test_normalize_passes_through_objects_it_cannot_upgrade() -> None:
    broken = {"id": "malware--0c7b44b6-e4c5-480b-b5b9-56f2081b1b7b", "created_by_ref": MALWARE_A}
    result = normalize([_malware(MALWARE_A, "HDoor"), broken])
    assert result.objects[1] is broken
    assert result.objects[0]["id"] != MALWARE_A


def test_normalize_keeps_ids_it_has_no_rule_for() -> None:
    relationship = _relationship(MALWARE_A, MALWARE_B)
    result = normalize([relationship])
    assert result.objects == [relationship]
    assert result.aliases == {}


def test_normalize_enterprise_attack_keeps_every_object_distinct() -> None:
    """24,771 objects in, 24,771 distinct ids out, every reference still resolves."""
    original = objects(ENTERPRISE)
    result = normalize(original)
    ids = [obj["id"] for obj in result.objects]
    assert len(ids) == len(set(ids)) == 24771
    renamed = Counter(new.split("--")[0] for new in result.aliases.values())
    assert renamed == {
        "attack-pattern": 835,
        "malware": 696,
        "intrusion-set": 187,
        "tool": 91,
        "campaign": 52,
        "identity": 1,
    }
    known = set(ids)
    dangling = {ref for obj in result.objects for ref in references(obj) if ref not in known}
    assert dangling == set()
    assert all(obj["spec_version"] == "2.1" for obj in result.objects)


def _collisions(items: list[dict]) -> dict[str, set[str]]:
    """New id -> the distinct original ids it merges, for new ids that merge several."""
    result = normalize(items)
    groups: dict[str, set[str]] = defaultdict(set)
    for new, old in zip(result.objects, items, strict=True):
        groups[new["id"]].add(old["id"])
    return {new: old for new, old in groups.items() if len(old) > 1}


def test_ics_attack_17_1_deprecated_twins_stay_apart_from_the_current_malware() -> None:
    """ICS 17.1 keeps deprecated ICS copies of six enterprise malware under the same name, with
    other ATT&CK ids: they are other objects (``stix.twins``), so nothing folds together and
    the active one keeps the name-based id."""
    items = objects(STIX / "attack-stix-data-ics-attack-17.1.json")
    assert _collisions(items) == {}
    result = normalize(items)
    by_name: dict[str, list[dict]] = defaultdict(list)
    for new in result.objects:
        if new["type"] == "malware":
            by_name[new["name"].lower()].append(new)
    twins = {name: found for name, found in by_name.items() if len(found) == 2}
    assert sorted(twins) == [
        "bad rabbit",
        "conficker",
        "ekans",
        "industroyer",
        "killdisk",
        "stuxnet",
    ]
    for found in twins.values():
        active = next(obj for obj in found if not obj.get("x_mitre_deprecated"))
        assert active["id"] == deterministic_id(active)


def test_unit42_placeholder_identities_fold_together() -> None:
    """Across the 85 playbooks, 38,137 distinct ids become 38,088.

    49 ids fold into 6: "Targeting Information" identities (31, 15 and 2 of them, one id per
    identity_class), "cloud service platform" (3 and 2) and a report published twice. Four
    objects renamed between versions (e.g. intrusion set "IcedID" -> "IcedID Malware") keep one
    id for all their versions.
    """
    items = [obj for path in unit42_files() for obj in objects(path)]
    result = normalize(items)
    assert len({obj["id"] for obj in items}) == 38137
    assert len({obj["id"] for obj in result.objects}) == 38088
    collisions = _collisions(items)
    assert sorted(len(old) for old in collisions.values()) == [2, 2, 2, 3, 15, 31]
    assert Counter(new.split("--")[0] for new in collisions) == {"identity": 5, "report": 1}
    new_ids: dict[str, set[str]] = defaultdict(set)
    for new, old in zip(result.objects, items, strict=True):
        new_ids[old["id"]].add(new["id"])
    assert all(len(ids) == 1 for ids in new_ids.values())


def test_normalize_gives_every_version_of_a_renamed_object_the_id_of_the_latest() -> None:
    old = {**_malware(MALWARE_A, "IcedID"), "modified": "2022-08-10T18:45:13.212Z"}
    new = {**_malware(MALWARE_A, "IcedID Malware"), "modified": "2022-09-20T19:44:28.675Z"}
    relationship = _relationship(MALWARE_A, MALWARE_B)
    for batch in ([old, new, relationship], [new, old, relationship]):
        result = normalize(batch)
        expected = deterministic_id(new)
        assert result.aliases[MALWARE_A] == expected
        assert {obj["id"] for obj in result.objects if obj["type"] == "malware"} == {expected}
        assert result.objects[2]["source_ref"] == expected


def test_normalizer_gives_each_object_as_normalize_does_in_any_order() -> None:
    """The submitter streams with ``Normalizer``: object by object, in write order."""
    for items in (
        objects(ENTERPRISE),
        [obj for path in unit42_files()[:10] for obj in objects(path)],
    ):
        whole = normalize(copy.deepcopy(items))
        normalizer = Normalizer(items)
        assert normalizer.aliases == whole.aliases
        for index in reversed(range(len(items))):
            assert normalizer.one(index) == whole.objects[index]


def test_normalizer_keeps_an_object_without_id_among_renamed_ones() -> None:
    no_id = {k: v for k, v in _malware(MALWARE_B, "Other").items() if k != "id"}
    result = normalize([_malware(MALWARE_A, "Emotet"), no_id])
    assert result.aliases and "id" not in result.objects[1]


# -- write_order / chunks -------------------------------------------------------------------------


def test_write_order_puts_dependencies_first_and_keeps_input_order_within_a_level() -> None:
    report = {"type": "report", "id": "report--1"}
    note = {"type": "note", "id": "note--1"}
    rel = {"type": "relationship", "id": "relationship--1"}
    sighting = {"type": "sighting", "id": "sighting--1"}
    first_malware = {"type": "malware", "id": "malware--1"}
    url = {"type": "url", "id": "url--1"}
    second_malware = {"type": "malware", "id": "malware--2"}
    identity = {"type": "identity", "id": "identity--1"}
    marking = {"type": "marking-definition", "id": "marking-definition--1"}
    extension = {"type": "extension-definition", "id": "extension-definition--1"}
    custom = {"type": "x-mitre-tactic", "id": "x-mitre-tactic--1"}
    items = [
        report,
        note,
        rel,
        sighting,
        first_malware,
        url,
        second_malware,
        identity,
        marking,
        extension,
        custom,
    ]
    ordered = write_order(items)
    assert [o["id"] for o in ordered] == [
        "marking-definition--1",
        "identity--1",
        "extension-definition--1",
        "malware--1",
        "url--1",
        "malware--2",
        "x-mitre-tactic--1",
        "relationship--1",
        "sighting--1",
        "report--1",
        "note--1",
    ]
    assert items[0] is report  # the input list is not reordered
    broken = [{"type": ["identity"]}, {"id": "no-type"}, identity]
    assert write_order(broken) == [identity, *broken[:2]]


def test_write_order_indexes_are_the_positions_of_write_order() -> None:
    items = objects(ENTERPRISE)
    assert [items[i] for i in write_order_indexes(items)] == write_order(items)


def test_write_order_on_enterprise_attack() -> None:
    ordered = write_order(objects(ENTERPRISE))
    assert ordered[0]["type"] == "marking-definition"
    assert ordered[1]["type"] == "identity"
    first_relationship = next(i for i, o in enumerate(ordered) if o["type"] == "relationship")
    assert first_relationship == 24771 - 20048
    assert all(o["type"] == "relationship" for o in ordered[first_relationship:])


def test_chunks() -> None:
    items = [{"id": str(i)} for i in range(7)]
    assert [len(chunk) for chunk in chunks(items, 3)] == [3, 3, 1]
    assert [o for chunk in chunks(items, 3) for o in chunk] == items
    assert list(chunks([], 5)) == []
    assert list(chunks(items, 7)) == [items]
    with pytest.raises(ValueError, match="at least 1"):
        list(chunks(items, 0))
