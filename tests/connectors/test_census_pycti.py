"""The calls the census counts as served, made through pycti's own API client (its own
virtual environment) against a live stixflow: one pycti script per area
(``census_scripts/<area>.py``) prints what it read back, and the test checks it."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest

from stixflow.access.audit import LOCAL_ACTOR
from stixflow.access.markings import ensure_builtin_markings
from stixflow.access.schemas import GroupCreate, TokenCreate, UserCreate
from stixflow.access.service import AccessService
from stixflow.clock import now
from stixflow.connectors.model import ConnectorType
from stixflow.connectors.schemas import ConnectorRegister
from stixflow.connectors.service import ConnectorService
from stixflow.files.imports import file_store
from stixflow.runtime import Runtime
from stixflow.stix.markings import TLP_BY_NAME
from stixflow.store.base import Access, ObjectQuery, Provenance
from tests.connectors.live import connector_token, live_stixflow
from tests.connectors.pycti_env import pycti_python

SCRIPTS = Path(__file__).resolve().parent / "census_scripts"


@pytest.fixture(scope="session")
def pycti() -> Path:
    return pycti_python()


def run_script(python: Path, name: str, url: str, token: str, **env: str) -> dict:
    done = subprocess.run(
        [str(python), str(SCRIPTS / f"{name}.py")],
        env={
            "PATH": os.environ.get("PATH", ""),
            "OPENCTI_URL": url,
            "OPENCTI_TOKEN": token,
            **env,
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_knowledge_calls(runtime: Runtime, pycti: Path) -> None:
    ensure_builtin_markings(runtime.db, runtime.store)
    with live_stixflow(runtime) as live:
        _, token = connector_token(runtime, "Census")
        out = run_script(pycti, "knowledge", live.url, token)
    assert out["marking_definition.read"] == "TLP:CLEAR"
    assert out["label.create"] == ["census-red", "#ff0000"]
    assert out["label.read_or_create_unchecked"] is True
    assert out["external_reference.read"] == "https://example.org/c1"
    assert out["stix_cyber_observable.read"] == {
        "value": "198.51.100.7",
        "labels": ["census-blue", "census-red"],
        "refs": ["https://example.org/c1"],
        "score": 90,
    }
    assert out["stix_cyber_observable.read(filters)"] == out["stix_cyber_observable.create"]
    assert out["stix_cyber_observable.list"] == [out["stix_cyber_observable.create"]]
    assert out["stix_cyber_observable.remove_label"] == ["census-red"]
    assert out["malware.read"] == "CensusBot"
    assert out["malware.list"] == ["CensusBot"]
    assert out["attack_pattern.read"] == "Census Technique"
    assert out["attack_pattern.list"] == ["Census Technique"]
    assert out["indicator.read"] == "[ipv4-addr:value = '198.51.100.7']"
    assert out["indicator.list"] == ["census ip"]
    assert out["stix_core_relationship.create"] == "indicates"
    assert out["stix_core_relationship.list"] == ["indicates"]
    assert out["stix_domain_object.read"] == {
        "labels": ["census-green"],
        "refs": ["census"],
        "description": "seen",
        "author": "Census Org",
        "markings": ["TLP:CLEAR"],
    }
    assert out["stix_domain_object.remove_*"] == [[], []]
    assert out["stix_domain_object.list"] == ["Census Technique", "CensusBot"]
    assert out["stix_domain_object.get_by_stix_id_or_name"] == out["malware.create"]
    assert out["stix_core_object.read"] == "IPv4-Addr"
    assert "malware" in out["stix2.get_stix_bundle_or_object_from_entity_id"]
    assert out["note.list"] == ["census note"]
    assert out["location.list"] == ["Censusland"]
    assert out["identity.read"] == "Census Org"
    assert "Census Org" in out["identity.list"]
    by_types, abstract = out["stix_domain_object.list(types)"]
    assert by_types == ["Census Org", "CensusBot"]  # not the location, not the attack pattern
    assert {"Census Org", "CensusBot", "Census Technique", "Censusland"} <= set(abstract)
    assert out["external_reference.delete"] is None
    assert out["vulnerability.read"] == "CVE-2099-0001"
    assert out["vulnerability.list"] == ["CVE-2099-0001"]
    assert out["intrusion_set.read"] == "Census Set"
    assert out["report.read"] == [out["malware.create"]]
    assert out["report.list"] == ["Census report"]
    assert out["incident.read"] == "Census incident"
    assert out["incident.list"] == ["Census incident"]
    assert out["case_incident.list"] == ["Census case"]
    assert out["threat_actor_group.list"] == []
    assert out["channel.list"] == []
    assert out["case_rft.list"] == []
    assert out["opencti_stix_object_or_stix_relationship.list"] == ["Malware", "indicates"]


def _reader_token(runtime: Runtime) -> str:
    """A reader allowed TLP:GREEN only, with no write capability."""
    service = AccessService(runtime.db, runtime.store, actor=LOCAL_ACTOR)
    group = service.create_group(
        GroupCreate(
            name="Green readers", capabilities=["KNOWLEDGE"], allowed_markings=["TLP:GREEN"]
        )
    )
    user = service.create_user(
        UserCreate(email="reader@example.org", name="Reader", groups=[group.id])
    )
    return service.create_token(user.id, TokenCreate(name="reader")).token


def _malware(name: str, marking: str) -> dict:
    stix_id = f"malware--{uuid.uuid4()}"
    stamp = "2024-01-01T00:00:00.000Z"
    return {
        "type": "malware",
        "spec_version": "2.1",
        "id": stix_id,
        "name": name,
        "is_family": True,
        "created": stamp,
        "modified": stamp,
        "object_marking_refs": [TLP_BY_NAME[marking]["id"]],
    }


def test_refused_callers(runtime: Runtime, pycti: Path) -> None:
    """A reader without TLP:RED does not get the RED object through any read or list; a caller
    without KNOWLEDGE_UPDATE/CONNECTORAPI cannot create or edit."""
    ensure_builtin_markings(runtime.db, runtime.store)
    red, green = _malware("RedBot", "TLP:RED"), _malware("GreenBot", "TLP:GREEN")
    with runtime.db.transaction() as tx:
        written = runtime.store.upsert(tx, [red, green], provenance=Provenance(seen_at=now()))
    assert written.created == 2
    red_id = runtime.store.get(red["id"], access=Access.everything()).data["id"]
    green_id = runtime.store.get(green["id"], access=Access.everything()).data["id"]
    with live_stixflow(runtime) as live:
        token = _reader_token(runtime)
        out = run_script(pycti, "refused", live.url, token, RED_ID=red_id, GREEN_ID=green_id)
    assert out["stix_domain_object.read(red)"] is None
    assert out["malware.read(red)"] is None
    assert out["stix_core_object.read(red)"] is None
    assert out["stix_domain_object.list"] == ["GreenBot"]
    assert out["malware.list(filter red)"] == []
    assert out["stix_domain_object.read(green)"] == "GreenBot"
    for call in (
        "label.create",
        "stix_domain_object.add_label",
        "stix_domain_object.update_field",
        "malware.create",
        "external_reference.create",
    ):
        assert out[call] is not None and "AccessDenied" in out[call], (call, out[call])
    stored = runtime.store.get(green_id, access=Access.everything())
    assert stored is not None and "description" not in stored.data


def test_file_calls(runtime: Runtime, pycti: Path) -> None:
    """Samples, attached files and exports through pycti; fetch_opencti_file reads them back,
    and a reader without the sample's marking cannot."""
    ensure_builtin_markings(runtime.db, runtime.store)
    with live_stixflow(runtime) as live:
        _, token = connector_token(runtime, "Files")
        out = run_script(pycti, "files", live.url, token)
        sample = b"MZ\x90\x00census sample\x00\xff"
        assert out["stix_cyber_observable.upload_artifact"] == {
            "type": "Artifact",
            "sha256": hashlib.sha256(sample).hexdigest(),
            "files": ["sample.exe"],
        }
        assert bytes.fromhex(out["fetch_opencti_file"]) == sample
        assert out["stix_cyber_observable.add_file"] == ["ip-notes.txt", "seen twice"]
        assert out["stix_domain_object.add_file"] == ["report.txt", "analysis"]
        assert out["external_reference.add_file"] == ["sandbox.html", "<p>report</p>"]
        assert out["stix_domain_object.push_entity_export"] == ["filebot.json", "report.txt"]
        assert out["stix_core_object.push_analysis"] == ["analysis.json", '{"ttps": []}']
        names = {f.name for f in file_store(runtime).list(limit=50)}
        assert {"malwares.csv", "obs.csv", "core.csv"} <= names
        # the sample is readable by a reader of its artifact, not by a caller without it
        reader = _reader_token(runtime)
        url = f"{live.url}/storage/get/{out['SAMPLE_FILE']}"
        assert httpx.get(url, headers={"Authorization": f"Bearer {reader}"}).content == sample
        artifact_id = file_store(runtime).get(out["SAMPLE_FILE"]).entity_id
        assert artifact_id is not None
        _mark_red(runtime, artifact_id)
        assert httpx.get(url, headers={"Authorization": f"Bearer {reader}"}).status_code == 404


