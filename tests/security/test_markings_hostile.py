"""Markings everywhere (issue 12, findings 5-7), as hostile users try them, on both back ends.

* granular markings: a description and a label marked TLP:AMBER on an unmarked object are cut
  for a TLP:GREEN reader and for anonymous readers of public collections and streams, through
  every read channel; a marked name hides the whole object;
* works: nobody but their owner and administrators sees a work or its errors, and errors never
  quote the values of what was sent;
* writes: a writer cannot change (or delete) a stored object it cannot read whole.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from stixflow.access.capabilities import Capability
from stixflow.connectors.enrichment import dispatch_created
from stixflow.connectors.model import push_queue
from stixflow.connectors.opencti import encode_push
from stixflow.queue.message import ImportMessage
from stixflow.runtime import Runtime
from stixflow.stix.ids import standard_id
from stixflow.taxii.collections import DefinitionCreate, collections, live_streams
from stixflow.taxii.media import TAXII_21
from tests.api.conftest import admin_token, client, user_token
from tests.streams.conftest import collect, data_events
from tests.support import TLP_AMBER, TLP_GREEN, bundle, drain, malware, relationship, sdo
from tests.taxii.conftest import LiveServer, live

__all__ = ["admin_token", "client", "live", "user_token"]
pytestmark = pytest.mark.timeout(120)

SECRET_DESCRIPTION = "amber-only: the operator reuses 203.0.113.99"
SECRET_LABEL = "amber-only-label"
SECRET_NAME = "Amber Only Codename"
READER = (Capability.KNOWLEDGE, Capability.EXPLORE, Capability.TAXIIAPI)
WRITER = (Capability.KNOWLEDGE, Capability.KNOWLEDGE_UPDATE)
REFUSAL = "the stored object has markings the writer may not read"


def canonical(obj: dict[str, Any]) -> dict[str, Any]:
    """The object under the id the platform gives it (name-based for malware)."""
    return {**obj, "id": standard_id(obj) or obj["id"]}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def session(token: str) -> dict[str, str]:
    """Headers of a signed-in web page request (the session cookie is the token)."""
    return {"Cookie": f"stixflow_session={token}"}


def push(client: TestClient, runtime: Runtime, token: str, *objects: dict[str, Any]) -> Any:
    """Submit a bundle as the token's user; the finished work."""
    answer = client.post(
        "/api/bundles", content=orjson.dumps(bundle(*objects)), headers=auth(token)
    )
    assert answer.status_code == 202, answer.text
    return drain(runtime, answer.json()["work_id"])


@pytest.fixture
def knowledge(client: TestClient, runtime: Runtime, admin_token: str) -> dict[str, Any]:
    """Pushed by the admin: an unmarked malware whose description and second label are AMBER,
    a malware whose name is AMBER, a relationship between them, and an unmarked last one."""
    target = canonical(
        malware(
            "Granular bot",
            description=SECRET_DESCRIPTION,
            labels=["public-label", SECRET_LABEL],
            granular_markings=[
                {"marking_ref": TLP_AMBER, "selectors": ["description", "labels.[1]"]}
            ],
        )
    )
    named = canonical(
        malware(SECRET_NAME, granular_markings=[{"marking_ref": TLP_AMBER, "selectors": ["name"]}])
    )
    link = relationship(target["id"], named["id"], "variant-of")
    last = canonical(malware("Plain last"))
    push(client, runtime, admin_token, named, link, target, last)
    return {"target": target, "named": named, "link": link, "last": last}


def leaks(text: str | bytes) -> list[str]:
    """Which AMBER values appear in a response."""
    body = text.decode() if isinstance(text, bytes) else text
    return [secret for secret in (SECRET_DESCRIPTION, SECRET_LABEL, SECRET_NAME) if secret in body]


def assert_cut(obj: dict[str, Any]) -> None:
    """The GREEN view of the target: no description, only the public label, no AMBER entry."""
    assert "description" not in obj
    assert obj["labels"] == ["public-label"]
    assert "granular_markings" not in obj
    assert obj["name"] == "Granular bot"


