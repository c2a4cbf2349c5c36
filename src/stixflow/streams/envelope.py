"""The two shapes of a live-stream message's ``data`` (docs/sharing.md, "Live streams out").

* ``stixflow``: ``{"type", "seq", "created_at", "source", "data": <STIX>, "patch"?, "origin"?}``,
  what our own synchronisers read (they ask for it with ``format=stixflow``).
* ``opencti`` (the default): OpenCTI's event envelope, as pycti's ``listen_stream`` and
  OpenCTI's own consumers read it: ``{"version": "4", "type", "scope", "message", "origin",
  "data": <STIX with OpenCTI's extension>, "context": {"patch"}}``; our keys (``seq``,
  ``created_at``, ``source``, ``patch``) are kept beside them, so a reader of either shape finds
  what it needs. Its heartbeats carry an ISO date as data, as OpenCTI's do.

Event ids are the same in both: the event log's sequence numbers.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from stixflow.errors import InvalidInput
from stixflow.stix import octi
from stixflow.streams.sse import DELETE, UPDATE

EVENT_VERSION = "4"
VERBS = {"create": "creates", "update": "updates", "delete": "deletes", "merge": "merges"}


class Flavour(StrEnum):
    OPENCTI = "opencti"
    STIXFLOW = "stixflow"

    @classmethod
    def named(cls, text: str | None) -> Flavour:
        """The flavour a request names (OpenCTI's when none)."""
        try:
            return cls((text or cls.OPENCTI).strip().lower())
        except ValueError as exc:
            raise InvalidInput(f"format must be opencti or stixflow, got {text!r}") from exc


def opencti_body(body: dict[str, Any], *, created_at: str | None) -> dict[str, Any]:
    """OpenCTI's envelope around one of our message bodies (see the module docstring)."""
    kind = str(body["type"])
    obj: dict[str, Any] = body["data"]
    updated_at = body.get("created_at") or created_at
    data = octi.with_extension(obj, created_at=created_at or updated_at, updated_at=updated_at)
    origin = body.get("origin") or {"referer": "stixflow", "source": body.get("source")}
    out: dict[str, Any] = {
        **body,
        "version": EVENT_VERSION,
        "scope": "external",
        "message": describe(kind, obj),
        "origin": origin,
        "data": data,
    }
    if kind == UPDATE:
        out["context"] = {"patch": body["patch"]} if "patch" in body else {}
    elif kind == DELETE:
        out["context"] = {"deletions": [data]}
    return out


def describe(kind: str, obj: dict[str, Any]) -> str:
    """OpenCTI's one-line message: ``creates a Malware `Emotet```."""
    label = obj.get("name") or obj.get("value") or obj.get("pattern") or obj.get("id")
    return f"{VERBS.get(kind, kind)} a {octi.entity_type(obj)} `{label}`"
