"""File import jobs (OpenCTI's ``INTERNAL_IMPORT_FILE`` connectors): a stored file goes to an
import connector's ``listen_<id>`` queue as the listen message pycti expects, under a new work.

The job names the file by its id and its fetch path (``/storage/get/<id>``); the connector reads
it with its own token (``fetch_opencti_file``), which ``file_jobs`` allows. stixflow has no
validation workbench: jobs say ``bypass_validation`` and what the connector sends is imported.
"""

from __future__ import annotations

from typing import Any

import orjson

from stixflow.access.audit import Actor
from stixflow.connectors.model import Connector, ConnectorType, listen_queue
from stixflow.connectors.records import ConnectorRecords
from stixflow.errors import Conflict, InvalidInput
from stixflow.files.store import FileStore, StoredFile
from stixflow.pipeline.works import Work
from stixflow.runtime import Runtime


def file_store(runtime: Runtime) -> FileStore:
    return FileStore(runtime.db, max_bytes=runtime.settings.files.max_bytes)


def accepts(connector: Connector, mime_type: str) -> bool:
    """A scope entry is a MIME type (``application/json``) or a family (``text/*``); an empty
    scope takes everything."""
    if not connector.scope:
        return True
    family = mime_type.split("/", 1)[0] + "/*"
    return any(entry.lower() in (mime_type, family) for entry in connector.scope)


def import_connectors(runtime: Runtime, mime_type: str | None = None) -> list[Connector]:
    """Import connectors, those accepting ``mime_type`` when given."""
    found = ConnectorRecords(runtime.db, runtime.secrets).list()
    return [
        c
        for c in found
        if c.type == ConnectorType.INTERNAL_IMPORT_FILE
        and (mime_type is None or accepts(c, mime_type))
    ]


def request_import(
    runtime: Runtime, actor: Actor, stored: StoredFile, connector_id: str | None = None
) -> list[Work]:
    """Queue one job per chosen connector (or per connector accepting the file's type)."""
    if connector_id is not None:
        connector = ConnectorRecords(runtime.db, runtime.secrets).get(connector_id)
        if connector.type != ConnectorType.INTERNAL_IMPORT_FILE:
            raise Conflict(f"{connector_id} is not an import connector")
        if not accepts(connector, stored.mime_type):
            raise InvalidInput(f"{stored.mime_type} is not in the scope of {connector_id}")
        chosen = [connector]
    else:
        chosen = import_connectors(runtime, stored.mime_type)
        if not chosen:
            raise InvalidInput(f"no import connector takes {stored.mime_type}")
    return [_queue(runtime, actor, stored, connector) for connector in chosen]


def _queue(runtime: Runtime, actor: Actor, stored: StoredFile, connector: Connector) -> Work:
    work = runtime.works.open(
        name=f"Import of {stored.name}",
        source=connector.id,
        user_id=actor.user_id or connector.user_id,
        multipart=False,
    )
    with runtime.db.transaction() as tx:
        file_store(runtime).record_job(
            tx, work_id=work.id, file_id=stored.id, connector_id=connector.id
        )
    runtime.queue.publish(listen_queue(connector.id), import_job(work.id, actor, stored))
    return work


def import_job(work_id: str, actor: Actor, stored: StoredFile) -> bytes:
    event: dict[str, Any] = {
        "file_id": stored.id,
        "file_mime": stored.mime_type,
        "file_fetch": stored.fetch_path,
        "file_markings": list(stored.markings),
        "entity_id": stored.entity_id,
        "bypass_validation": True,
    }
    return orjson.dumps(
        {"internal": {"work_id": work_id, "applicant_id": actor.user_id}, "event": event}
    )
