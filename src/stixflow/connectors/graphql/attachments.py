"""The files attached to an entity, as OpenCTI lists them (``importFiles``)."""

from __future__ import annotations

from typing import Any

from stixflow.connectors.graphql.context import Context
from stixflow.files.imports import file_store
from stixflow.files.store import StoredFile


def file_node(stored: StoredFile) -> dict[str, Any]:
    return {
        "id": stored.id,
        "name": stored.name,
        "size": stored.size,
        "lastModified": stored.created_at,
        "metaData": {"mimetype": stored.mime_type, "version": None, "messages": []},
        "uploadStatus": "complete",
    }


def import_files(context: Context, entity_id: str) -> dict[str, Any]:
    found = file_store(context.runtime).of_entity(entity_id)
    visible = [f for f in found if f.visible_to(context.access)]
    return {"edges": [{"node": file_node(f)} for f in visible]}
