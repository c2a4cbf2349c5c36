"""Mappers written as a user would, run over the real abuse.ch exports; counts derived with the
plain csv module over the same file (distinct values, as the knowledge base will hold them)."""

from __future__ import annotations

from pathlib import Path

import pytest
from stix2validator import ValidationOptions, validate_instance

from stixflow.csvmap.engine import Engine, Markings
from stixflow.csvmap.model import check
from stixflow.csvmap.tester import test_mapper
from tests.csvmap.support import mapper, plain_rows

CSV = "csv"
TLP_AMBER = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"


def run(name: str, path: Path, **markings: tuple[str, ...]) -> dict[str, int]:
    spec = mapper(name)
    check(spec)
    with path.open(encoding="utf-8", newline="") as handle:
        result = test_mapper(spec, handle, markings=Markings(**markings))
    assert result.error_count == 0, result.errors[:5]
    return result.by_type


def test_urlhaus(data_dir: Path) -> None:
    path = data_dir / CSV / "urlhaus_csv_recent_2026-03-09.csv"
    rows = plain_rows(path)
    urls = {row[2].strip() for row in rows}
    assert len(rows) == 19_510
    counts = run("urlhaus", path)
    assert counts == {"url": len(urls), "indicator": len(urls), "relationship": len(urls)}


def test_feodo(data_dir: Path) -> None:
    path = data_dir / CSV / "feodo_ipblocklist_2021-12-20.csv"
    rows = plain_rows(path, header=True)
    ips = {row[1] for row in rows}
    families = {row[5] for row in rows}
    pairs = {(row[1], row[5]) for row in rows}
    assert len(rows) == 750
    counts = run("feodo", path, user_default=(TLP_AMBER,))
    assert counts == {
        "ipv4-addr": len(ips),
        "malware": len(families),
        "indicator": len(ips),
        "relationship": len(ips) + len(pairs),  # based-on + indicates
    }


def test_sslbl(data_dir: Path) -> None:
    path = data_dir / CSV / "sslblacklist_1.csv"
    rows = plain_rows(path)
    fingerprints = {row[1].lower() for row in rows}
    counts = run("sslbl", path)
    assert counts == {
        "x509-certificate": len(fingerprints),
        "indicator": len(fingerprints),
        "relationship": len(fingerprints),
    }


def test_malwarebazaar(data_dir: Path) -> None:
    path = data_dir / CSV / "dump_20260226.csv"
    rows = plain_rows(path, skipinitialspace=True)
    md5s = {row[2] for row in rows}  # the hash a file's STIX id is computed from
    triples = {(row[1], row[2], row[3]) for row in rows}
    signatures = {row[8] for row in rows if row[8] != "n/a"}
    indicates = {(row[1], row[2], row[3], row[8]) for row in rows if row[8] != "n/a"}
    assert len(rows) == 39
    counts = run("malwarebazaar", path)
    assert counts == {
        "file": len(md5s),
        "malware": len(signatures),
        "indicator": len(triples),
        "relationship": len(triples) + len(indicates),
    }


def test_ipsum(data_dir: Path) -> None:
    path = data_dir / CSV / "ipsum_level_8_sample.txt"
    ips = {line.strip() for line in path.read_text().splitlines() if line.strip()}
    counts = run("ipsum", path)
    assert counts == {"ipv4-addr": len(ips), "indicator": len(ips), "relationship": len(ips)}


@pytest.mark.parametrize(
    ("name", "file"),
    [
        ("feodo", "feodo_ipblocklist_2024-03-26_23-30-15.csv"),
        ("malwarebazaar", "dump_20260226.csv"),
        ("sslbl", "sslblacklist_1.csv"),
    ],
)
def test_objects_are_valid_stix(data_dir: Path, name: str, file: str) -> None:
    """What the engine produces passes the OASIS validator (patterns included)."""
    engine = Engine(mapper(name), markings=Markings(user_default=(TLP_AMBER,)))
    with (data_dir / CSV / file).open(encoding="utf-8") as handle:
        objects = [obj for chunk in engine.chunks(handle) for obj in chunk.objects]
    options = ValidationOptions(version="2.1", strict=False)
    for obj in objects[:200]:
        result = validate_instance(obj, options)
        assert result.is_valid, (obj, [str(e) for e in result.errors])
    marked = [o for o in objects if o["type"] == "indicator"]
    if name != "malwarebazaar":
        assert all(o["object_marking_refs"] == [TLP_AMBER] for o in marked)
