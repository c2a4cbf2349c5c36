"""Text search through each database's own index (``store.search``), on every back-end pair.

The store holds real data (a Unit 42 playbook with domains and IPs, ATT&CK mobile with aliases);
every search must return exactly the objects a plain ``LIKE '%…%'`` scan of ``search_text``
returns, whatever the index does underneath.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from stixflow.clock import now
from stixflow.runtime import Runtime
from stixflow.store.base import Access, ObjectQuery, Provenance
from stixflow.store.search import like_pattern, text_clause
from tests.support import TLP_AMBER, TLP_GREEN, malware

QUERIES = [
    "apt41",  # a name and an alias
    "wicked panda",  # an alias only
    "mango sandstorm",
    "sandworm",  # the start of a name
    ".xyz",  # part of domains
    "english",
    "185.",  # part of IPs
    "194.5.249",
    "credential",  # a description word
    "t1",  # shorter than a trigram: the scan answers
    "a",
    "100%",  # LIKE wildcards searched as themselves
    "_",
    'say "hi"',  # quotes in an FTS phrase
    "nothing-matches-this-text",
]


def _objects(data_dir: Path) -> list[dict]:
    found = []
    for name in ("unit42-playbooks/mespinoza-ransomware.json", "mitre-cti-mobile-attack.json"):
        found.extend(orjson.loads((data_dir / "stix" / name).read_bytes())["objects"])
    found.append(malware("Percent 100% sure", description='they say "hi" to_all'))
    return found


@pytest.fixture
def loaded(runtime: Runtime, data_dir: Path) -> Runtime:
    objects = _objects(data_dir)
    with runtime.db.transaction() as tx:
        runtime.store.upsert(tx, objects, provenance=Provenance(now(), None, "test"))
    return runtime


def _scan(runtime: Runtime, text: str) -> set[str]:
    with runtime.db.read() as tx:
        found = tx.fetchall(
            "SELECT id FROM objects WHERE search_text LIKE ? ESCAPE '\\'", [like_pattern(text)]
        )
    return {object_id for (object_id,) in found}


def _search(runtime: Runtime, text: str, *, limit: int = 1000, access: Access | None = None):
    ids: list[str] = []
    cursor = None
    while True:
        page = runtime.store.query(
            ObjectQuery(text=text, limit=limit, cursor=cursor),
            access=access or Access.everything(),
        )
        ids.extend(obj["id"] for obj in page.objects)
        if page.next_cursor is None:
            return ids
        cursor = page.next_cursor


def test_search_returns_what_a_like_scan_returns(loaded: Runtime) -> None:
    hits = 0
    for text in QUERIES:
        found = _search(loaded, text)
        assert len(found) == len(set(found)), text
        assert set(found) == _scan(loaded, text), text
        hits += bool(found)
    assert hits >= len(QUERIES) - 1  # only the last query finds nothing


def test_the_index_answers_and_keeps_up_with_updates_and_deletes(loaded: Runtime) -> None:
    obj = malware("Quasarpanther", description="first words")
    with loaded.db.transaction() as tx:
        loaded.store.upsert(tx, [obj], provenance=Provenance(now(), None, "test"))
    assert _search(loaded, "quasarpanther") == [obj["id"]]
    renamed = {**obj, "name": "Nebulaotter", "modified": "2030-01-01T00:00:00.000Z"}
    with loaded.db.transaction() as tx:
        loaded.store.upsert(
            tx, [renamed], provenance=Provenance(now(), None, "test"), overwrite=True
        )
    assert _search(loaded, "quasarpanther") == []
    assert _search(loaded, "nebulaotter") == [obj["id"]]
    assert loaded.store.delete(obj["id"])
    assert _search(loaded, "nebulaotter") == []


def test_exact_name_and_alias_matches_come_first(loaded: Runtime) -> None:
    found = _search(loaded, "apt41")
    first = loaded.store.get(found[0], access=Access.everything())
    assert first is not None and first.data["name"] == "APT41"
    by_alias = _search(loaded, "wicked panda")
    assert loaded.store.get(by_alias[0], access=Access.everything()).data["name"] == "APT41"
    ranked = _search(loaded, "sandworm")
    names = [loaded.store.get(i, access=Access.everything()).data.get("name") for i in ranked]
    assert names[0] == "Sandworm Team"  # the name starting with the text before mentions of it
    assert len(ranked) > 1


def test_ranked_pages_walk_every_match_once(loaded: Runtime) -> None:
    whole = _search(loaded, "sandworm")
    assert _search(loaded, "sandworm", limit=3) == whole
    assert _search(loaded, ".xyz", limit=7) == _search(loaded, ".xyz")


def test_a_reader_never_finds_what_its_markings_hide(runtime: Runtime) -> None:
    hidden = malware("Amberwolf secret", object_marking_refs=[TLP_AMBER])
    shown = malware("Greenwolf public", object_marking_refs=[TLP_GREEN])
    with runtime.db.transaction() as tx:
        runtime.store.upsert(tx, [hidden, shown], provenance=Provenance(now(), None, "test"))
    green_only = Access.only([TLP_GREEN])
    assert _search(runtime, "wolf", access=green_only) == [shown["id"]]
    assert _search(runtime, "amberwolf", access=green_only) == []
    assert set(_search(runtime, "wolf")) == {hidden["id"], shown["id"]}


def test_a_search_is_answered_from_the_text_index(runtime: Runtime) -> None:
    clause, params = text_clause(runtime.db.dialect, "sandworm")
    with runtime.db.read() as tx:
        if runtime.db.dialect == "postgresql":
            tx.execute("SET LOCAL enable_seqscan = off")  # an empty table is cheaper to scan
            plan = tx.fetchall(f"EXPLAIN SELECT o.id FROM objects o WHERE {clause}", params)
        else:
            plan = tx.fetchall(
                f"EXPLAIN QUERY PLAN SELECT o.id FROM objects o WHERE {clause}", params
            )
    text = " ".join(str(part) for row in plan for part in row)
    assert ("objects_search_trgm" if runtime.db.dialect == "postgresql" else "objects_fts") in text