# -- finding 5: granular markings, every read channel ---------------------------------------------


def test_green_reader_gets_the_object_without_its_amber_parts_through_the_api(
    client: TestClient, user_token: Callable[..., str], knowledge: dict[str, Any]
) -> None:
    green = auth(user_token(*READER, allowed=["TLP:GREEN"]))
    target, named, link = knowledge["target"], knowledge["named"], knowledge["link"]

    listed = client.get("/api/objects", headers=green)
    assert leaks(listed.content) == []
    by_id = {obj["id"]: obj for obj in listed.json()["objects"]}
    assert_cut(by_id[target["id"]])
    assert named["id"] not in by_id and link["id"] not in by_id

    one = client.get(f"/api/objects/{target['id']}", headers=green)
    assert one.status_code == 200 and leaks(one.content) == []
    assert_cut(one.json()["object"])
    assert client.get(f"/api/objects/{named['id']}", headers=green).status_code == 404
    rels = client.get(f"/api/objects/{target['id']}/relationships", headers=green)
    assert rels.json() == []

    exported = client.get("/api/export", headers=green)
    assert exported.status_code == 200 and leaks(exported.content) == []
    exported_ids = {obj["id"] for obj in orjson.loads(exported.content)["objects"]}
    assert target["id"] in exported_ids and named["id"] not in exported_ids

    for word in ("203.0.113.99", SECRET_LABEL, "codename"):
        found = client.get("/api/objects", params={"text": word}, headers=green).json()
        assert found["objects"] == [], f"searching {word!r} tells what is cut"


def test_green_reader_web_page_shows_no_amber_part(
    client: TestClient, user_token: Callable[..., str], knowledge: dict[str, Any]
) -> None:
    cookies = session(user_token(*READER, allowed=["TLP:GREEN"]))
    page = client.get(f"/knowledge/objects/{knowledge['target']['id']}", headers=cookies)
    assert page.status_code == 200 and "Granular bot" in page.text
    assert leaks(page.text) == []
    listing = client.get("/knowledge/objects", headers=cookies)
    assert listing.status_code == 200 and "Granular bot" in listing.text
    assert leaks(listing.text) == []
    hidden = client.get(f"/knowledge/objects/{knowledge['named']['id']}", headers=cookies)
    assert hidden.status_code == 404 and leaks(hidden.text) == []


def test_amber_reader_and_admin_see_the_marked_parts(
    client: TestClient, user_token: Callable[..., str], knowledge: dict[str, Any]
) -> None:
    amber = auth(user_token(*READER, allowed=["TLP:AMBER"]))
    target, named = knowledge["target"], knowledge["named"]
    for headers in (amber, {}):  # {}: the client's admin token
        seen = client.get(f"/api/objects/{target['id']}", headers=headers).json()["object"]
        assert seen["description"] == SECRET_DESCRIPTION
        assert seen["labels"] == ["public-label", SECRET_LABEL]
        assert seen["granular_markings"] == target["granular_markings"]
        shown = client.get(f"/api/objects/{named['id']}", headers=headers).json()["object"]
        assert shown["name"] == SECRET_NAME
    rels = client.get(f"/api/objects/{target['id']}/relationships", headers=amber).json()
    assert [rel["id"] for rel in rels] == [knowledge["link"]["id"]]


def test_a_newer_version_marking_other_parts_does_not_uncover_the_amber_ones(
    client: TestClient,
    runtime: Runtime,
    admin_token: str,
    user_token: Callable[..., str],
    knowledge: dict[str, Any],
) -> None:
    target = knowledge["target"]
    newer = {key: value for key, value in target.items() if key not in ("description", "labels")}
    newer.update(
        modified="2024-06-01T00:00:00.000Z",
        labels=["new-label"],
        granular_markings=[{"marking_ref": TLP_GREEN, "selectors": ["labels.[0]"]}],
    )
    push(client, runtime, admin_token, newer)
    green = auth(user_token(*READER, allowed=["TLP:GREEN"]))
    seen = client.get(f"/api/objects/{target['id']}", headers=green)
    assert leaks(seen.content) == []
    assert seen.json()["object"]["labels"] == ["public-label", "new-label"]


