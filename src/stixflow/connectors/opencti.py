"""OpenCTI's queue message formats (spec §9.5, §10.2), as pycti writes and reads them.

Push (connector → worker), one per split bundle::

    {"bundle_type": "QUEUE_BUNDLE", "applicant_id": ..., "action_sequence": n,
     "entities_types": [...], "content": "<base64 STIX bundle>", "update": false,
     "draft_id": null, "no_split": false, "work_id": "..."}

Listen (platform → enrichment connector)::

    {"internal": {"work_id": ..., "applicant_id": ...},
     "event": {"entity_id": ..., "entity_type": ..., "stix_entity": "<json>"}}

No ``stix_objects``: pycti then builds them itself from the entity it reads back over GraphQL,
with its ``stix_entity`` one of them, so that what a connector changes on the entity is in the
bundle it sends (given both, pycti decodes them apart and the change is lost: hygiene's label
and score never arrived).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

import orjson

from stixflow.connectors.entity_types import entity_type
from stixflow.errors import InvalidBundle
from stixflow.stix.bundle import parse_bundle


@dataclass(frozen=True)
class PushMessage:
    work_id: str | None
    applicant_id: str | None
    objects: list[dict[str, Any]]


def is_push_message(body: bytes) -> bool:
    """Cheap test before a full decode: pycti's envelope (its first key), not our own."""
    return body.lstrip()[:14] == b'{"bundle_type"'


def decode_push(body: bytes) -> PushMessage:
    try:
        raw = orjson.loads(body)
        content = base64.b64decode(raw["content"], validate=False)
    except (orjson.JSONDecodeError, KeyError, TypeError, binascii.Error) as exc:
        raise InvalidBundle(f"undecodable OpenCTI push message: {exc}") from exc
    if not isinstance(raw, dict):
        raise InvalidBundle("OpenCTI push message is not a JSON object")
    return PushMessage(
        work_id=_text(raw.get("work_id")),
        applicant_id=_text(raw.get("applicant_id")),
        objects=parse_bundle(content),
    )


def encode_push(bundle: dict[str, Any], *, work_id: str | None, applicant_id: str | None) -> bytes:
    """The envelope pycti publishes (used by tests and the benchmark to speak like pycti)."""
    content = base64.b64encode(orjson.dumps(bundle)).decode()
    return orjson.dumps(
        {
            "bundle_type": "QUEUE_BUNDLE",
            "applicant_id": applicant_id,
            "action_sequence": 1,
            "entities_types": [],
            "content": content,
            "update": False,
            "draft_id": None,
            "no_split": False,
            "work_id": work_id,
        }
    )


def listen_job(
    *,
    work_id: str,
    applicant_id: str | None,
    entity: dict[str, Any],
) -> bytes:
    """An enrichment job as pycti's listen thread expects it."""
    return orjson.dumps(
        {
            "internal": {"work_id": work_id, "applicant_id": applicant_id},
            "event": {
                "entity_id": entity["id"],
                "entity_type": entity_type(entity),
                "stix_entity": orjson.dumps(entity).decode(),
            },
        }
    )


def _text(value: object) -> str | None:
    return str(value) if value not in (None, "") else None
