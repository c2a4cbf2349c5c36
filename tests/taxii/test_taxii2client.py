"""taxii2-client (the OASIS client, written by others) against our TAXII 2.1 server, over HTTP."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from taxii2client.v21 import Server, as_pages

from stixflow.runtime import Runtime
from stixflow.taxii.collections import DefinitionCreate, collections
from stixflow.taxii.media import TAXII_21
from tests.support import TLP_AMBER, TLP_GREEN, malware, relationship, sdo
from tests.taxii.conftest import LiveServer
from tests.taxii.support import Bearer, write

pytestmark = pytest.mark.timeout(120)


def indicators(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        sdo(
            "indicator",
            f"ioc {n}",
            pattern=f"[ipv4-addr:value = '10.{n // 65536}.{n // 256 % 256}.{n % 256}']",
            pattern_type="stix",
            valid_from="2024-01-01T00:00:00.000Z",
        )
        for n in range(start, start + count)
    ]


@pytest.fixture
def everything(runtime: Runtime) -> str:
    spec = DefinitionCreate(name="everything", description="all objects")
    return collections(runtime.db).create(spec, created_by=None).id


@pytest.mark.parametrize("pair", ["sqlite-embedded"], indirect=True)
def test_pages_through_10000_objects(
    runtime: Runtime, live: LiveServer, admin_token: str, everything: str
) -> None:
    first = indicators(5000)
    first_added = write(runtime, first)
    time.sleep(0.01)
    write(runtime, indicators(5000, start=5000))

    server = Server(f"{live.url}/taxii2/", auth=Bearer(admin_token))
    root = server.default
    assert root is not None and root.max_content_length > 0
    [collection] = [c for c in root.collections if c.id == everything]
    assert collection.can_read and not collection.can_write

    seen: list[str] = []
    for envelope in as_pages(collection.get_objects, per_request=100, type="indicator"):
        seen.extend(obj["id"] for obj in envelope.get("objects", []))
    assert len(seen) == len(set(seen)) == 10_000

    after: list[str] = []
    for envelope in as_pages(
        collection.get_objects, per_request=100, added_after=_taxii(first_added), type="indicator"
    ):
        after.extend(obj["id"] for obj in envelope.get("objects", []))
    assert len(after) == 5000
    assert not set(after) & {obj["id"] for obj in first}


def _taxii(stamp: str) -> str:
    return stamp[:-1] + "000Z"


def test_resources_headers_and_errors(
    runtime: Runtime, live: LiveServer, admin_token: str, everything: str
) -> None:
    m = malware("emotet", modified="2024-01-01T00:00:00.000Z")
    write(runtime, [m])
    write(runtime, [{**m, "modified": "2024-02-01T00:00:00.000Z", "description": "v2"}])
    headers = {"Authorization": f"Bearer {admin_token}", "Accept": TAXII_21}
    base = f"{live.url}/taxii2/root/collections/{everything}"
    with httpx.Client(headers=headers, timeout=10) as http:
        page = http.get(f"{base}/objects/", params={"match[type]": "malware"})
        assert page.status_code == 200
        assert page.headers["content-type"] == TAXII_21
        assert page.headers["x-taxii-date-added-first"].endswith("000Z")
        assert [o["description"] for o in page.json()["objects"]] == ["v2"]

        versions = http.get(f"{base}/objects/{m['id']}/versions/").json()
        assert versions["versions"] == ["2024-01-01T00:00:00.000Z", "2024-02-01T00:00:00.000Z"]
        first = http.get(f"{base}/objects/{m['id']}/", params={"match[version]": "first"})
        assert [o["modified"] for o in first.json()["objects"]] == ["2024-01-01T00:00:00.000Z"]
        manifest = http.get(f"{base}/manifest/", params={"match[type]": "malware"}).json()
        assert manifest["objects"][0]["version"] == "2024-02-01T00:00:00.000Z"

        wrong = http.get(f"{base}/objects/", headers={"Accept": "application/json"})
        assert wrong.status_code == 406
        assert wrong.headers["content-type"] == TAXII_21
        assert wrong.json()["http_status"] == "406"
        missing = http.get(f"{live.url}/taxii2/root/collections/nope/")
        assert missing.status_code == 404 and missing.json()["title"] == "Not found"
        anonymous = httpx.get(f"{base}/objects/", headers={"Accept": TAXII_21})
        assert anonymous.status_code == 401
        assert "Bearer" in anonymous.headers["www-authenticate"]


def test_green_reader_never_gets_amber(
    runtime: Runtime, live: LiveServer, make_user: Any, everything: str
) -> None:
    green = malware("green one", object_marking_refs=[TLP_GREEN])
    amber = malware("amber one", object_marking_refs=[TLP_AMBER])
    plain = sdo("intrusion-set", "plain")
    hidden_rel = relationship(plain["id"], amber["id"])
    write(runtime, [green, amber, plain, hidden_rel])
    from stixflow.access.capabilities import Capability

    _, token = make_user(Capability.TAXIIAPI, allowed=[TLP_GREEN])
    collection = Server(f"{live.url}/taxii2/", auth=Bearer(token)).default.collections[0]
    ids = {o["id"] for o in collection.get_objects().get("objects", [])}
    assert ids == {green["id"], plain["id"]}
    with pytest.raises(Exception, match="404"):
        collection.get_object(amber["id"])
    manifest = {o["id"] for o in collection.get_manifest().get("objects", [])}
    assert manifest == ids