def _collection(runtime: Runtime, *, public: bool) -> str:
    spec = DefinitionCreate(name=f"all {public}", public=public)
    return collections(runtime.db).create(spec, created_by=None).id


def _taxii(client: TestClient, path: str, headers: dict[str, str], **params: Any) -> Any:
    answer = client.get(path, params=params, headers={"Accept": TAXII_21, **headers})
    assert leaks(answer.content) == [], path
    return answer


@pytest.mark.parametrize("anonymous", [False, True], ids=["green", "anonymous"])
def test_taxii_objects_manifest_and_versions_cut_the_amber_parts(
    client: TestClient,
    runtime: Runtime,
    admin_token: str,
    user_token: Callable[..., str],
    knowledge: dict[str, Any],
    anonymous: bool,
) -> None:
    target, named = knowledge["target"], knowledge["named"]
    newer = {**target, "modified": "2024-06-01T00:00:00.000Z", "description": "amber-only v2"}
    push(client, runtime, admin_token, newer)
    collection = _collection(runtime, public=anonymous)
    who = {"Authorization": ""} if anonymous else auth(user_token(*READER, allowed=["TLP:GREEN"]))
    base = f"/taxii2/root/collections/{collection}"

    envelope = _taxii(client, f"{base}/objects/", who).json()
    by_id = {obj["id"]: obj for obj in envelope["objects"]}
    assert_cut(by_id[target["id"]])
    assert named["id"] not in by_id and knowledge["link"]["id"] not in by_id
    every = _taxii(client, f"{base}/objects/{target['id']}/", who, **{"match[version]": "all"})
    assert len(every.json()["objects"]) == 2 and "amber-only v2" not in every.text
    for version in every.json()["objects"]:
        assert_cut(version)

    manifest = _taxii(client, f"{base}/manifest/", who).json()
    assert named["id"] not in {entry["id"] for entry in manifest["objects"]}
    versions = _taxii(client, f"{base}/objects/{target['id']}/versions/", who)
    assert len(versions.json()["versions"]) == 2
    for hidden in (f"{base}/objects/{named['id']}/", f"{base}/objects/{named['id']}/versions/"):
        assert _taxii(client, hidden, who).status_code == 404


def _stream(runtime: Runtime, *, public: bool) -> str:
    spec = DefinitionCreate(name=f"stream {public}", public=public)
    return live_streams(runtime.db).create(spec, created_by=None).id


def _until(object_id: str) -> Callable[[list[dict[str, Any]]], bool]:
    return lambda events: any(e["data"].get("data", {}).get("id") == object_id for e in events)


@pytest.mark.parametrize("anonymous", [False, True], ids=["green", "anonymous"])
def test_live_stream_events_and_patches_cut_the_amber_parts(
    client: TestClient,
    runtime: Runtime,
    admin_token: str,
    user_token: Callable[..., str],
    live: LiveServer,
    knowledge: dict[str, Any],
    anonymous: bool,
) -> None:
    target = knowledge["target"]
    newer = {**target, "modified": "2024-06-01T00:00:00.000Z", "description": "amber-only v2"}
    closing = canonical(malware("Closing"))
    push(client, runtime, admin_token, newer)
    push(client, runtime, admin_token, closing)
    token = None if anonymous else user_token(*READER, allowed=["TLP:GREEN"])
    url = f"{live.url}/stream/{_stream(runtime, public=anonymous)}"

    events = data_events(collect(url, token, params={"from": "0"}, until=_until(closing["id"])))

    text = orjson.dumps(events).decode()
    assert leaks(text) == [] and "amber-only v2" not in text
    about_target = [e for e in events if e["data"]["data"]["id"] == target["id"]]
    assert [e["event"] for e in about_target] == ["create", "update"]
    for event in about_target:
        assert_cut(event["data"]["data"])
    assert "patch" not in about_target[1]["data"]
    assert knowledge["named"]["id"] not in text

    admin_events = data_events(
        collect(url, admin_token, params={"from": "0"}, until=_until(closing["id"]))
    )
    update = next(e for e in admin_events if e["event"] == "update")
    assert {"op": "replace", "path": "/description", "value": "amber-only v2"} in update["data"][
        "patch"
    ]


