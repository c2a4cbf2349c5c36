"""OpenCTI configuration files through the API and the CLI: each fixture imports and exports
back to an equivalent file; unknown fields are reported; no secret leaves in a file; a caller
without the capability (or not owning the ingester) gets nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from stixflow.access.capabilities import Capability
from stixflow.cli.main import cli
from stixflow.runtime import Runtime
from tests.connectors.live import live_stixflow
from tests.opencti.support import (
    CSV_FEED,
    FIXTURES,
    INGESTER_FILES,
    TAXII_FEED,
    comparable,
    fixture,
    inline_mapper_file,
)


def base(kind: str) -> str:
    return "/api/csv-mappers" if kind == "csv-mapper" else f"/api/ingestion/{kind}"


def round_trip(client: TestClient, kind: str, document: dict[str, Any]) -> dict[str, Any]:
    created = client.post(f"{base(kind)}/import", json=document)
    assert created.status_code == 201, created.text
    assert created.json()["unsupported"] == []
    exported = client.get(f"{base(kind)}/{created.json()['id']}/export")
    assert exported.status_code == 200, exported.text
    assert json.loads(exported.headers["X-Stixflow-Unsupported"]) == []
    answer: dict[str, Any] = exported.json()
    return answer


@pytest.mark.parametrize("name", sorted(INGESTER_FILES))
def test_each_ingester_file_round_trips_through_the_api(client: TestClient, name: str) -> None:
    kind = INGESTER_FILES[name]
    original = fixture(name)
    exported = round_trip(client, kind, original)
    assert comparable(exported) == comparable(original)
    listed = client.get(base(kind)).json()
    assert [(i["name"], i["running"]) for i in listed] == [
        (original["configuration"]["name"], False)
    ]


def test_the_mapper_file_round_trips_and_a_feed_reuses_an_equal_mapper(client: TestClient) -> None:
    original = inline_mapper_file()
    assert comparable(round_trip(client, "csv-mapper", original)) == comparable(original)
    feed = client.post("/api/ingestion/csv/import", json=fixture(CSV_FEED))
    assert feed.status_code == 201, feed.text
    assert "uses the existing CSV mapper 'Inline CSV Feed'" in feed.json()["notes"]
    assert len(client.get("/api/csv-mappers").json()) == 1
    different = inline_mapper_file()
    different["configuration"]["separator"] = ","
    other = fixture(CSV_FEED)
    other["configuration"]["name"] = "Another feed"
    other["configuration"]["csv_mapper"] = different
    refused = client.post("/api/ingestion/csv/import", json=other)
    assert refused.status_code == 409 and "Inline CSV Feed" in refused.text


def test_unknown_fields_are_reported_not_dropped(client: TestClient) -> None:
    document = inline_mapper_file()
    configuration = document["configuration"]
    configuration["future_option"] = True
    configuration["representations"][0]["attributes"][0]["column"]["configuration"] = {
        "separator": "|",
        "trim_mode": "both",
    }
    configuration["representations"][1]["attributes"].append(
        {"key": "externalReferences", "column": {"column_name": "C"}}
    )
    created = client.post("/api/csv-mappers/import", json=document)
    assert created.status_code == 201, created.text
    assert sorted(created.json()["unsupported"]) == [
        "configuration.future_option: unknown OpenCTI field, not imported",
        "configuration.representations[0].attributes[0].column.configuration.trim_mode: "
        "unknown OpenCTI field, not imported",
        "configuration.representations[1].attributes[2].key: credential has no attribute "
        "'externalReferences'",
    ]
    push = fixture("taxiiPush/test-taxii-push.json")
    push["configuration"]["ingestion_running"] = True
    answer = client.post("/api/ingestion/taxii-push/import", json=push).json()
    assert answer["unsupported"] == [
        "configuration.ingestion_running: an imported ingester is created stopped (value True)"
    ]


def test_a_file_of_another_type_is_refused(client: TestClient) -> None:
    refused = client.post("/api/ingestion/taxii/import", json=fixture(CSV_FEED))
    assert refused.status_code == 400
    assert "'csvFeeds' file; expected 'taxiiFeeds'" in refused.text
    assert client.get("/api/ingestion/taxii").json() == []


def test_credentials_are_never_exported(client: TestClient) -> None:
    feed = fixture(TAXII_FEED)
    feed["configuration"].update(authentication_type="bearer", authentication_value="t0ken-42")
    created = client.post("/api/ingestion/taxii/import", json=feed)
    assert created.status_code == 201, created.text
    exported = client.get(f"/api/ingestion/taxii/{created.json()['id']}/export")
    assert "t0ken-42" not in exported.text
    assert exported.json()["configuration"]["authentication_value"] == "undefined"
    csv = fixture(CSV_FEED)
    csv["configuration"].update(authentication_type="basic", authentication_value="alice:s3cret")
    created = client.post("/api/ingestion/csv/import", json=csv)
    assert created.status_code == 201, created.text
    exported = client.get(f"/api/ingestion/csv/{created.json()['id']}/export")
    assert "s3cret" not in exported.text
    assert exported.json()["configuration"]["authentication_value"] == "alice:undefined"
    again = exported.json()
    again["configuration"]["name"] = "again"
    refused = client.post("/api/ingestion/csv/import", json=again)
    assert refused.status_code == 400
    assert "authentication_value: the file carries no password" in refused.text


def test_callers_without_the_capability_or_the_ingester_get_nothing(
    client: TestClient, user_token: Callable[..., str]
) -> None:
    reader = {"Authorization": f"Bearer {user_token(Capability.KNOWLEDGE)}"}
    for kind, name in (("taxii", TAXII_FEED), ("csv", CSV_FEED)):
        refused = client.post(f"{base(kind)}/import", json=fixture(name), headers=reader)
        assert refused.status_code == 403
        assert client.get(base(kind)).json() == []
    assert (
        client.post(
            "/api/csv-mappers/import", json=inline_mapper_file(), headers=reader
        ).status_code
        == 403
    )
    mine = client.post("/api/ingestion/taxii/import", json=fixture(TAXII_FEED)).json()["id"]
    assert client.get(f"/api/ingestion/taxii/{mine}/export", headers=reader).status_code == 403
    other = {"Authorization": f"Bearer {user_token(Capability.INGESTION)}"}
    assert client.get(f"/api/ingestion/taxii/{mine}/export", headers=other).status_code == 404


def test_cli_round_trips_each_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STIXFLOW_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("STIXFLOW_BROKER_URL", "embedded")
    runner = CliRunner()
    assert runner.invoke(cli, ["migrate"]).exit_code == 0

    def run(*args: str) -> str:
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    mapper = tmp_path / "mapper.json"
    mapper.write_text(json.dumps(inline_mapper_file()))
    commands = {"csv-mapper": ["csv-mappers"], "csv": ["ingest", "csv"]}
    commands |= {"taxii": ["ingest", "taxii"], "taxii-push": ["ingest", "taxii-push"]}
    files = {
        str(mapper): "csv-mapper",
        **{str(fixture_path(n)): k for n, k in INGESTER_FILES.items()},
    }
    for path, kind in files.items():
        name = json.loads(Path(path).read_text())["configuration"]["name"]
        if kind != "csv":  # the CSV feed reuses the mapper imported first
            assert name in run(*commands[kind], "import", path)
        else:
            assert "uses the existing CSV mapper" in run(*commands[kind], "import", path)
        out = tmp_path / f"{kind}.json"
        run(*commands[kind], "export", name, "-o", str(out))
        assert comparable(json.loads(out.read_text())) == comparable(
            json.loads(Path(path).read_text())
        )


def fixture_path(name: str) -> Path:
    return FIXTURES / name


def test_cli_on_a_remote_instance(runtime: Runtime, admin_token: str, tmp_path: Path) -> None:
    """``--url``/``--token``: the same commands through the API of a running stixflow."""
    with live_stixflow(runtime) as live:
        remote = ["--url", live.url, "--token", admin_token]
        runner = CliRunner()
        path = str(FIXTURES / TAXII_FEED)
        done = runner.invoke(cli, ["ingest", *remote, "taxii", "import", path])
        assert done.exit_code == 0, done.output
        assert "taxiiFeedsAuto" in done.output
        out = tmp_path / "taxii.json"
        done = runner.invoke(
            cli, ["ingest", *remote, "taxii", "export", "taxiiFeedsAuto", "-o", str(out)]
        )
        assert done.exit_code == 0, done.output
        assert comparable(json.loads(out.read_text())) == comparable(fixture(TAXII_FEED))
        refused = runner.invoke(cli, ["ingest", *remote, "taxii-push", "import", path])
        assert refused.exit_code != 0 and "expected 'taxiiPushCollections'" in refused.output


def test_markings_opencti_names_by_its_own_ids_are_reported(client: TestClient) -> None:
    feed = fixture(CSV_FEED)
    internal = "4cdff7eb-acb8-4b91-8c3b-3c1b1e5d2a77"  # an OpenCTI internal id
    feed["configuration"]["markings"] = ["TLP:GREEN", internal]
    mapper = feed["configuration"]["csv_mapper"]["configuration"]
    mapper["representations"][0]["attributes"].append(
        {"key": "objectMarking", "default_values": ["TLP:AMBER", internal]}
    )
    created = client.post("/api/ingestion/csv/import", json=feed)
    assert created.status_code == 201, created.text
    assert sorted(created.json()["unsupported"]) == [
        f"configuration.csv_mapper.configuration.representations[0].attributes[2]."
        f"default_values: marking '{internal}' is not a TLP name or a STIX marking id",
        f"configuration.markings: marking '{internal}' is not known here",
    ]
    exported = client.get(f"/api/ingestion/csv/{created.json()['id']}/export").json()
    assert len(exported["configuration"]["markings"]) == 1
    attributes = exported["configuration"]["csv_mapper"]["configuration"]["representations"][0]
    assert attributes["attributes"][2] == {
        "key": "objectMarking",
        "column": None,
        "default_values": ["TLP:AMBER"],
        "based_on": None,
    }


@pytest.mark.parametrize(
    "configuration",
    [
        {"name": "x", "representations": {"not": "a list"}},
        {"name": "x", "representations": [{"id": "", "target": {"entity_type": "Url"}}]},
        {"name": "x", "representations": [{"id": "r", "target": {"entity_type": 3}}]},
        {
            "name": "bad column",
            "representations": [
                {
                    "id": "r",
                    "target": {"entity_type": "Url"},
                    "attributes": [
                        {
                            "key": "value",
                            "column": {"column_name": "A", "configuration": {"pattern_date": 5}},
                        }
                    ],
                }
            ],
        },
        {
            "name": "bad letter",
            "representations": [
                {
                    "id": "r",
                    "target": {"entity_type": "Url"},
                    "attributes": [{"key": "value", "column": {"column_name": "A1"}}],
                }
            ],
        },
    ],
)
def test_a_broken_file_is_refused_with_the_field(
    client: TestClient, configuration: dict[str, Any]
) -> None:
    document = {"openCTI_version": "6.9.4", "type": "csvMapper", "configuration": configuration}
    refused = client.post("/api/csv-mappers/import", json=document)
    assert refused.status_code == 400, refused.text
    assert "configuration" in refused.json()["error"] or "representations" in refused.text
    assert client.get("/api/csv-mappers").json() == []
