"""Who may enrich what, and import with which markings, from the pages (in-process, both back-end
pairs): markings bound the requester and the connector alike, and a refused request queues
nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from stixflow.access.audit import LOCAL_ACTOR
from stixflow.access.markings import resolve_marking
from stixflow.access.schemas import GroupCreate, UserCreate
from stixflow.access.service import AccessService
from stixflow.api.app import create_app
from stixflow.connectors.model import listen_queue
from stixflow.connectors.schemas import ConnectorRegister
from stixflow.connectors.service import ConnectorService
from stixflow.files.imports import file_store
from stixflow.runtime import Runtime
from stixflow.web.session import COOKIE
from tests.support import malware
from tests.taxii.support import write
from tests.web.test_session import BASE, PASSWORD, SAME_ORIGIN, admin_token, sign_in  # noqa: F401

WRITER = ["KNOWLEDGE", "KNOWLEDGE_UPDATE"]


def green_user(runtime: Runtime, capabilities: list[str]) -> tuple[str, str]:
    """(id, email) of a new user who may see TLP:GREEN (and unmarked) data only."""
    service = AccessService(runtime.db, runtime.store, actor=LOCAL_ACTOR)
    name = f"g{uuid.uuid4().hex[:8]}"
    group = service.create_group(
        GroupCreate(name=name, capabilities=capabilities, allowed_markings=["TLP:GREEN"])
    )
    user = service.create_user(
        UserCreate(email=f"{name}@example.org", name=name, password=PASSWORD, groups=[group.id])
    )
    return user.id, user.email


def marking(runtime: Runtime, name: str) -> str:
    with runtime.db.read() as tx:
        return resolve_marking(tx, name)


@pytest.fixture
def pages(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), base_url=BASE, follow_redirects=False) as client:
        yield client


def signed_in(pages: TestClient, email: str) -> TestClient:
    pages.cookies.set(COOKIE, sign_in(pages, email=email, password=PASSWORD))
    return pages


@pytest.fixture
def objects(runtime: Runtime) -> dict[str, dict[str, object]]:
    amber = malware("Amber sample", object_marking_refs=[marking(runtime, "TLP:AMBER")])
    green = malware("Green sample", object_marking_refs=[marking(runtime, "TLP:GREEN")])
    write(runtime, [amber, green])
    return {"amber": amber, "green": green}


def register(runtime: Runtime, connector_id: str, *, user_id: str | None) -> None:
    spec = ConnectorRegister(
        id=connector_id, name=connector_id, type="INTERNAL_ENRICHMENT", scope=["Malware"]
    )
    ConnectorService(runtime, actor=LOCAL_ACTOR).register(spec, user_id=user_id)


def test_a_reader_without_the_marking_cannot_enrich_the_object(
    runtime: Runtime, pages: TestClient, objects: dict[str, dict[str, object]]
) -> None:
    register(runtime, "labeller", user_id=None)
    _, email = green_user(runtime, WRITER)
    client = signed_in(pages, email)
    amber = f"/knowledge/objects/{objects['amber']['id']}/enrich"
    assert client.get(amber).status_code == 404
    refused = client.post(amber, data={"connector_id": "labeller"}, headers=SAME_ORIGIN)
    assert refused.status_code == 404
    assert runtime.queue.depth(listen_queue("labeller")) == 0

    # the object they may see: listed, queued, and its work theirs to follow
    green = f"/knowledge/objects/{objects['green']['id']}/enrich"
    dialog = client.get(green)
    assert dialog.status_code == 200 and 'data-connector="labeller"' in dialog.text
    queued = client.post(green, data={"connector_id": "labeller"}, headers=SAME_ORIGIN)
    assert queued.status_code == 200, queued.text
    assert "Enrichment asked of" in queued.text
    assert runtime.queue.depth(listen_queue("labeller")) == 1
    (work,) = runtime.works.list(source="labeller", limit=5)
    assert client.get(f"/data/works/{work.id}").status_code == 200
    _, other = green_user(runtime, ["KNOWLEDGE"])
    assert signed_in(pages, other).get(f"/data/works/{work.id}").status_code == 404


def test_a_connector_that_may_not_read_the_object_is_refused_with_the_reason(
    runtime: Runtime,
    pages: TestClient,
    objects: dict[str, dict[str, object]],
    admin_token: str,  # noqa: F811  (the fixture)
) -> None:
    connector_user, _ = green_user(runtime, ["KNOWLEDGE", "CONNECTORAPI"])
    register(runtime, "green-labeller", user_id=connector_user)
    pages.cookies.set(COOKIE, sign_in(pages, token=admin_token))
    path = f"/knowledge/objects/{objects['amber']['id']}/enrich"
    assert 'data-connector="green-labeller"' in pages.get(path).text  # its scope takes malware
    refused = pages.post(path, data={"connector_id": "green-labeller"}, headers=SAME_ORIGIN)
    assert refused.status_code == 409
    assert "may not read" in refused.text and 'id="enrich-dialog"' in refused.text
    assert runtime.queue.depth(listen_queue("green-labeller")) == 0
    assert runtime.works.list(source="green-labeller", limit=5) == []


def test_import_refuses_a_marking_the_uploader_may_not_use(
    runtime: Runtime, pages: TestClient
) -> None:
    _, email = green_user(runtime, WRITER)
    client = signed_in(pages, email)
    form = client.get("/data/import")
    assert form.status_code == 200
    amber = marking(runtime, "TLP:AMBER")
    assert amber not in form.text  # never offered
    refused = client.post(
        "/data/import",
        files={"file": ("a.json", b"{}", "application/json")},
        data={"marking": amber},
        headers=SAME_ORIGIN,
    )
    assert 'id="import-error"' in refused.text and "no such marking" in refused.text
    assert file_store(runtime).list() == []


def test_import_refuses_a_file_over_the_limit_before_storing_it(
    runtime: Runtime,
    pages: TestClient,
    admin_token: str,  # noqa: F811  (the fixture)
) -> None:
    pages.cookies.set(COOKIE, sign_in(pages, token=admin_token))
    runtime.settings.files.max_bytes = 100
    for size in (200, 200_000):  # caught while reading, and from the declared length
        refused = pages.post(
            "/data/import",
            files={"file": ("big.json", b"x" * size, "application/json")},
            headers=SAME_ORIGIN,
        )
        assert 'id="import-error"' in refused.text
        assert "over the limit of 100 bytes" in refused.text
    no_file = pages.post("/data/import", data={"connector_id": ""}, headers=SAME_ORIGIN)
    assert "choose a file to upload" in no_file.text
    assert file_store(runtime).list() == []
