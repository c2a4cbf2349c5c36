"""Importing real ATT&CK twins (one name, other ATT&CK ids): two objects, the active one intact."""

from __future__ import annotations

from pathlib import Path

import orjson

from stixflow.runtime import Runtime
from stixflow.stix.ids import deterministic_id
from stixflow.stix.twins import twin_id
from stixflow.store.base import Access, Provenance
from tests.support import drain

EVERYTHING = Access.everything()


def ics_objects(data_dir: Path) -> list[dict]:
    path = data_dir / "stix" / "attack-stix-data-ics-attack-17.1.json"
    return orjson.loads(path.read_bytes())["objects"]


def twins(objects: list[dict], name: str) -> tuple[dict, dict]:
    found = [o for o in objects if o["type"] == "malware" and o["name"].lower() == name]
    active = next(o for o in found if not o.get("x_mitre_deprecated"))
    deprecated = next(o for o in found if o.get("x_mitre_deprecated"))
    return active, deprecated


def test_a_release_with_twins_keeps_both_and_the_active_one_wins_its_name(
    runtime: Runtime, data_dir: Path
) -> None:
    objects = ics_objects(data_dir)
    work = drain(runtime, runtime.submitter.submit(objects, name="ics 17.1"), timeout=600)
    assert (work.processed, work.failed) == (len(objects), 0), work.errors[:3]
    for name in ("ekans", "killdisk", "stuxnet"):
        active, deprecated = twins(objects, name)
        held = runtime.store.get(str(deterministic_id(active)), access=EVERYTHING)
        assert held is not None
        assert held.data.get("x_mitre_deprecated") is not True
        assert held.data["description"] == active["description"]
        assert held.data["name"] == active["name"]  # "KillDisk", not the deprecated "Killdisk"
        assert active["id"] in held.aliases and deprecated["id"] not in held.aliases
        other = runtime.store.get(deprecated["id"], access=EVERYTHING)
        assert other is not None and other.data["id"] == twin_id(deprecated)
        assert other.data["x_mitre_deprecated"] is True
        uses = runtime.store.relationships(other.data["id"], access=EVERYTHING)
        assert {r["source_ref"] for r in uses if r["relationship_type"] == "uses"} <= {
            other.data["id"]
        }


def test_a_deprecated_twin_arriving_later_does_not_touch_the_held_active_one(
    runtime: Runtime, data_dir: Path
) -> None:
    active, deprecated = twins(ics_objects(data_dir), "ekans")
    drain(runtime, runtime.submitter.submit([active], name="active"))
    before = runtime.store.get(active["id"], access=EVERYTHING)
    assert before is not None
    work = drain(runtime, runtime.submitter.submit([deprecated], name="deprecated"))
    assert (work.processed, work.failed) == (1, 0)
    after = runtime.store.get(active["id"], access=EVERYTHING)
    assert after is not None and after.data == before.data
    other = runtime.store.get(deprecated["id"], access=EVERYTHING)
    assert other is not None and other.data["id"] == twin_id(deprecated)
    assert other.data["id"] != after.data["id"]


def test_a_twin_reaching_the_store_under_the_held_id_is_kept_apart(
    runtime: Runtime, data_dir: Path
) -> None:
    """A connector's one-object message carries no bundle to tell twins apart: the store does."""
    active, deprecated = twins(ics_objects(data_dir), "stuxnet")
    name_id = str(deterministic_id(active))
    provenance = Provenance(seen_at="2025-01-01T00:00:00.000Z", source="connector")
    with runtime.db.transaction() as tx:
        runtime.store.upsert(tx, [{**active, "id": name_id}], provenance=provenance)
    before = runtime.store.get(name_id, access=EVERYTHING)
    with runtime.db.transaction() as tx:
        result = runtime.store.upsert(
            tx,
            [{**deprecated, "id": name_id}],
            provenance=provenance,
            aliases={deprecated["id"]: name_id},
        )
    assert (result.created, result.updated) == (1, 0)
    after = runtime.store.get(name_id, access=EVERYTHING)
    assert before is not None and after is not None and after.data == before.data
    other = runtime.store.get(deprecated["id"], access=EVERYTHING)
    assert other is not None and other.data["id"] == twin_id(deprecated)
    assert other.data["description"] == deprecated["description"]
