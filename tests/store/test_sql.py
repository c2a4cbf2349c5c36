"""The knowledge store's behaviour, on every back-end pair."""

from __future__ import annotations

from stixflow.clock import now
from stixflow.runtime import Runtime
from stixflow.store.base import Access, ObjectQuery, Provenance
from stixflow.taxii.filters import ObjectFilter
from tests.support import TLP_AMBER, TLP_GREEN, malware, relationship, sdo


def write(runtime: Runtime, objects, *, source="test", user="user-1", aliases=None):
    with runtime.db.transaction() as tx:
        return runtime.store.upsert(
            tx, objects, provenance=Provenance(now(), user, source), aliases=aliases
        )


def test_same_id_twice_is_one_object(runtime: Runtime) -> None:
    obj = malware("Emotet")
    first = write(runtime, [obj])
    second = write(runtime, [obj])
    assert (first.created, second.created, second.unchanged) == (1, 0, 1)
    assert runtime.store.count_by_type(access=Access.everything()) == {"malware": 1}


def test_newer_modified_wins_scalars_and_lists_merge(runtime: Runtime) -> None:
    old = malware("Emotet", description="old", labels=["a"], modified="2024-01-01T00:00:00.000Z")
    new = {**old, "description": "new", "labels": ["b"], "modified": "2024-06-01T00:00:00.000Z"}
    write(runtime, [old])
    write(runtime, [new])
    stored = runtime.store.get(old["id"], access=Access.everything())
    assert stored is not None
    assert stored.data["description"] == "new"
    assert sorted(stored.data["labels"]) == ["a", "b"]
    write(runtime, [{**old, "description": "stale", "labels": ["c"]}])
    stored = runtime.store.get(old["id"], access=Access.everything())
    assert stored is not None
    assert stored.data["description"] == "new"
    assert stored.data["modified"] == "2024-06-01T00:00:00.000Z"
    assert sorted(stored.data["labels"]) == ["a", "b", "c"]


def test_alias_resolves_and_later_pushes_land_on_same_object(runtime: Runtime) -> None:
    canonical = malware("TrickBot")
    original = "malware--11111111-1111-4111-8111-111111111111"
    write(runtime, [canonical], aliases={original: canonical["id"]})
    assert runtime.store.get(original, access=Access.everything()).data["id"] == canonical["id"]
    again = {**canonical, "id": original, "labels": ["banker"]}
    rel = relationship(original, original, "variant-of")
    write(runtime, [again, rel])
    assert runtime.store.count_by_type(access=Access.everything()) == {
        "malware": 1,
        "relationship": 1,
    }
    stored = runtime.store.get(canonical["id"], access=Access.everything())
    assert stored.data["labels"] == ["banker"]
    assert stored.aliases == [original]
    rels = runtime.store.relationships(canonical["id"], access=Access.everything())
    assert [r["source_ref"] for r in rels] == [canonical["id"]]


def test_provenance_records_sources_creators_and_times(runtime: Runtime) -> None:
    obj = malware("Qakbot")
    write(runtime, [obj], source="feed-a", user="alice")
    write(runtime, [obj], source="feed-b", user="bob")
    stored = runtime.store.get(obj["id"], access=Access.everything())
    assert stored.sources == ["feed-a", "feed-b"]
    assert stored.creators == ["alice", "bob"]
    assert stored.first_seen <= stored.last_seen
    for query in (
        ObjectQuery(creator="bob"),
        ObjectQuery(creator="alice"),
        ObjectQuery(source="feed-a"),
        ObjectQuery(source="feed-b"),
    ):
        found = runtime.store.query(query, access=Access.everything())
        assert [o["id"] for o in found.objects] == [obj["id"]], query
    for query in (ObjectQuery(creator="carol"), ObjectQuery(source="feed-c")):
        assert runtime.store.query(query, access=Access.everything()).objects == []
    write(runtime, [obj], source="feed-a", user="alice")  # the first again: nothing new
    stored = runtime.store.get(obj["id"], access=Access.everything())
    assert (stored.sources, stored.creators) == (["feed-a", "feed-b"], ["alice", "bob"])


