"""TAXII 2.1 feeds against medallion (the OASIS reference server) holding real ATT&CK ICS data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from stixflow.errors import InvalidInput
from stixflow.ingest.schemas import TaxiiCreate
from stixflow.ingest.service import IngestionService
from stixflow.ingest.taxii import split_url
from stixflow.runtime import Runtime
from stixflow.store.base import Access
from tests.ingest.conftest import ICS_17, corpus
from tests.ingest.servers import COLLECTION, SECRET_COLLECTION, FeedServer, Medallion, Route
from tests.support import drain


def basic(name: str, url: str, *, user: str = "admin", password: str = "Password0") -> TaxiiCreate:
    return TaxiiCreate(
        name=name,
        url=url,
        collection=COLLECTION if "/collections/" not in url else None,
        auth_type="basic",
        username=user,
        password=SecretStr(password),
        timeout_seconds=30,
    )


def drain_all(runtime: Runtime, works: list[str]) -> int:
    return sum(drain(runtime, work).expected for work in works)


def test_split_url_corrects_pasted_urls() -> None:
    root, coll, notes = split_url("https://h/api/collections/abc/objects/", None)
    assert (root, coll) == ("https://h/api/", "abc")
    assert "collection URL" in notes[0]
    assert split_url("https://h/api/collections/", "x")[:2] == ("https://h/api/", "x")
    assert split_url("https://h/tipapi/tip21", "x")[:2] == ("https://h/tipapi/tip21/", "x")
    with pytest.raises(InvalidInput):
        split_url("https://h/api/collections/abc/", "other")


def test_history_then_only_new_then_nothing(
    runtime: Runtime,
    service: IngestionService,
    medallion: Medallion,
    ics_objects: list[dict[str, Any]],
    data_dir: Path,
) -> None:
    created = service.create("taxii", basic("ics", medallion.objects_url))
    assert created.settings["url"] == medallion.api_root
    assert created.settings["collection"] == COLLECTION
    assert any("collection URL" in note for note in created.notes)
    assert "Password0" not in created.model_dump_json()

    first = service.run_now("taxii", created.id)
    assert first.error is None and first.queued == len(ics_objects) == 683
    assert drain_all(runtime, first.works) == 683
    for obj in ics_objects:
        stored = runtime.store.get(obj["id"], access=Access.everything())
        assert stored is not None and created.source in stored.sources, obj["id"]
    state = service.get("taxii", created.id).state
    assert state["added_after"] == "2020-01-01T00:00:00.682000Z"

    known = {obj["id"] for obj in ics_objects}
    new = [o for o in corpus(data_dir, ICS_17) if o["id"] not in known][:30]
    medallion.add(new)
    second = service.run_now("taxii", created.id)
    assert second.error is None and second.queued == 30
    assert drain_all(runtime, second.works) == 30
    assert all(runtime.store.get(o["id"], access=Access.everything()) for o in new)

    third = service.run_now("taxii", created.id)
    assert third.error is None and (third.queued, third.works) == (0, [])
    health = service.get("taxii", created.id).health
    assert (health.total_objects, health.last_run_objects, health.status) == (713, 0, "stopped")
    assert health.last_success_at is not None and health.last_error is None


@pytest.fixture
def small_medallion(tmp_path: Path, ics_objects: list[dict[str, Any]]) -> Medallion:
    server = Medallion(tmp_path, ics_objects[:40], page_size=15).start()
    yield server  # type: ignore[misc]
    server.stop()


def test_basic_and_bearer_credentials(
    runtime: Runtime, service: IngestionService, small_medallion: Medallion
) -> None:
    reader = service.create(
        "taxii", basic("basic", small_medallion.api_root, user="reader", password="Reader-Pass1")
    )
    bearer = service.create(
        "taxii",
        TaxiiCreate(
            name="bearer",
            url=small_medallion.api_root,
            collection=COLLECTION,
            auth_type="bearer",
            token=SecretStr("token-of-reader-0123456789"),
        ),
    )
    assert bearer.settings["credentials"] == ["token"]
    for ingester in (reader, bearer):
        outcome = service.run_now("taxii", ingester.id)
        assert (outcome.error, outcome.queued) == (None, 40)
        assert drain_all(runtime, outcome.works) == 40


@pytest.mark.parametrize("auth", ["basic", "bearer"])
def test_wrong_credential_leaves_a_clear_error_and_no_data(
    runtime: Runtime, service: IngestionService, small_medallion: Medallion, auth: str
) -> None:
    spec = (
        basic("wrong", small_medallion.api_root, password="not-the-password")
        if auth == "basic"
        else TaxiiCreate(
            name="wrong",
            url=small_medallion.api_root,
            collection=COLLECTION,
            auth_type="bearer",
            token=SecretStr("stolen"),
        )
    )
    with pytest.raises(InvalidInput) as refused:  # checked at creation, not at the first run
        service.create("taxii", spec)
    reason = str(refused.value)
    assert "401" in reason and "check the credentials" in reason and "\n" not in reason
    assert not service.records_named("taxii", "wrong")
    assert runtime.works.list() == []


def test_forbidden_and_unknown_collections(
    service: IngestionService, small_medallion: Medallion
) -> None:
    with pytest.raises(InvalidInput, match="may not read the collection"):
        service.create(
            "taxii", basic("secret", f"{small_medallion.api_root}collections/{SECRET_COLLECTION}/")
        )
    with pytest.raises(InvalidInput, match="404") as missing:
        service.create("taxii", basic("missing", f"{small_medallion.api_root}collections/nope/"))
    assert "collection id" in str(missing.value)
    assert service.list("taxii") == []


def test_discovery_url_is_resolved_to_its_api_root(
    service: IngestionService, small_medallion: Medallion
) -> None:
    created = service.create("taxii", basic("disco", f"{small_medallion.base_url}/taxii2/"))
    assert created.settings["url"] == small_medallion.api_root
    assert any("discovery URL" in note for note in created.notes)


TAXII_JSON = "application/taxii+json;version=2.1"


def test_406_and_429_are_explained(service: IngestionService, feeds: FeedServer) -> None:
    collection = b'{"id": "c", "title": "C", "can_read": true, "can_write": false}'
    for name in ("r406", "r429", "slow"):  # the collection answers at creation, its objects not
        feeds.serve(f"/{name}/collections/c/", Route(collection, content_type=TAXII_JSON))
    feeds.serve("/r406/collections/c/objects/", Route(status=406, content_type="text/plain"))
    feeds.serve(
        "/r429/collections/c/objects/",
        Route(status=429, content_type="text/plain", headers={"Retry-After": "0"}),
    )
    feeds.serve(
        "/slow/collections/c/objects/",
        Route(status=429, content_type="text/plain", headers={"Retry-After": "3600"}),
    )
    errors = {}
    for name in ("r406", "r429", "slow"):
        created = service.create(
            "taxii", TaxiiCreate(name=name, url=feeds.url(f"/{name}/"), collection="c")
        )
        errors[name] = str(service.run_now("taxii", created.id).error)
    assert "406" in errors["r406"] and "TAXII 2.1" in errors["r406"]
    assert "429" in errors["r429"] and "rate limited" in errors["r429"]
    assert "retry after 3600s" in errors["slow"]
    hits = [p for p, _ in feeds.requests if p.startswith("/r429/collections/c/objects/")]
    assert len(hits) == 3  # the first try and two retries
