"""Creates and edits from the GraphQL areas go the way every import goes: normalised (OpenCTI's
deterministic ids, so the same object twice is one object), validated, and merged into the store
with provenance (source ``connectors``, the caller as creator), which logs the stream events. A
caller writes with what it may read: an object whose stored version it cannot read whole is
refused (``AccessDenied``)."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from typing import Any

from stixflow.access.capabilities import Capability
from stixflow.clock import now
from stixflow.connectors.graphql import nodes
from stixflow.connectors.graphql.context import Context
from stixflow.errors import AccessDenied, InvalidInput, NotFound
from stixflow.stix.bundle import normalize
from stixflow.stix.validate import Validator
from stixflow.store.base import Provenance, StixObject

WRITERS = (Capability.KNOWLEDGE_UPDATE, Capability.CONNECTORAPI)
SOURCE = "connectors"
_VALIDATOR = Validator()


def write(
    context: Context, objects: list[StixObject], *, overwrite: bool = False
) -> list[StixObject]:
    """Write ``objects``; return them as stored (their final ids)."""
    normalized = normalize(copy.deepcopy(objects))
    for obj in normalized.objects:
        if not obj.get("object_marking_refs") and context.default_markings:
            obj["object_marking_refs"] = list(context.default_markings)
        reason = _VALIDATOR.check(obj)
        if reason is not None:
            raise InvalidInput(f"{obj.get('type')}: {reason}")
    provenance = Provenance(seen_at=now(), user_id=context.user_id, source=SOURCE)
    with context.runtime.db.transaction() as tx:
        written = context.runtime.store.upsert(
            tx,
            normalized.objects,
            provenance=provenance,
            aliases=normalized.aliases,
            overwrite=overwrite,
            writer=context.access,
        )
    if written.refused:
        raise AccessDenied(
            Capability.KNOWLEDGE_UPDATE,
            f"cannot update {written.refused[0]}: the stored object has markings you may not read",
        )
    stored = [context.runtime.store.get(o["id"], access=context.access) for o in normalized.objects]
    return [s.data for s in stored if s is not None]


def edit(context: Context, object_id: str, change: Callable[[StixObject], None]) -> StixObject:
    """Apply ``change`` to a copy of a readable object and write it as its new version."""
    stored = context.runtime.store.get(object_id, access=context.access)
    if stored is None:
        raise NotFound(f"no object {object_id}")
    obj = copy.deepcopy(stored.data)
    change(obj)
    if "modified" in obj:
        obj["modified"] = _after(str(obj["modified"]))
    return write(context, [obj], overwrite=True)[0]


def _after(previous: str) -> str:
    stamp = now()
    return stamp if stamp > previous else previous


def new_object(stix_type: str, fields: dict[str, Any]) -> StixObject:
    """A new STIX object of ``stix_type`` with ``fields`` (empty values dropped)."""
    obj: StixObject = {"type": stix_type, "spec_version": "2.1"}
    if not nodes.is_observable(obj):
        obj["created"] = obj["modified"] = now()
    obj.update({k: v for k, v in fields.items() if v not in (None, "", [], {})})
    obj.setdefault("id", f"{stix_type}--{uuid.uuid4()}")
    return obj