def test_query_filters_and_cursor_pagination(runtime: Runtime) -> None:
    author = sdo("identity", "ACME", identity_class="organization")
    objects = [
        malware(
            f"family {i:02d}",
            created_by_ref=author["id"],
            modified=f"2024-01-{i + 1:02d}T00:00:00.000Z",
        )
        for i in range(25)
    ]
    write(runtime, [author, *objects], source="feed-x")
    access = Access.everything()
    seen, cursor = [], None
    while True:
        page = runtime.store.query(
            ObjectQuery(types=("malware",), limit=10, cursor=cursor), access=access
        )
        seen.extend(o["id"] for o in page.objects)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sorted(seen) == sorted(o["id"] for o in objects)
    assert len(seen) == len(set(seen)) == 25
    text = runtime.store.query(ObjectQuery(text="FAMILY 07"), access=access)
    assert [o["name"] for o in text.objects] == ["family 07"]
    by_author = runtime.store.query(ObjectQuery(author=author["id"], limit=100), access=access)
    assert len(by_author.objects) == 25
    ranged = runtime.store.query(
        ObjectQuery(
            modified_after="2024-01-10T00:00:00.000Z", modified_before="2024-01-13T00:00:00.000Z"
        ),
        access=access,
    )
    assert sorted(o["name"] for o in ranged.objects) == ["family 10", "family 11"]
    assert (
        len(runtime.store.query(ObjectQuery(source="feed-x", limit=100), access=access).objects)
        == 26
    )
    assert runtime.store.query(ObjectQuery(source="nope"), access=access).objects == []


def test_marking_filter_hides_objects_and_relationships_touching_them(runtime: Runtime) -> None:
    green = malware("green one", object_marking_refs=[TLP_GREEN])
    amber = malware("amber one", object_marking_refs=[TLP_AMBER])
    plain = malware("unmarked")
    rel = relationship(green["id"], amber["id"])
    write(runtime, [green, amber, plain, rel])
    reader = Access.only([TLP_GREEN])
    visible = {o["id"] for o in runtime.store.query(ObjectQuery(), access=reader).objects}
    assert visible == {green["id"], plain["id"]}
    assert runtime.store.get(amber["id"], access=reader) is None
    assert runtime.store.relationships(green["id"], access=reader) == []
    assert runtime.store.count_by_type(access=reader) == {"malware": 2}
    by_marking = runtime.store.query(ObjectQuery(marking=TLP_AMBER), access=Access.everything())
    assert [o["id"] for o in by_marking.objects] == [amber["id"]]


def test_delete_removes_object_and_its_alias(runtime: Runtime) -> None:
    obj = malware("Dridex")
    write(runtime, [obj], aliases={"malware--22222222-2222-4222-8222-222222222222": obj["id"]})
    assert runtime.store.delete("malware--22222222-2222-4222-8222-222222222222")
    assert runtime.store.get(obj["id"], access=Access.everything()) is None
    assert not runtime.store.delete(obj["id"])


def test_a_type_filter_keeps_that_type_only_even_when_another_type_starts_with_its_name(
    runtime: Runtime,
) -> None:
    # on SQLite a type is a range of ids ("attack--" to "attack-."): "attack-pattern--…",
    # "x-mitre-tactic-x--…" or "attack-" followed by anything else must stay out
    kinds = ("attack", "attack-pattern", "x-mitre-tactic", "x-mitre-tactic-x", "attac")
    written = [sdo(kind, f"{kind} {n}") for kind in kinds for n in range(3)]
    write(runtime, written)
    everything = Access.everything()
    for kind in kinds:
        page = runtime.store.query(ObjectQuery(types=(kind,), limit=100), access=everything)
        assert sorted(obj["id"] for obj in page.objects) == sorted(
            obj["id"] for obj in written if obj["type"] == kind
        )
    both = runtime.store.query(ObjectQuery(types=kinds[:2], limit=2), access=everything)
    rest = runtime.store.query(
        ObjectQuery(types=kinds[:2], limit=100, cursor=both.next_cursor), access=everything
    )
    assert len(both.objects) + len(rest.objects) == 6
    assert runtime.store.count_by_type(access=everything) == {kind: 3 for kind in kinds}


def test_a_collection_source_filter_matches_the_creating_and_the_later_sources(
    runtime: Runtime,
) -> None:
    only_a, both = malware("Onlya"), malware("Bothfeeds")
    write(runtime, [only_a, both], source="feed-a")
    write(runtime, [both], source="feed-b")
    for sources, expected in (
        (["feed-a"], {only_a["id"], both["id"]}),
        (["feed-b"], {both["id"]}),
        (["feed-c", "feed-b"], {both["id"]}),
        (["feed-c"], set()),
    ):
        where, params = ObjectFilter(sources=sources).sql(runtime.db.in_clause)
        with runtime.db.read() as tx:
            found = tx.fetchall(f"SELECT o.id FROM objects o WHERE {where}", params)
        assert {row[0] for row in found} == expected, sources