# -- finding 6: works and their errors ------------------------------------------------------------


@pytest.fixture
def work_of_a(client: TestClient, runtime: Runtime, user_token: Callable[..., str]) -> Any:
    """User A's work: one object landed, two refused by validation, whose invalid values are
    secrets (a pattern, aliases)."""
    token = user_token(*WRITER)
    bad_pattern = sdo(
        "indicator",
        "A's indicator",
        pattern="[ipv4-addr:value = '203.0.113.5' 198.51.100.77]",
        pattern_type="stix",
        valid_from="2024-01-01T00:00:00Z",
    )
    bad_aliases = malware("A's other malware", aliases="secret-host.internal")
    work = push(client, runtime, token, malware("A's malware"), bad_pattern, bad_aliases)
    assert (work.processed, work.failed) == (1, 2)
    return {"token": token, "work": work}


def _graphql_work(client: TestClient, token: str, work_id: str) -> Any:
    query = {"query": "query W($id: ID!) { work(id: $id) { id errors { message } } }"}
    answer = client.post(
        "/graphql", json={**query, "variables": {"id": work_id}}, headers=auth(token)
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]["work"]


def test_another_user_cannot_see_a_work(
    client: TestClient, user_token: Callable[..., str], admin_token: str, work_of_a: Any
) -> None:
    work_id = work_of_a["work"].id
    other = user_token(Capability.KNOWLEDGE, Capability.CONNECTORAPI, allowed=["TLP:RED"])
    assert work_id not in {w["id"] for w in client.get("/api/works", headers=auth(other)).json()}
    refused = client.get(f"/api/works/{work_id}", headers=auth(other))
    assert refused.status_code == 404 and "198.51" not in refused.text
    assert _graphql_work(client, other, work_id) is None

    for allowed in (work_of_a["token"], admin_token):
        assert work_id in {w["id"] for w in client.get("/api/works", headers=auth(allowed)).json()}
        shown = client.get(f"/api/works/{work_id}", headers=auth(allowed)).json()
        assert shown["failed"] == 2 and len(shown["errors"]) == 2
        assert _graphql_work(client, allowed, work_id)["id"] == work_id


def test_work_errors_name_the_property_not_the_value(client: TestClient, work_of_a: Any) -> None:
    shown = client.get(f"/api/works/{work_of_a['work'].id}", headers=auth(work_of_a["token"]))
    reasons = sorted(error["reason"] for error in shown.json()["errors"])
    assert reasons[0] == "'aliases': is not of type \"array\""
    assert reasons[1].startswith("'pattern': not a valid STIX 2.1 pattern (error at line 1:")
    assert "198.51" not in shown.text and "secret-host" not in shown.text


def test_another_user_cannot_edit_a_work_through_graphql(
    client: TestClient, runtime: Runtime, user_token: Callable[..., str], work_of_a: Any
) -> None:
    work_id = work_of_a["work"].id
    other = user_token(Capability.CONNECTORAPI)
    mutation = f'mutation {{ workEdit(id: "{work_id}") {{ delete }} }}'
    answer = client.post("/graphql", json={"query": mutation}, headers=auth(other))
    assert "WORK_NOT_ALIVE" in answer.text
    assert runtime.works.get(work_id) is not None


