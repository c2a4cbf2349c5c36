"""The message a source puts on its queue: a chunk of a bundle plus who sent it, for what work."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from stixflow.errors import InvalidBundle

MESSAGE_VERSION = 1


@dataclass(frozen=True)
class ImportMessage:
    """``seq`` numbers the chunks of one work, so a redelivered chunk is applied only once.

    ``kind`` is ``bundle`` (an import) or ``sync`` (a batch of a live-stream synchroniser).
    ``overwrite``: the objects replace the stored versions instead of merging with them (perfect
    synchronisation). ``deletions``: ids deleted after the objects are written, each unless
    another source than this message's also contributed it.
    """

    work_id: str
    seq: int
    source: str
    objects: list[dict[str, Any]]
    user_id: str | None = None
    aliases: dict[str, str] = field(default_factory=dict)
    kind: str = "bundle"
    overwrite: bool = False
    deletions: list[str] = field(default_factory=list)

    def encode(self) -> bytes:
        return orjson.dumps(
            {
                "v": MESSAGE_VERSION,
                "kind": self.kind,
                "work_id": self.work_id,
                "seq": self.seq,
                "source": self.source,
                "user_id": self.user_id,
                "aliases": self.aliases,
                "objects": self.objects,
                "overwrite": self.overwrite,
                "deletions": self.deletions,
            }
        )

    @classmethod
    def decode(cls, body: bytes) -> ImportMessage:
        try:
            raw = orjson.loads(body)
            return cls(
                work_id=str(raw["work_id"]),
                seq=int(raw["seq"]),
                source=str(raw["source"]),
                objects=list(raw["objects"]),
                user_id=raw.get("user_id"),
                aliases=dict(raw.get("aliases") or {}),
                kind=str(raw.get("kind", "bundle")),
                overwrite=bool(raw.get("overwrite", False)),
                deletions=[str(item) for item in raw.get("deletions") or ()],
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise InvalidBundle(f"undecodable queue message: {exc}") from exc


def queue_name(source: str) -> str:
    """The push queue of a source (connector, feed, or the API's own ``import`` source)."""
    return f"push_{source}"