def _mark_red(runtime: Runtime, object_id: str) -> None:
    stored = runtime.store.get(object_id, access=Access.everything())
    assert stored is not None
    red = {**stored.data, "object_marking_refs": [TLP_BY_NAME["TLP:RED"]["id"]]}
    with runtime.db.transaction() as tx:
        runtime.store.upsert(tx, [red], provenance=Provenance(seen_at=now()), overwrite=True)


def test_meta_calls(runtime: Runtime, pycti: Path) -> None:
    ensure_builtin_markings(runtime.db, runtime.store)
    with live_stixflow(runtime) as live:
        user_id, token = connector_token(runtime, "Meta")
        spec = ConnectorRegister(
            id="census-meta", name="Census meta", type=ConnectorType.EXTERNAL_IMPORT
        )
        ConnectorService(runtime, actor=LOCAL_ACTOR).register(spec, user_id=user_id)
        out = run_script(pycti, "meta", live.url, token, CONNECTOR_ID="census-meta")
    assert out["vocabulary.create"] == ["census-type", "report_types_ov"]
    assert out["vocabulary.list"] == ["census-type"]
    assert out["vocabulary.read"] == "census-type"
    assert out["marking_definition.create"] == ["PAP", "PAP:GREEN"]
    assert out["marking_definition.read(PAP)"] is True
    assert out["kill_chain_phase.create"] == [
        {"kill_chain_name": "mitre-attack", "phase_name": "execution"}
    ]
    assert out["stix_nested_ref_relationship.create"] is True
    assert out["indicator.update_field"] == 75
    assert out["work.get_connector_works"] == [[True, "census run"]]
    assert out["work.get_work"] == ["census run", "complete"]
    client_side = out["client_side"]
    assert client_side["stix2.format_date"].startswith("2024-05-01T10:00:00")
    assert client_side["stix2.get_reader"] == "Census Exec"
    assert client_side["stix2.put_attribute_in_extension"] == 50
    assert client_side["get_attribute_in_extension"] == 7
    assert client_side["api_url"].endswith("/graphql") and client_side["api_token"] is True
    assert client_side["generate_id"] == [
        "attack-pattern", "indicator", "location", "note", "report", "vulnerability",
        "channel", "relationship",
    ]  # fmt: skip


