"""Twins: one name, different authoritative external ids (real ATT&CK for ICS 17.1 data)."""

from __future__ import annotations

import copy

from stixflow.stix.bundle import Normalizer, normalize
from stixflow.stix.ids import deterministic_id
from stixflow.stix.merge import merge
from stixflow.stix.twins import authoritative_ids, conflicting, inactive, twin_id
from tests.stix.data import STIX, objects

ICS_17 = STIX / "attack-stix-data-ics-attack-17.1.json"


def ics_twins(name: str) -> tuple[dict, dict]:
    """(the active, the deprecated) malware called ``name`` in ATT&CK for ICS 17.1."""
    found = [o for o in objects(ICS_17) if o["type"] == "malware" and o["name"] == name]
    assert len(found) == 2, found
    active = next(o for o in found if not o.get("x_mitre_deprecated"))
    deprecated = next(o for o in found if o.get("x_mitre_deprecated"))
    return active, deprecated


def test_real_twins_conflict_and_one_is_inactive() -> None:
    active, deprecated = ics_twins("EKANS")
    assert deterministic_id(active) == deterministic_id(deprecated)
    assert ("attack", "S0605") in authoritative_ids(active)
    assert conflicting(active, deprecated)
    assert not inactive(active) and inactive(deprecated)
    assert not conflicting(active, copy.deepcopy(active))
    assert twin_id(deprecated) not in (None, deterministic_id(active), twin_id(active))


def test_a_bundle_keeps_twins_apart_and_gives_the_active_one_the_name_id() -> None:
    bundle = objects(ICS_17)
    normalized = normalize(bundle)
    by_old = dict(zip((o["id"] for o in bundle), normalized.objects, strict=True))
    for name in ("EKANS", "Stuxnet", "Industroyer", "Bad Rabbit", "Conficker"):
        active, deprecated = ics_twins(name)
        new_active, new_deprecated = by_old[active["id"]], by_old[deprecated["id"]]
        assert new_active["id"] == deterministic_id(active), name
        assert new_deprecated["id"] == twin_id(deprecated), name
        assert new_active["id"] != new_deprecated["id"]
    # references follow each twin: relationships of the deprecated one point at its twin id
    _, deprecated = ics_twins("EKANS")
    rels = [
        new
        for old, new in zip(bundle, normalized.objects, strict=True)
        if old["type"] == "relationship" and old["source_ref"] == deprecated["id"]
    ]
    assert all(rel["source_ref"] == twin_id(deprecated) for rel in rels)


def test_the_order_of_the_twins_in_a_bundle_does_not_matter() -> None:
    active, deprecated = ics_twins("Conficker")
    forward = normalize([active, deprecated]).objects
    backward = normalize([deprecated, active]).objects
    assert {o["id"] for o in forward} == {o["id"] for o in backward}
    assert [o["id"] for o in forward] == [o["id"] for o in reversed(backward)]


def test_a_twin_of_a_held_object_gets_its_own_id_whatever_it_is() -> None:
    active, deprecated = ics_twins("Stuxnet")
    name_id = deterministic_id(active)
    assert name_id is not None
    held_deprecated = {name_id: {**deprecated, "id": name_id}}
    # the deprecated one came first (alone) and holds the name id: the active one is a twin
    moved = normalize_with(held_deprecated, [active])
    assert moved[0]["id"] == twin_id(active)
    held_active = {name_id: {**active, "id": name_id}}
    assert normalize_with(held_active, [deprecated])[0]["id"] == twin_id(deprecated)
    assert normalize_with(held_active, [active])[0]["id"] == name_id  # same object: merges


def normalize_with(held: dict[str, dict], batch: list[dict]) -> list[dict]:
    normalizer = Normalizer(batch, held=lambda ids: {i: held[i] for i in ids if i in held})
    return [normalizer.one(index) for index in range(len(batch))]


def test_a_deprecated_twin_never_overwrites_an_active_one_in_a_merge() -> None:
    active, deprecated = ics_twins("EKANS")
    assert deprecated["modified"] > active["modified"]  # the real data: the deprecated is newer
    merged = merge(active, {**deprecated, "id": active["id"]})
    assert merged.get("x_mitre_deprecated") is not True
    assert merged["description"] == active["description"]
    assert merged["name"] == active["name"]
    merged_back = merge({**deprecated, "id": active["id"]}, active)
    assert merged_back["description"] == active["description"]


def test_a_newer_deprecated_version_of_the_same_object_wins() -> None:
    active, _ = ics_twins("EKANS")
    retired = {**active, "x_mitre_deprecated": True, "modified": "2030-01-01T00:00:00.000Z"}
    assert merge(active, retired)["x_mitre_deprecated"] is True