def test_dead_letters_are_for_administrators(
    client: TestClient, user_token: Callable[..., str]
) -> None:
    everything_but_bypass = [c for c in Capability if c != Capability.BYPASS]
    token = user_token(*everything_but_bypass)
    listed = client.get("/api/dead-letters", headers=auth(token))
    assert listed.status_code == 403 and listed.json()["capability"] == Capability.BYPASS
    retried = client.post("/api/dead-letters/1/retry", headers=auth(token))
    assert retried.status_code == 403
    page = client.get("/dead-letters", headers=session(token))
    assert page.status_code == 403
    dashboard = client.get("/", headers=session(token))
    assert dashboard.status_code == 200 and "stat-dead-letters" not in dashboard.text
    assert client.get("/api/dead-letters").status_code == 200  # the admin


# -- finding 7: writes that cannot overwrite what the writer cannot read --------------------------


@pytest.fixture
def amber_object(client: TestClient, runtime: Runtime, admin_token: str) -> dict[str, Any]:
    obj = canonical(
        malware("Amber stored", description="original", object_marking_refs=[TLP_AMBER])
    )
    push(client, runtime, admin_token, obj)
    return obj


def _stored(client: TestClient, object_id: str) -> dict[str, Any]:
    answer = client.get(f"/api/objects/{object_id}")  # as the admin
    assert answer.status_code == 200
    stored: dict[str, Any] = answer.json()["object"]
    return stored


def test_green_writer_cannot_overwrite_an_amber_object_by_its_name_derived_id(
    client: TestClient,
    runtime: Runtime,
    user_token: Callable[..., str],
    amber_object: dict[str, Any],
) -> None:
    green = user_token(*WRITER, allowed=["TLP:GREEN"])
    forged = malware(  # a new random id: the platform derives the same id from the name
        "Amber stored",
        modified="2030-01-01T00:00:00.000Z",
        description="overwritten",
        labels=["pwned"],
        object_marking_refs=[TLP_GREEN],
    )
    innocent = canonical(malware("Innocent bystander"))

    work = push(client, runtime, green, forged, innocent)

    assert (work.processed, work.failed) == (1, 1)
    [error] = work.errors
    assert error.object_id == amber_object["id"]
    assert error.reason == f"cannot update {amber_object['id']}: {REFUSAL}"
    stored = _stored(client, amber_object["id"])
    assert stored["description"] == "original" and "labels" not in stored
    assert stored["object_marking_refs"] == [TLP_AMBER]
    assert stored["modified"] == amber_object["modified"]
    assert _stored(client, innocent["id"])["name"] == "Innocent bystander"
    creators = client.get(f"/api/objects/{amber_object['id']}").json()["creators"]
    assert len(creators) == 1  # the green writer was not recorded on it


def test_green_writer_cannot_overwrite_an_object_whose_parts_it_cannot_read(
    client: TestClient,
    runtime: Runtime,
    user_token: Callable[..., str],
    knowledge: dict[str, Any],
) -> None:
    green = user_token(*WRITER, allowed=["TLP:GREEN"])
    target = knowledge["target"]
    rewrite = {
        **target,
        "modified": "2030-01-01T00:00:00.000Z",
        "description": "overwritten",
        "granular_markings": [{"marking_ref": TLP_GREEN, "selectors": ["description"]}],
    }
    work = push(client, runtime, green, rewrite)
    assert (work.processed, work.failed) == (0, 1) and REFUSAL in work.errors[0].reason
    assert _stored(client, target["id"])["description"] == SECRET_DESCRIPTION

    deleted = client.delete(f"/api/objects/{target['id']}", headers=auth(green))
    assert deleted.status_code == 403
    assert _stored(client, target["id"])["description"] == SECRET_DESCRIPTION


def test_amber_writer_can_update_the_amber_object(
    client: TestClient,
    runtime: Runtime,
    user_token: Callable[..., str],
    amber_object: dict[str, Any],
) -> None:
    amber = user_token(*WRITER, allowed=["TLP:AMBER"])
    newer = {**amber_object, "modified": "2030-01-01T00:00:00.000Z", "description": "updated"}
    work = push(client, runtime, amber, newer)
    assert (work.processed, work.failed) == (1, 0)
    assert _stored(client, amber_object["id"])["description"] == "updated"