def test_import_bundle_from_json(runtime: Runtime, pycti: Path) -> None:
    """pycti's ``import_bundle_from_json`` really imports: every object is in the store after,
    with its author, marking, labels, external references and relationship."""
    ensure_builtin_markings(runtime.db, runtime.store)
    stamp = "2024-02-01T00:00:00.000Z"
    author = {
        "type": "identity",
        "spec_version": "2.1",
        "id": f"identity--{uuid.uuid4()}",
        "name": "Bundle Author",
        "identity_class": "organization",
        "created": stamp,
        "modified": stamp,
    }
    green = TLP_BY_NAME["TLP:GREEN"]["id"]
    bot = {
        **_malware("BundleBot", "TLP:GREEN"),
        "created_by_ref": author["id"],
        "labels": ["bundle-label"],
        "external_references": [{"source_name": "vendor", "url": "https://example.org/bb"}],
    }
    ip = {"type": "ipv4-addr", "spec_version": "2.1", "id": f"ipv4-addr--{uuid.uuid4()}",
          "value": "192.0.2.77"}  # fmt: skip
    uses = {
        "type": "relationship",
        "spec_version": "2.1",
        "id": f"relationship--{uuid.uuid4()}",
        "relationship_type": "communicates-with",
        "source_ref": bot["id"],
        "target_ref": ip["id"],
        "created": stamp,
        "modified": stamp,
    }
    bundle_json = json.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}",
                              "objects": [author, bot, ip, uses]})  # fmt: skip
    with live_stixflow(runtime) as live:
        _, token = connector_token(runtime, "Bundle")
        out = run_script(pycti, "bundles", live.url, token, BUNDLE=bundle_json)
    assert out["errors"] == []
    everything = Access.everything()
    page = runtime.store.query(ObjectQuery(types=("malware",), limit=10), access=everything)
    (stored,) = [m for m in page.objects if m["name"] == "BundleBot"]
    assert stored["object_marking_refs"] == [green]
    assert stored["labels"] == ["bundle-label"]
    assert [r["url"] for r in stored["external_references"]] == ["https://example.org/bb"]
    authors = runtime.store.query(ObjectQuery(types=("identity",), limit=10), access=everything)
    assert any(a["id"] == stored["created_by_ref"] and a["name"] == "Bundle Author"
               for a in authors.objects)  # fmt: skip
    rels = runtime.store.query(ObjectQuery(types=("relationship",), limit=10), access=everything)
    ips = runtime.store.query(ObjectQuery(types=("ipv4-addr",), limit=10), access=everything)
    (ip_stored,) = ips.objects
    assert ip_stored["value"] == "192.0.2.77"
    assert [(r["source_ref"], r["target_ref"]) for r in rels.objects] == [
        (stored["id"], ip_stored["id"])
    ]
