"""OpenCTI's listening connectors, unmodified, take jobs from us: over pycti's HTTP callback
mode (``CONNECTOR_LISTEN_PROTOCOL=API``, the embedded back end) and over AMQP (RabbitMQ).
``import-file-stix`` imports an uploaded bundle; the enrichment template starts, registers and
stays alive, and its jobs reach it signed with the key set it got at registration."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from stixflow.access.bootstrap import ensure_admin
from stixflow.connectors.records import ConnectorRecords
from stixflow.pipeline.works import COMPLETE, PENDING
from stixflow.runtime import Runtime
from stixflow.store.base import Access
from tests.conftest import Pair
from tests.connectors.live import Live, connector_token, free_port, live_stixflow
from tests.connectors.peers import running, wait_for
from tests.support import bundle, malware, sdo
from tests.taxii.support import write

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.fixture
def live(runtime: Runtime) -> Iterator[Live]:
    with live_stixflow(runtime) as server:
        yield server


def listen_env(pair: Pair, live: Live, name: str, kind: str) -> tuple[str, dict[str, str]]:
    connector_id = str(uuid.uuid4())
    _, token = connector_token(live.runtime, name)
    env = {
        "OPENCTI_URL": live.url,
        "OPENCTI_TOKEN": token,
        "CONNECTOR_ID": connector_id,
        "CONNECTOR_NAME": name,
        "CONNECTOR_TYPE": kind,
        "CONNECTOR_LOG_LEVEL": "info",
    }
    if pair.settings.is_embedded_broker:  # no AMQP broker: jobs come over HTTP callbacks
        port = free_port()
        env |= {
            "CONNECTOR_LISTEN_PROTOCOL": "API",
            "CONNECTOR_LISTEN_PROTOCOL_API_PORT": str(port),
            "CONNECTOR_LISTEN_PROTOCOL_API_URI": f"http://127.0.0.1:{port}",
            "CONNECTOR_QUEUE_PROTOCOL": "api",
        }
    return connector_id, env


def registered(runtime: Runtime, connector_id: str) -> bool:
    return any(c.id == connector_id for c in ConnectorRecords(runtime.db, runtime.secrets).list())


def test_import_file_stix(pair: Pair, runtime: Runtime, live: Live, tmp_path: Path) -> None:
    connector_id, env = listen_env(pair, live, "ImportFileStix", "INTERNAL_IMPORT_FILE")
    env["CONNECTOR_SCOPE"] = "application/json,text/xml"
    sample = malware("Emotet", description="imported from a file")
    content = orjson.dumps(bundle(sample, sdo("tool", "mimikatz")))
    admin = ensure_admin(runtime.db, runtime.settings).token
    with running("import-file-stix", env, tmp_path / "import.log") as peer:
        wait_for(lambda: registered(runtime, connector_id), peer=peer, what="registration")
        time.sleep(2)  # its listener (HTTP server or AMQP consumer) is up
        answer = httpx.post(
            f"{live.url}/api/files",
            params={"name": "sample.json"},
            content=content,
            headers={"Authorization": f"Bearer {admin}", "Content-Type": "application/json"},
        )
        assert answer.status_code == 201, answer.text
        (work_id,) = answer.json()["work_ids"]

        def imported() -> bool:
            work = runtime.works.get(work_id)
            found = runtime.store.get(sample["id"], access=Access.everything())
            return work is not None and work.status == COMPLETE and found is not None

        wait_for(imported, timeout=120, peer=peer, what="the file's objects in the store")
    work = runtime.works.get(work_id)
    assert work is not None and work.failed == 0 and work.processed >= 2, work
    stored = runtime.store.get(sample["id"], access=Access.everything())
    assert stored is not None and stored.data["description"] == "imported from a file"


def test_enrichment_template_stays_alive_and_gets_signed_jobs(
    pair: Pair, runtime: Runtime, live: Live, tmp_path: Path
) -> None:
    connector_id, env = listen_env(pair, live, "TemplateEnrichment", "INTERNAL_ENRICHMENT")
    env |= {
        "CONNECTOR_SCOPE": "Malware",
        "CONNECTOR_AUTO": "false",
        "TEMPLATE_API_BASE_URL": "http://127.0.0.1:9",
        "TEMPLATE_API_KEY": "unused",
    }
    target = malware("Emotet")
    write(runtime, [target])
    admin = ensure_admin(runtime.db, runtime.settings).token
    with running("template-enrichment", env, tmp_path / "template.log") as peer:
        wait_for(lambda: registered(runtime, connector_id), peer=peer, what="registration")
        time.sleep(8)
        assert peer.alive, peer.output()
        asked = httpx.post(
            f"{live.url}/api/connectors/{connector_id}/enrich",
            json={"object_id": target["id"]},
            headers={"Authorization": f"Bearer {admin}"},
        )
        assert asked.status_code == 202, asked.text
        work_id = asked.json()["work_id"]
        # the connector accepted the job (a bad signature would leave the work untouched)
        wait_for(
            lambda: (w := runtime.works.get(work_id)) is not None and w.status != PENDING,
            timeout=60,
            peer=peer,
            what="the connector taking the job",
        )
        assert peer.alive, peer.output()
