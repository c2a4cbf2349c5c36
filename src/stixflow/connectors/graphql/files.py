"""Files connectors attach to entities: ``artifactImport`` (an artifact observable from an
uploaded sample), ``<entity>Edit { importPush }`` (a file on an object or an external
reference), the export pushes (``stixDomainObjectsExportPush``…, ``<entity>Edit { exportPush
}``), and the ``importFiles`` of a node. Files live in the file store with the entity's id;
``/storage/get/<id>`` serves them (pycti's ``fetch_opencti_file``) to whoever may read the
entity."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from ariadne import MutationType
from graphql import GraphQLResolveInfo

from stixflow.access import markings
from stixflow.connectors.graphql import inputs, nodes, writes
from stixflow.connectors.graphql.attachments import file_node
from stixflow.connectors.graphql.context import Context, context_of
from stixflow.connectors.graphql.uploads import Upload
from stixflow.errors import InvalidInput, NotFound
from stixflow.files.imports import file_store
from stixflow.files.store import StoredFile

mutation = MutationType()
EXPORT_ARGS = (
    "entity_id: String, entity_type: String!, file: Upload!, file_markings: [String]!, "
    "listFilters: String"
)
EXPORT_ROOTS = (
    "stixDomainObjectsExportPush",
    "stixCyberObservablesExportPush",
    "stixCoreObjectsExportPush",
)
SDL = "\n".join(
    [
        "extend type Mutation {",
        "  artifactImport(file: Upload!, x_opencti_description: String, createdBy: String,",
        "    objectMarking: [String], objectLabel: [String]): StixNode",
        *(f"  {root}({EXPORT_ARGS}): Boolean" for root in EXPORT_ROOTS),
        "}",
    ]
)


def _upload(value: Any) -> Upload:
    if not isinstance(value, Upload):
        raise InvalidInput("the file must be sent as a multipart upload")
    return value


def attach(
    context: Context, entity_id: str, file: Any, file_markings: list[str] | None
) -> StoredFile:
    """Store ``file`` on ``entity_id`` (which the caller must be able to read)."""
    upload = _upload(file)
    with context.runtime.db.read() as tx:
        marking_ids = [markings.resolve_marking(tx, str(m)) for m in file_markings or []]
    return file_store(context.runtime).put(
        upload.name,
        upload.content,
        mime_type=upload.mime_type or "application/octet-stream",
        markings=marking_ids,
        entity_id=entity_id,
        uploaded_by=context.user_id,
    )


def import_push(
    edit: dict[str, str],
    info: GraphQLResolveInfo,
    file: Any,
    fileMarkings: list[str] | None = None,
    **_: Any,
) -> dict[str, Any]:
    """``<entity>Edit { importPush }``: a file on an object the caller may read."""
    context = context_of(info, *writes.WRITERS)
    if not edit["id"].startswith("external-reference--") and (
        context.runtime.store.get(edit["id"], access=context.access) is None
    ):
        raise NotFound(f"no object {edit['id']}")
    return file_node(attach(context, edit["id"], file, fileMarkings))


def export_push(
    edit: dict[str, str], info: GraphQLResolveInfo, file: Any, file_markings: list[str]
) -> bool:
    """``<entity>Edit { exportPush }``: an export file of one object."""
    context = context_of(info, *writes.WRITERS)
    if context.runtime.store.get(edit["id"], access=context.access) is None:
        raise NotFound(f"no object {edit['id']}")
    attach(context, edit["id"], file, file_markings)
    return True


def analysis_push(
    edit: dict[str, str], info: GraphQLResolveInfo, file: Any, **_: Any
) -> dict[str, Any]:
    """``stixCoreObjectEdit { analysisPush }``: an analysis file (import-document's results)
    attached to the object it analysed."""
    return import_push(edit, info, file)


def _export_list(
    _: None,
    info: GraphQLResolveInfo,
    entity_type: str,
    file: Any,
    file_markings: list[str],
    entity_id: str | None = None,
    **__: Any,
) -> bool:
    """A list export: kept under the entity it was made from, else under its type."""
    context = context_of(info, *writes.WRITERS)
    attach(context, entity_id or f"export/{entity_type}", file, file_markings)
    return True


for _root in EXPORT_ROOTS:
    mutation.set_field(_root, _export_list)

HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-512": "sha512"}


@mutation.field("artifactImport")
def resolve_artifact_import(
    _: None, info: GraphQLResolveInfo, file: Any, **args: Any
) -> dict[str, Any]:
    """An artifact observable for an uploaded sample (its content as ``payload_bin``, its
    hashes), with the file attached for ``fetch_opencti_file``."""
    context = context_of(info, *writes.WRITERS)
    upload = _upload(file)
    fields: dict[str, Any] = {
        "mime_type": upload.mime_type or "application/octet-stream",
        "payload_bin": base64.b64encode(upload.content).decode(),
        "hashes": {k: hashlib.new(v, upload.content).hexdigest() for k, v in HASHES.items()},
        "x_opencti_additional_names": [upload.name],
        "x_opencti_description": args.get("x_opencti_description"),
        **{k: args.get(k) for k in ("createdBy", "objectMarking", "objectLabel")},
    }
    stored = writes.write(context, [inputs.stix_of(context, "artifact", fields)])[0]
    if not file_store(context.runtime).of_entity(stored["id"]):
        attach(context, stored["id"], upload, None)
    return nodes.node(context, stored)


BINDABLES = (mutation,)
