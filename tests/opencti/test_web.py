"""The UI routes of OpenCTI files without a browser: the import form, the import, the export
download, and the refusal of a signed-in user without the INGESTION capability."""

from __future__ import annotations

import json
from collections.abc import Callable

from fastapi.testclient import TestClient

from stixflow.access.capabilities import Capability
from stixflow.web.session import COOKIE
from tests.opencti.support import FIXTURES, TAXII_FEED, comparable, fixture

SAME_ORIGIN = {"Origin": "http://testserver"}


def test_import_form_import_and_export(client: TestClient, admin_token: str) -> None:
    client.cookies.set(COOKIE, admin_token)
    form = client.get("/data/ingestion/opencti/taxii/import")
    assert form.status_code == 200 and 'id="opencti-file"' in form.text
    tab = client.get("/data/ingestion/taxii")
    assert "/data/ingestion/opencti/taxii/import" in tab.text
    upload = {"file": ("feed.json", (FIXTURES / TAXII_FEED).read_bytes(), "application/json")}
    done = client.post("/data/ingestion/opencti/taxii/import", files=upload, headers=SAME_ORIGIN)
    assert done.status_code == 200 and "taxiiFeedsAuto imported" in done.text
    feed = client.get("/api/ingestion/taxii/taxiiFeedsAuto").json()
    assert (
        f"/data/ingestion/opencti/taxii/{feed['id']}/export"
        in client.get("/data/ingestion/taxii").text
    )
    exported = client.get(f"/data/ingestion/opencti/taxii/{feed['id']}/export")
    assert exported.headers["content-disposition"] == 'attachment; filename="taxiiFeedsAuto.json"'
    assert comparable(json.loads(exported.content)) == comparable(fixture(TAXII_FEED))


def test_a_user_without_ingestion_gets_the_refusal_page(
    client: TestClient, user_token: Callable[..., str]
) -> None:
    client.cookies.set(COOKIE, user_token(Capability.KNOWLEDGE))
    del client.headers["Authorization"]
    upload = {"file": ("feed.json", (FIXTURES / TAXII_FEED).read_bytes(), "application/json")}
    refused = client.post("/data/ingestion/opencti/taxii/import", files=upload, headers=SAME_ORIGIN)
    assert refused.status_code == 403
    assert client.get("/data/ingestion/opencti/taxii/import").status_code == 403
