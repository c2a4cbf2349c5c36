"""Server-Sent Events wire format (WHATWG HTML §9.2) for live streams.

``id`` is the event log's sequence number (a plain increasing integer); messages that are not log
events (``connected``, dependencies, snapshot objects) carry no id, so a client's
``Last-Event-ID`` only ever names a log position.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

CONNECTED, HEARTBEAT = "connected", "heartbeat"
CREATE, UPDATE, MERGE, DELETE = "create", "update", "merge", "delete"


@dataclass(frozen=True)
class Message:
    event: str
    data: Any
    id: int | None = None


def encode(message: Message) -> bytes:
    head = f"id: {message.id}\n" if message.id is not None else ""
    return (
        f"{head}event: {message.event}\n".encode()
        + b"data: "
        + orjson.dumps(message.data)
        + b"\n\n"
    )


def parse_position(value: str) -> int | None:
    """A position given as ``123``, ``0``, ``0-0`` or ``<ms>-<seq>``; None if not one."""
    text = value.strip()
    if text.isdigit():
        return int(text)
    head, _, tail = text.partition("-")
    if head.isdigit() and tail.isdigit():
        return int(tail)
    return None