def test_green_connector_cannot_overwrite_through_graphql_identity_add(
    client: TestClient, runtime: Runtime, admin_token: str, user_token: Callable[..., str]
) -> None:
    identity = canonical(
        {
            **sdo("identity", "Amber Person", identity_class="individual"),
            "description": "original",
            "object_marking_refs": [TLP_AMBER],
        }
    )
    push(client, runtime, admin_token, identity)
    connector = user_token(Capability.CONNECTORAPI, allowed=["TLP:GREEN"])
    mutation = (
        'mutation { identityAdd(input: {name: "Amber Person", type: "Individual", '
        'description: "overwritten"}) { id } }'
    )
    answer = client.post("/graphql", json={"query": mutation}, headers=auth(connector))
    assert REFUSAL.replace("the writer", "you") in answer.text
    assert _stored(client, identity["id"])["description"] == "original"


def _register(client: TestClient, token: str, **spec: Any) -> str:
    connector_id = f"c-{uuid.uuid4().hex[:8]}"
    body = {"id": connector_id, "name": connector_id, **spec}
    answer = client.post("/api/connectors", json=body, headers=auth(token))
    assert answer.status_code == 200, answer.text
    return connector_id


def test_green_connector_cannot_overwrite_by_publishing_to_its_queue(
    client: TestClient,
    runtime: Runtime,
    user_token: Callable[..., str],
    amber_object: dict[str, Any],
) -> None:
    """On RabbitMQ a connector publishes to its push queue itself: whatever writer its messages
    name (pycti's ``applicant_id``, ours ``user_id``, or none), they write as its user."""
    connector = _register(
        client, user_token(Capability.CONNECTORAPI, *WRITER, allowed=["TLP:GREEN"])
    )
    forged = {**amber_object, "modified": "2030-01-01T00:00:00.000Z", "description": "pycti"}
    runtime.queue.publish(
        push_queue(connector), encode_push(bundle(forged), work_id=None, applicant_id=None)
    )
    ours = runtime.works.create(name="forged", source=connector, user_id=None, expected=1)
    native = ImportMessage(
        work_id=ours.id,
        seq=0,
        source=connector,
        objects=[{**forged, "description": "native"}],
        user_id=None,
    )
    runtime.queue.publish(push_queue(connector), native.encode())

    drain(runtime, ours)
    [theirs] = [w for w in runtime.works.list(source=connector) if w.id != ours.id]
    for work in (drain(runtime, theirs), runtime.works.get(ours.id)):
        assert work is not None and (work.processed, work.failed) == (0, 1)
        assert REFUSAL in work.errors[0].reason
    assert _stored(client, amber_object["id"])["description"] == "original"


def test_an_enrichment_connector_never_receives_what_its_user_cannot_read(
    client: TestClient,
    runtime: Runtime,
    admin_token: str,
    user_token: Callable[..., str],
    knowledge: dict[str, Any],
    amber_object: dict[str, Any],
) -> None:
    token = user_token(Capability.CONNECTORAPI, *WRITER, allowed=["TLP:GREEN"])
    spec = {"type": "INTERNAL_ENRICHMENT", "scope": ["Malware"], "auto": True}
    connector = _register(client, token, **spec)
    jobs = f"/api/connectors/{connector}/jobs"

    enrich = f"/api/connectors/{connector}/enrich"
    assert client.post(enrich, json={"object_id": amber_object["id"]}).status_code == 409
    assert client.post(enrich, json={"object_id": knowledge["target"]["id"]}).status_code == 202
    job = client.get(jobs, params={"wait": 2}, headers=auth(token))
    assert leaks(job.content) == []
    assert_cut(orjson.loads(job.json()["event"]["stix_entity"]))

    dispatch_created(runtime)  # the dispatcher starts at the end of the event log
    hidden = canonical(malware("Amber new", object_marking_refs=[TLP_AMBER]))
    push(client, runtime, admin_token, hidden)
    assert dispatch_created(runtime) == 0
    assert client.get(jobs, params={"wait": 0}, headers=auth(token)).status_code == 204
