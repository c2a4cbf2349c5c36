"""Text search through each database's own index (``store.search``), on every back-end pair.

The store holds real data (a Unit 42 playbook with domains and IPs, ATT&CK mobile with aliases);
every search must return exactly the objects a plain ``LIKE '%…%'`` scan of ``search_text``
returns, whatever the index does underneath.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import orjson
import pytest

from stixflow.clock import now
from stixflow.db.base import Tx
from stixflow.runtime import Runtime
from stixflow.store import search
from stixflow.store.base import Access, ObjectQuery, Provenance
from stixflow.store.search import like_pattern, rank_sql, text_clause
from tests.support import TLP_AMBER, TLP_GREEN, malware, relationship, sdo

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


def test_a_search_is_answered_from_the_text_index(loaded: Runtime) -> None:
    clause, params = text_clause(loaded.db.dialect, "sandworm")
    if loaded.db.dialect == "sqlite":
        with loaded.db.read() as tx:
            plan = tx.fetchall(
                f"EXPLAIN QUERY PLAN SELECT o.id FROM objects o WHERE {clause}", params
            )
        assert "objects_fts" in " ".join(str(part) for row in plan for part in row)
        return
    with loaded.db.transaction() as tx:
        tx.execute("ANALYZE objects")  # as autovacuum would: most rows are relationships
    for part, index in ((search.NAMED, "named"), (search.EDGES, "edges")):
        with loaded.db.read() as tx:
            tx.execute("SET LOCAL enable_seqscan = off")  # a small table is cheaper to scan
            plan = tx.fetchall(
                f"EXPLAIN SELECT o.id FROM objects o WHERE {clause} AND {part}", params
            )
        assert f"objects_search_{index}_trgm" in " ".join(str(row[0]) for row in plan)


# -- ranked pages across the rank boundaries and the index parts ---------------------------

GREEN_ONLY = Access.only([TLP_GREEN])


def _ranked_scan(runtime: Runtime, text: str, access: Access) -> list[str]:
    """What a search must answer: the rows of a LIKE scan the reader may see, in rank then id
    (bytes) order."""
    rank, rank_params = rank_sql(text)
    with runtime.db.read() as tx:
        found = tx.fetchall(
            f"SELECT o.id, {rank} FROM objects o WHERE o.search_text LIKE ? ESCAPE '\\'",
            [*rank_params, like_pattern(text)],
        )
    visible = {obj["id"] for obj in _everything(runtime, access)}
    return [i for _, i in sorted((int(r), i) for i, r in found) if i in visible]


def _everything(runtime: Runtime, access: Access) -> list[dict[str, Any]]:
    return runtime.store.query(ObjectQuery(limit=1000), access=access).objects


@pytest.fixture
def ranked(runtime: Runtime) -> Runtime:
    """A name matched exactly, by prefix and as an alias; descriptions of objects whose ids sort
    before the edges, after them (tool, x-mitre-…) and of the edges themselves; a relationship
    with a name of its own; hidden objects and a relationship hidden by its hidden end."""
    exact = malware("Glimmerfox")
    hidden = malware("Glimmerfox Amber", object_marking_refs=[TLP_AMBER])
    objects = [
        exact,
        hidden,
        malware("Glimmerfox Loader", object_marking_refs=[TLP_GREEN]),
        sdo("intrusion-set", "Night Otter", aliases=["Glimmerfox"]),
        sdo("tool", "glimmerfox-kit"),
        sdo("tool", "Sweeper", description="drops glimmerfox"),
        sdo("x-mitre-tactic", "Evasion", description="as glimmerfox does"),
        *(
            sdo("attack-pattern", f"Technique {n}", description=f"glimmerfox use {n}")
            for n in range(3)
        ),
        *(
            relationship(
                exact["id"],
                hidden["id"] if n == 0 else exact["id"],
                description=f"glimmerfox step {n}",
            )
            for n in range(5)
        ),
        relationship(exact["id"], exact["id"], name="Glimmerfox"),
        relationship(exact["id"], exact["id"], description="unrelated words"),
    ]
    with runtime.db.transaction() as tx:
        runtime.store.upsert(tx, objects, provenance=Provenance(now(), None, "test"))
    return runtime


@pytest.mark.parametrize("limit", [1, 2, 3, 50])
@pytest.mark.parametrize("access", [Access.everything(), GREEN_ONLY], ids=["all", "green"])
def test_ranked_pages_are_the_ranked_scan_whatever_the_page_size(
    ranked: Runtime, limit: int, access: Access
) -> None:
    expected = _ranked_scan(ranked, "glimmerfox", access)
    assert len(expected) == (16 if access.allowed_markings is None else 14)
    assert _search(ranked, "glimmerfox", limit=limit, access=access) == expected
    assert _search(ranked, "Glimmerfox", limit=limit, access=access) == expected


def test_ranked_pages_put_names_first_then_ids(ranked: Runtime) -> None:
    found = _search(ranked, "glimmerfox", limit=2)
    kinds = [i.split("--")[0] for i in found]
    assert kinds[:3] == ["intrusion-set", "malware", "relationship"]  # exact: 0
    assert kinds[3:6] == ["malware", "malware", "tool"]  # prefix: 1
    rest = kinds[6:]  # then by id: before the edges, the edges, after them
    assert rest == sorted(rest) and rest.count("relationship") == 5
    assert rest[0] == "attack-pattern" and rest[-1] == "x-mitre-tactic"
    seen = _ranked_scan(ranked, "glimmerfox", GREEN_ONLY)
    assert (
        len([i for i in found if i not in seen]) == 2
    )  # the amber malware and the relationship to it


class _Recording:
    """A Tx that keeps the statements it runs."""

    def __init__(self, tx: Tx) -> None:
        self.tx, self.dialect, self.statements = tx, tx.dialect, []

    def fetchall(self, sql: str, params: Any = ()) -> list[Any]:
        self.statements.append(sql)
        return self.tx.fetchall(sql, params)


def _parts_read(runtime: Runtime, text: str, count: int) -> list[str]:
    where, params = text_clause(runtime.db.dialect, text)
    with runtime.db.read() as tx:
        recording = _Recording(tx)
        search.ranked(cast(Tx, recording), where, params, text, after=None, count=count)
    return [
        "edges" if search.EDGES in sql and search.NAMED not in sql else "named"
        for sql in recording.statements
    ]


def test_a_page_full_before_the_first_edge_reads_no_edge(ranked: Runtime) -> None:
    """Nine named matches sort before the edges (ranks 0 and 1, the attack patterns): up to
    nine rows are answered without reading the relationships; ten read them."""
    if ranked.db.dialect == "sqlite":
        assert _parts_read(ranked, "glimmerfox", 3) == ["named"]  # one query, one index
        return
    assert _parts_read(ranked, "glimmerfox", 9) == ["named"]
    assert _parts_read(ranked, "glimmerfox", 10) == ["named", "edges"]
    assert _parts_read(ranked, "zz", 3) == ["named"]  # too short for an index: one scan
