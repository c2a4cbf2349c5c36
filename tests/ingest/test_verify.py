"""Every feed kind checks its URL at creation the same way, with one line of reason."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from stixflow.access.audit import Actor
from stixflow.access.bootstrap import ensure_admin
from stixflow.api.app import create_app
from stixflow.csvmap.service import MapperService
from stixflow.runtime import Runtime
from tests.csvmap.support import mapper
from tests.ingest.servers import FeedServer, Route

PAGE = b"<html><head><title>Sign in</title></head><body>SECRET-PAGE-TEXT</body></html>"
KINDS = ["csv", "rss", "taxii"]


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    account = ensure_admin(runtime.db, runtime.settings)
    admin = Actor(user_id=account.user_id, address="test", is_admin=True)
    MapperService(runtime, actor=admin).create(mapper("feodo"))
    token = account.token
    with TestClient(create_app(runtime)) as test_client:
        test_client.headers["Authorization"] = f"Bearer {token}"
        yield test_client


def body(kind: str, url: str) -> dict[str, Any]:
    fields: dict[str, Any] = {"name": f"{kind} feed", "url": url}
    if kind == "csv":
        fields["mapper"] = "Feodo Tracker C2 IPs"
    if kind == "taxii":
        fields["collection"] = "c"
    return fields


def refusal(client: TestClient, kind: str, url: str) -> str:
    response = client.post(f"/api/ingestion/{kind}", json=body(kind, url))
    assert response.status_code == 400, response.text  # the request is wrong, not the server
    reason = str(response.json()["error"])
    assert "\n" not in reason and "SECRET-PAGE-TEXT" not in reason and "<html" not in reason
    assert client.get(f"/api/ingestion/{kind}").json() == []
    return reason


@pytest.mark.parametrize("kind", KINDS)
def test_a_url_answering_404_is_refused_with_its_status(
    client: TestClient, feeds: FeedServer, kind: str
) -> None:
    url = feeds.serve("/gone/", Route(PAGE, status=404, content_type="text/html"))
    feeds.serve("/gone/collections/c/", Route(PAGE, status=404, content_type="text/html"))
    reason = refusal(client, kind, url)  # taxii: the collection resource under it
    assert "answered 404" in reason and "not found" in reason and "(text/html)" in reason


@pytest.mark.parametrize("kind", KINDS)
def test_a_url_asking_for_credentials_is_refused_as_such(
    client: TestClient, feeds: FeedServer, kind: str
) -> None:
    url = feeds.serve("/private/", Route(PAGE, status=401, content_type="text/html"))
    feeds.serve("/private/collections/c/", Route(PAGE, status=401, content_type="text/html"))
    reason = refusal(client, kind, url)
    assert "answered 401" in reason and "authentication failed" in reason


@pytest.mark.parametrize("kind", KINDS)
def test_a_login_page_answering_200_is_not_a_feed(
    client: TestClient, feeds: FeedServer, kind: str
) -> None:
    url = feeds.serve("/login/", Route(PAGE, content_type="text/html; charset=utf-8"))
    feeds.serve("/login/collections/c/", Route(PAGE, content_type="text/html"))
    reason = refusal(client, kind, url)
    assert "it answered text/html, not" in reason


@pytest.mark.parametrize("kind", KINDS)
def test_a_url_nobody_answers_is_refused_in_one_line(client: TestClient, kind: str) -> None:
    reason = refusal(client, kind, "http://127.0.0.1:9/feed/")
    assert reason.startswith("cannot use http://127.0.0.1:9/")
