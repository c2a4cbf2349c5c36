"""The "knowledge base at scale" scenario: its corpus of renamed copies, and a small smoke run.

No timing is asserted (speed is measured only by ``python -m bench``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import corpus, table
from bench.scenarios import scale
from bench.scenarios.base import Options
from stixflow.stix.ids import deterministic_id

SIZE = 3000


def _refs(obj: dict) -> list[str]:
    found = [obj.get("source_ref"), obj.get("target_ref"), obj.get("created_by_ref")]
    return [ref for ref in found if ref]


def test_copies_are_deterministic_disjoint_and_keep_their_links(data_dir: Path) -> None:
    stix = data_dir / "stix"
    base = corpus.originals(stix)
    size = len(base) + SIZE  # the whole of copy 0, then the start of copy 1
    built = list(corpus.objects(stix, size))
    assert built == list(corpus.objects(stix, size))
    assert len({obj["id"] for obj in built}) == size  # copies never share an id
    copy1 = built[len(base) :]
    originals = [obj for obj in base if obj["type"] != "marking-definition"][:SIZE]
    assert [obj["type"] for obj in copy1] == [obj["type"] for obj in originals]
    renamed_ids = {a["id"]: b["id"] for a, b in zip(originals, copy1, strict=True)}
    for a, b in zip(originals, copy1, strict=True):
        if a.get("name"):
            assert b["name"] == f"{a['name']} #1"
        for old, new in zip(_refs(a), _refs(b), strict=True):
            assert new != old
            assert renamed_ids.get(old, new) == new  # a link to a copied object follows it
        assert b.get("object_marking_refs") == a.get("object_marking_refs")  # shared markings
    # nor do the ids the platform derives (attack patterns: from their ATT&CK id)
    derived0 = {deterministic_id(obj) or obj["id"] for obj in originals}
    assert not derived0 & {deterministic_id(obj) or obj["id"] for obj in copy1}


@pytest.mark.timeout(120)
def test_a_small_store_is_built_and_measured_on_sqlite() -> None:
    options = Options(pairs=("sqlite-embedded",), scale_objects=SIZE)

    rows = scale.run(options)

    assert [row.backend for row in rows] == ["sqlite-embedded"]
    row = rows[0]
    assert not row.failed, row.note
    assert len(row.details["slice_rates"]) == scale.SLICES
    assert row.details["stored_besides_markings"] >= SIZE - 5  # the corpora's few markings
    assert row.values["db_mib"] > 0 and row.values["search_p95_ms"] > 0
    header, _, line = table.render(rows).splitlines()
    assert "search p95 ms" in header and "DB/input" in header
    assert "| sqlite-embedded |" in line
    late = sum(row.details["slice_rates"][-3:]) / 3 / row.details["slice_rates"][0]
    assert f"last 3 slices' mean: {late:.0%} of the first" in line
