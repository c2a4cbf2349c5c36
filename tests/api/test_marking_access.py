"""Marking segregation as readers see it: a TLP:GREEN-only reader never receives a TLP:AMBER
object, nor a relationship touching one, via list, get, relationships, search or export.
On both back-end pairs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from stixflow.access.capabilities import Capability
from stixflow.runtime import Runtime
from stixflow.stix.ids import standard_id
from tests.support import TLP_AMBER, TLP_GREEN, bundle, drain, malware, relationship

READER = (Capability.KNOWLEDGE, Capability.EXPLORE)


@pytest.fixture
def knowledge(client: TestClient, runtime: Runtime) -> dict[str, dict[str, Any]]:
    """Pushed by the admin: green, amber and unmarked malware, and relationships between them."""
    objects = {
        "green": canonical(malware("Greenbot", object_marking_refs=[TLP_GREEN])),
        "amber": canonical(malware("Amberbot", object_marking_refs=[TLP_AMBER])),
        "plain": canonical(malware("Plainbot")),
    }
    objects["green_amber"] = relationship(objects["green"]["id"], objects["amber"]["id"])
    objects["green_plain"] = relationship(objects["green"]["id"], objects["plain"]["id"])
    response = client.post("/api/bundles", content=orjson.dumps(bundle(*objects.values())))
    drain(runtime, response.json()["work_id"])
    return objects


def canonical(obj: dict[str, Any]) -> dict[str, Any]:
    """The object under the id the platform gives it (name-based for malware)."""
    return {**obj, "id": standard_id(obj) or obj["id"]}


def _as(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _visible_ids(client: TestClient, token: str, **params: Any) -> set[str]:
    page = client.get("/api/objects", params=params, headers=_as(token)).json()
    return {obj["id"] for obj in page["objects"]}


def _exported_ids(client: TestClient, token: str, **params: Any) -> set[str]:
    response = client.get("/api/export", params=params, headers=_as(token))
    assert response.status_code == 200
    exported = orjson.loads(response.content)
    assert exported["type"] == "bundle"
    return {obj["id"] for obj in exported["objects"]}


def test_green_reader_never_receives_amber(
    client: TestClient, user_token: Callable[..., str], knowledge: dict[str, dict[str, Any]]
) -> None:
    token = user_token(*READER, allowed=["TLP:GREEN"])
    ids = {name: obj["id"] for name, obj in knowledge.items()}
    hidden = {ids["amber"], ids["green_amber"]}
    expected = {ids["green"], ids["plain"], ids["green_plain"]}

    listed = _visible_ids(client, token)
    assert expected <= listed and not hidden & listed
    exported = _exported_ids(client, token)
    assert expected <= exported and not hidden & exported
    assert _visible_ids(client, token, text="amberbot") == set()
    assert _exported_ids(client, token, type="malware") == {ids["green"], ids["plain"]}
    for object_id in hidden:
        assert client.get(f"/api/objects/{object_id}", headers=_as(token)).status_code == 404
    assert client.get(f"/api/objects/{ids['green']}", headers=_as(token)).status_code == 200
    rels = client.get(f"/api/objects/{ids['green']}/relationships", headers=_as(token)).json()
    assert [rel["id"] for rel in rels] == [ids["green_plain"]]
    amber_rels = client.get(f"/api/objects/{ids['amber']}/relationships", headers=_as(token))
    assert amber_rels.status_code == 404


def test_amber_reader_also_sees_lower_levels(
    client: TestClient, user_token: Callable[..., str], knowledge: dict[str, dict[str, Any]]
) -> None:
    # allowed TLP:AMBER by its TLP 2.0 name; the data carries the TLP 1.0 ids
    token = user_token(*READER, allowed=["TLP:AMBER"])
    assert {obj["id"] for obj in knowledge.values()} <= _exported_ids(client, token)


def test_reader_with_no_marking_sees_only_unmarked(
    client: TestClient, user_token: Callable[..., str], knowledge: dict[str, dict[str, Any]]
) -> None:
    token = user_token(*READER)
    malware_ids = _visible_ids(client, token, type="malware")
    assert malware_ids == {knowledge["plain"]["id"]}


def test_default_markings_and_creator_of_pushed_data(
    client: TestClient, runtime: Runtime, user_token: Callable[..., str]
) -> None:
    writer = user_token(
        Capability.KNOWLEDGE,
        Capability.KNOWLEDGE_UPDATE,
        allowed=["TLP:AMBER"],
        defaults=["TLP:AMBER"],
    )
    me = client.get("/api/me", headers=_as(writer)).json()
    unmarked = canonical(malware("Qakbot"))
    marked = canonical(malware("Pikabot", object_marking_refs=[TLP_GREEN]))
    pushed = client.post(
        "/api/bundles", content=orjson.dumps(bundle(unmarked, marked)), headers=_as(writer)
    ).json()
    drain(runtime, pushed["work_id"])

    stored = client.get(f"/api/objects/{unmarked['id']}", headers=_as(writer)).json()
    assert stored["object"]["object_marking_refs"] == [me["default_markings"][0]]
    assert stored["creators"] == [me["user"]["id"]]
    kept = client.get(f"/api/objects/{marked['id']}", headers=_as(writer)).json()
    assert kept["object"]["object_marking_refs"] == [TLP_GREEN]
    by_creator = client.get("/api/objects", params={"creator": me["user"]["id"]}).json()
    assert {o["id"] for o in by_creator["objects"]} == {unmarked["id"], marked["id"]}

    green_reader = user_token(*READER, allowed=["TLP:GREEN"])
    assert _visible_ids(client, green_reader, type="malware") == {marked["id"]}
