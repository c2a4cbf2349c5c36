"""OpenCTI's stream connectors, unmodified (``stream/backup-files``, ``stream/webhook``, the
stream template), consume our ``/stream/<id>`` through pycti's ``listen_stream``: what they
write or send is what a user sees of the stream; their position is their connector state, kept
across a restart and reset like any connector's."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stixflow.access.audit import LOCAL_ACTOR
from stixflow.clock import now
from stixflow.connectors.records import ConnectorRecords
from stixflow.connectors.service import ConnectorService, parse_state
from stixflow.runtime import Runtime
from stixflow.store.base import Provenance
from stixflow.taxii.collections import DefinitionCreate, live_streams
from stixflow.taxii.filters import ObjectFilter
from tests.connectors.live import Live, connector_token, live_stixflow
from tests.connectors.peers import running, wait_for
from tests.security.conftest import Attacker
from tests.support import malware, sdo
from tests.taxii.support import write

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]


@pytest.fixture
def live(runtime: Runtime) -> Iterator[Live]:
    with live_stixflow(runtime) as server:
        yield server


@pytest.fixture
def receiver() -> Iterator[Attacker]:
    server = Attacker()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def new_stream(runtime: Runtime, *types: str) -> str:
    spec = DefinitionCreate(
        name=f"s{uuid.uuid4().hex[:6]}", filters=ObjectFilter(types=list(types))
    )
    return live_streams(runtime.db).create(spec, created_by=None).id


def stream_env(live: Live, name: str, stream: str) -> tuple[str, dict[str, str]]:
    connector_id = str(uuid.uuid4())
    _, token = connector_token(live.runtime, name)
    return connector_id, {
        "OPENCTI_URL": live.url,
        "OPENCTI_TOKEN": token,
        "CONNECTOR_ID": connector_id,
        "CONNECTOR_NAME": name,
        "CONNECTOR_TYPE": "STREAM",
        "CONNECTOR_SCOPE": name.lower(),
        "CONNECTOR_LIVE_STREAM_ID": stream,
        "CONNECTOR_LOG_LEVEL": "info",
    }


def backups(folder: Path) -> dict[str, dict[str, Any]]:
    """The objects backup-files wrote: id -> the object of its one-object bundle."""
    found = {}
    for path in folder.glob("opencti_data/*/*.json"):
        try:
            found[path.stem] = json.loads(path.read_text())["objects"][0]
        except (ValueError, OSError):  # being written
            continue
    return found


def position(runtime: Runtime, connector_id: str) -> int:
    """The stream position the connector last reported (its state's ``start_from``)."""
    state = parse_state(ConnectorRecords(runtime.db, runtime.secrets).get(connector_id).state)
    return int(str((state or {}).get("start_from", "0")).split("-")[-1])


def last_seq(runtime: Runtime, object_id: str) -> int:
    with runtime.db.read() as tx:
        return int(
            tx.scalar("SELECT MAX(seq) FROM stream_events WHERE object_id = ?", (object_id,))
        )


def test_backup_files(runtime: Runtime, live: Live, tmp_path: Path) -> None:
    stream = new_stream(runtime, "malware")
    first, second = malware("Emotet"), malware("TrickBot")
    write(runtime, [first, second, sdo("tool", "not in the stream")])
    folder = tmp_path / "backup"
    folder.mkdir()
    connector_id, env = stream_env(live, "BackupFiles", stream)
    env |= {"BACKUP_PROTOCOL": "local", "BACKUP_PATH": str(folder)}
    log = tmp_path / "backup.log"

    with running("backup-files", env, log) as peer:
        # history first (pycti's first run recovers the stream up to its start), then live
        wait_for(
            lambda: {first["id"], second["id"]} <= backups(folder).keys(),
            peer=peer,
            what="the stream's history on disk",
        )
        assert len(backups(folder)) == 2  # the tool is not in the stream
        third = malware("Qakbot")
        write(
            runtime, [third, {**first, "modified": "2024-05-01T00:00:00.000Z", "description": "v2"}]
        )
        wait_for(
            lambda: backups(folder).get(first["id"], {}).get("description") == "v2"
            and third["id"] in backups(folder),
            peer=peer,
            what="live events on disk",
        )
        runtime.store.delete(second["id"], provenance=Provenance(seen_at=now(), source="test"))
        wait_for(lambda: second["id"] not in backups(folder), peer=peer, what="a deletion")
        # its position is its state on the platform (sent with its next ping)
        done = last_seq(runtime, second["id"])
        wait_for(
            lambda: position(runtime, connector_id) >= done,
            timeout=100,
            peer=peer,
            what="the position in the connector's state",
        )

    # restart: it resumes where it stopped, without a gap (the new object) or a repeat
    for path in folder.glob("opencti_data/*/*.json"):
        path.unlink()
    fourth = malware("IcedID")
    write(runtime, [fourth])
    with running("backup-files", env, log) as peer:
        wait_for(lambda: fourth["id"] in backups(folder), peer=peer, what="the missed object")
        time.sleep(1.0)
        assert set(backups(folder)) == {fourth["id"]}, "events seen before the restart came again"

        # a reset: the connector learns it on its next ping and stops, as on OpenCTI
        ConnectorService(runtime, actor=LOCAL_ACTOR).reset(connector_id)
        peer.process.wait(100)
    assert (
        parse_state(ConnectorRecords(runtime.db, runtime.secrets).get(connector_id).state) is None
    )
    # started again, it reads the stream from its beginning
    with running("backup-files", env, log) as peer:
        wait_for(
            lambda: {first["id"], third["id"], fourth["id"]} <= backups(folder).keys(),
            peer=peer,
            what="the whole stream again after the reset",
        )
    assert second["id"] not in backups(folder)


def test_webhook(runtime: Runtime, live: Live, receiver: Attacker, tmp_path: Path) -> None:
    stream = new_stream(runtime, "malware")
    before = malware("Emotet")
    write(runtime, [before])
    _, env = stream_env(live, "Webhook", stream)
    env |= {
        "WEBHOOK_TYPE": "URL",
        "WEBHOOK_URL": f"{receiver.url}/hook",
        "WEBHOOK_AUTH_TYPE": "NONE",
        "CONNECTOR_CONSUMER_COUNT": "2",
    }

    def received() -> dict[str, dict[str, Any]]:
        bodies = [json.loads(r.body) for r in list(receiver.requests) if r.path == "/hook"]
        return {body["data"]["id"]: body for body in bodies}

    with running("webhook", env, tmp_path / "webhook.log") as peer:
        wait_for(lambda: before["id"] in received(), peer=peer, what="the history on the hook")
        after = malware("TrickBot", description="seen today")
        write(runtime, [after, sdo("tool", "not in the stream")])
        wait_for(lambda: after["id"] in received(), peer=peer, what="a live event on the hook")
    body = received()[after["id"]]
    assert body["type"] == "create" and body["data"]["description"] == "seen today"
    assert body["message"] == "creates a Malware `TrickBot`"
    assert all(b["data"]["type"] == "malware" for b in received().values())


def test_stream_template_stays_alive(runtime: Runtime, live: Live, tmp_path: Path) -> None:
    stream = new_stream(runtime, "campaign")  # nothing comes: the template raises on events
    connector_id, env = stream_env(live, "Template", stream)
    env |= {"TEMPLATE_API_BASE_URL": "http://127.0.0.1:9", "TEMPLATE_API_KEY": "unused"}
    with running("template-stream", env, tmp_path / "template.log") as peer:
        records = ConnectorRecords(runtime.db, runtime.secrets)
        wait_for(lambda: records.list(), peer=peer, what="registration")
        assert records.get(connector_id).type.value == "STREAM"
        time.sleep(12)  # past two heartbeats and pycti's stream watchdog checks
        assert peer.alive, peer.output()
        assert position(runtime, connector_id) >= 0
