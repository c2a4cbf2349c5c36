"""OpenCTI's CSV mapper semantics: the csv-parser fixtures' mappers, imported as OpenCTI files,
give the objects OpenCTI's own parser tests expect (count and types per row).

The expectations come from each fixture's ``_note`` (OpenCTI's csv-parser-test.ts); the reference
values (names, types) are read from the CSV with the csv module, independently of the engine.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from typing import Any

from fastapi.testclient import TestClient

from stixflow.csvmap.engine import Engine
from stixflow.csvmap.model import CsvMapperSpec
from stixflow.opencti.files import Report
from stixflow.opencti.mapper import import_mapper
from tests.opencti.support import FIXTURES

PARSER = FIXTURES / "csv-parser"


def opencti_mapper(folder: str) -> tuple[CsvMapperSpec, Report]:
    """The fixture's mapper as an OpenCTI csvMapper file would carry it, imported."""
    configuration = json.loads((PARSER / folder / "mapper.json").read_text())
    configuration["name"] = configuration["id"]
    report = Report()
    document = {"openCTI_version": "6.6.6", "type": "csvMapper", "configuration": configuration}
    return import_mapper(document, report), report


def mapped(spec: CsvMapperSpec, text: str) -> list[list[dict[str, Any]]]:
    rows = list(Engine(spec).rows(io.StringIO(text, newline="")))
    assert [row.error for row in rows] == [None] * len(rows)
    return [row.objects for row in rows]


def test_simple_entity_test_gives_five_threat_actor_groups() -> None:
    spec, report = opencti_mapper("simple-entity-test")
    assert report.unsupported == ["configuration._note: unknown OpenCTI field, not imported"]
    text = (PARSER / "simple-entity-test/Threat-Actor-Group_list.csv").read_text(encoding="utf-8")
    reference = list(csv.reader(io.StringIO(text), delimiter=";"))[1:]
    per_row = mapped(spec, text)
    assert [len(objects) for objects in per_row] == [1] * 5
    objects = [objects[0] for objects in per_row]
    assert {o["type"] for o in objects} == {"threat-actor"}
    assert [o["name"] for o in objects] == [row[17] for row in reference]  # column R
    with_types = [o["threat_actor_types"] for o in objects if "threat_actor_types" in o]
    assert with_types == [["nation-state", "activist"]]


def test_simple_entity_test_through_the_api(client: TestClient) -> None:
    configuration = json.loads((PARSER / "simple-entity-test/mapper.json").read_text())
    configuration = {k: v for k, v in configuration.items() if k != "_note"}
    configuration["name"] = "simple entity test"
    document = {"openCTI_version": "6.6.6", "type": "csvMapper", "configuration": configuration}
    created = client.post("/api/csv-mappers/import", json=document)
    assert created.status_code == 201 and created.json()["unsupported"] == []
    sample = (PARSER / "simple-entity-test/Threat-Actor-Group_list.csv").read_bytes()
    tested = client.post(
        f"/api/csv-mappers/{created.json()['id']}/test", files={"file": ("tag.csv", sample)}
    )
    assert tested.status_code == 200, tested.text
    assert (tested.json()["rows"], tested.json()["by_type"]) == (5, {"threat-actor": 5})


def url_ip_rows() -> str:
    """Rows in the layout of OpenCTI's url-ip.csv (not in the shared data): the author in A,
    the observable type in E, its value in P, its score in W; ';'-separated with a header."""
    header = [f"h{i}" for i in range(23)]
    samples = [
        ("IPv4-Addr", "91.200.148.232", "41"),
        ("Url", "http://requestrepo.com/r/2yxp98b3", "22"),
        ("IPv4-Addr", "5.188.86.172", "60"),
        ("Domain-Name", "ignored.example", "10"),
    ]
    lines = [";".join(header)]
    for kind, value, score in samples:
        cells = [""] * 23
        cells[0], cells[4], cells[15], cells[22] = "AlienVault", kind, value, score
        lines.append(";".join(cells))
    return "\n".join(lines) + "\n"


def test_dynamic_url_and_ip_maps_each_row_by_its_type_column() -> None:
    spec, _ = opencti_mapper("dynamic-url-and-ip")
    per_row = mapped(spec, url_ip_rows())
    assert [Counter(o["type"] for o in objects) for objects in per_row] == [
        {"ipv4-addr": 1, "identity": 1},
        {"url": 1, "identity": 1},
        {"ipv4-addr": 1, "identity": 1},
        {"identity": 1},  # neither column-based representation applies
    ]
    identities = {o["id"]: o for objects in per_row for o in objects if o["type"] == "identity"}
    assert [(i["name"], i["identity_class"]) for i in identities.values()] == [
        ("AlienVault", "individual")
    ]
    first_ip, first_url = per_row[0][0], per_row[1][0]
    assert (first_ip["value"], first_ip["x_opencti_score"]) == ("91.200.148.232", 41)
    assert (first_url["value"], first_url["x_opencti_score"]) == (
        "http://requestrepo.com/r/2yxp98b3",
        22,
    )
    distinct = {o["id"] for objects in per_row for o in objects}
    assert len(distinct) == 3 + 1  # one object per mapped line, plus the one individual


def test_the_csv_mapper_fixture_file_with_a_comment_before_its_header() -> None:
    """csvMapper/test-file.csv: a comment line before the header, a row longer than the header
    (OpenCTI maps it); an OpenCTI mapper of its area and malware columns."""
    configuration = {
        "name": "area and malware",
        "has_header": True,
        "separator": ",",
        "skipLineChar": "#",
        "representations": [
            {
                "id": "area",
                "type": "entity",
                "target": {"entity_type": "Administrative-Area", "column_based": None},
                "attributes": [
                    {"key": "name", "column": {"column_name": "A"}},
                    {"key": "description", "column": {"column_name": "B"}},
                ],
            },
            {
                "id": "malware",
                "type": "entity",
                "target": {"entity_type": "Malware", "column_based": None},
                "attributes": [
                    {"key": "name", "column": {"column_name": "E"}},
                    {"key": "description", "column": {"column_name": "F"}},
                ],
            },
        ],
    }
    report = Report()
    spec = import_mapper(configuration, report)
    assert report.unsupported == []
    text = (FIXTURES / "csvMapper/test-file.csv").read_text(encoding="utf-8")
    data = [r for r in csv.reader(io.StringIO(text)) if r and not r[0].startswith("#")][1:]
    per_row = mapped(spec, text)
    assert len(per_row) == len(data) == 1
    area, malware = per_row[0]
    assert (area["type"], area["name"], area["x_opencti_location_type"]) == (
        "location",
        data[0][0],
        "Administrative-Area",
    )
    assert (malware["type"], malware["name"], malware["description"]) == (
        "malware",
        data[0][4],
        data[0][5],
    )
