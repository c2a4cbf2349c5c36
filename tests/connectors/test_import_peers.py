"""OpenCTI's CISA KEV and URLhaus external-import connectors, unmodified, with their default
options: only their source URL points at a loopback server. CISA KEV reads its TLP marking by
its OpenCTI name (``TLP:CLEAR``) and marks what it imports with it; URLhaus looks each tag up
among the threats we hold (``stix_domain_object.list``) and relates its indicators to them."""

from __future__ import annotations

import http.server
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
import pytest

from stixflow.access.markings import ensure_builtin_markings
from stixflow.clock import now
from stixflow.pipeline.works import COMPLETE, Work
from stixflow.runtime import Runtime
from stixflow.stix.markings import TLP_BY_NAME
from stixflow.store.base import Access, ObjectQuery, Provenance
from tests.conftest import Pair
from tests.connectors.live import Live, connector_token, live_stixflow
from tests.connectors.peers import running, wait_for
from tests.support import malware

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]

KEV = {
    "title": "CISA Catalog of Known Exploited Vulnerabilities",
    "catalogVersion": "2026.12.01",
    "dateReleased": "2026-12-01T15:00:00.0000Z",
    "count": 2,
    "vulnerabilities": [
        {
            "cveID": "CVE-2026-10001",
            "vendorProject": "Examplesoft",
            "product": "Gateway",
            "vulnerabilityName": "Examplesoft Gateway Command Injection",
            "dateAdded": "2026-11-30",
            "shortDescription": "A command injection in the management interface.",
            "requiredAction": "Apply the vendor's update.",
            "dueDate": "2026-12-21",
            "knownRansomwareCampaignUse": "Known",
            "notes": "https://example.org/advisory/10001",
            "cwes": ["CWE-78"],
        },
        {
            "cveID": "CVE-2026-10002",
            "vendorProject": "Samplecorp",
            "product": "Mailer",
            "vulnerabilityName": "Samplecorp Mailer Authentication Bypass",
            "dateAdded": "2026-12-01",
            "shortDescription": "An authentication bypass.",
            "requiredAction": "Apply mitigations or stop using the product.",
            "dueDate": "2026-12-22",
            "knownRansomwareCampaignUse": "Unknown",
            "notes": "",
            "cwes": [],
        },
    ],
}
URLHAUS_ROWS = 40


@contextmanager
def serving(files: dict[str, bytes]) -> Iterator[str]:
    """A loopback HTTP server answering ``files`` (path -> body)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = files.get(self.path.split("?", 1)[0])
            self.send_response(200 if body is not None else 404)
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def live(runtime: Runtime) -> Iterator[Live]:
    ensure_builtin_markings(runtime.db, runtime.store)
    with live_stixflow(runtime) as server:
        yield server


def peer_env(pair: Pair, live: Live, name: str) -> tuple[str, dict[str, str]]:
    connector_id = str(uuid.uuid4())
    _, token = connector_token(live.runtime, name)
    env = {
        "OPENCTI_URL": live.url,
        "OPENCTI_TOKEN": token,
        "CONNECTOR_ID": connector_id,
        "CONNECTOR_LOG_LEVEL": "info",
    }
    if pair.settings.is_embedded_broker:  # no AMQP broker here: bundles go over HTTP
        env["CONNECTOR_QUEUE_PROTOCOL"] = "api"
    return connector_id, env


def completed_work(runtime: Runtime, connector_id: str) -> Work | None:
    works = runtime.works.list(source=connector_id, limit=5)
    done = [w for w in works if w.status == COMPLETE and w.expected > 0 and w.done == w.expected]
    return done[0] if done else None


def of_type(runtime: Runtime, stix_type: str) -> list[dict]:
    page = runtime.store.query(
        ObjectQuery(types=(stix_type,), limit=1000), access=Access.everything()
    )
    return page.objects


def test_cisa_kev(pair: Pair, runtime: Runtime, live: Live, tmp_path: Path) -> None:
    connector_id, env = peer_env(pair, live, "CISA KEV")
    with serving({"/kev.json": orjson.dumps(KEV)}) as source:
        env["CISA_CATALOG_URL"] = f"{source}/kev.json"
        with running("cisa-kev", env, tmp_path / "kev.log") as peer:
            work = wait_for(
                lambda: completed_work(runtime, connector_id), peer=peer, what="its work"
            )
            time.sleep(1)
    assert work.failed == 0, work.errors[:3]
    vulns = {v["name"]: v for v in of_type(runtime, "vulnerability")}
    assert set(vulns) == {"CVE-2026-10001", "CVE-2026-10002"}
    clear = TLP_BY_NAME["TLP:CLEAR"]["id"]
    assert all(v["object_marking_refs"] == [clear] for v in vulns.values())
    authors = {i["id"]: i["name"] for i in of_type(runtime, "identity")}
    assert authors[vulns["CVE-2026-10001"]["created_by_ref"]] == (
        "Cybersecurity and Infrastructure Security Agency"
    )
    assert {s["name"] for s in of_type(runtime, "software")} >= {"Gateway", "Mailer"}


def test_urlhaus(pair: Pair, runtime: Runtime, live: Live, tmp_path: Path, data_dir: Path) -> None:
    lines = (data_dir / "csv" / "urlhaus_csv_recent_2026-03-09.csv").read_bytes().splitlines()
    header = [line for line in lines if line.startswith(b"#")]
    rows = [line for line in lines if not line.startswith(b"#")][:URLHAUS_ROWS]
    mozi_rows = [r for r in rows if b"Mozi" in r.split(b'","')[6]]
    assert mozi_rows, "the sample has Mozi rows"
    mozi = malware("Mozi")  # a threat we already hold: URLhaus relates its URLs to it
    with runtime.db.transaction() as tx:
        runtime.store.upsert(tx, [mozi], provenance=Provenance(seen_at=now()))
    connector_id, env = peer_env(pair, live, "URLhaus")
    with serving({"/csv_recent/": b"\n".join(header + rows) + b"\n"}) as source:
        env["URLHAUS_CSV_URL"] = f"{source}/csv_recent/"
        with running("urlhaus", env, tmp_path / "urlhaus.log") as peer:
            work = wait_for(
                lambda: completed_work(runtime, connector_id), peer=peer, what="its work"
            )
    assert work.failed == 0, work.errors[:3]
    urls = {u["value"] for u in of_type(runtime, "url")}
    assert len(urls) == len({r.split(b'","')[2].decode() for r in rows})
    stored_mozi = runtime.store.get(mozi["id"], access=Access.everything())
    assert stored_mozi is not None
    related = [
        r
        for r in of_type(runtime, "relationship")
        if r["target_ref"] == stored_mozi.data["id"] and r["relationship_type"] == "indicates"
    ]
    assert len(related) == len(mozi_rows)
