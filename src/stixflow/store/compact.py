"""How a STIX object's JSON is kept in the database: ``objects.data`` and event-log payloads.

Both hold one packed body: the object's JSON as a zlib stream (RFC 1950) deflated with the preset
dictionary of ``zdict`` (its Adler-32 checksum, the DICTID, is in the stream's header). A row's
body leaves out what the row's columns hold (``rows.stored_body``); an event payload is the whole
object, packed when its row changes or goes (``events.keep_history``).

``unpack`` reads every form these columns (and event patches, packed alike) ever held, so that a
database written by an earlier version reads unchanged, whether or not its rows were rewritten:

- JSON text (``objects.data`` and event patches before migration 0017; on PostgreSQL these
  columns became ``bytea`` and the text its UTF-8 bytes): anything starting with ``{`` or ``[``;
- zlib streams without a dictionary (event payloads before 0017: level 0, stored blocks, under
  2 KiB, level 1 above);
- zlib streams with a preset dictionary, found by the DICTID in their header.
"""

from __future__ import annotations

import functools
import zlib
from typing import Any

import orjson

from stixflow.errors import BackendError
from stixflow.store.zdict import VERSION_1

LEVEL = 6  # with the dictionary, level 1 packs ~9% larger, at ~80% of level 6's time
DICTIONARIES = {zlib.adler32(VERSION_1): VERSION_1}
WRITTEN = VERSION_1
_FDICT = 0x20
_WRITTEN_ID = zlib.adler32(WRITTEN).to_bytes(4, "big")


def pack(body: bytes) -> bytes:
    """``body`` (JSON bytes) deflated with the preset dictionary."""
    packer = _primed().copy()  # cheaper than setting the dictionary on a new compressor
    return packer.compress(body) + packer.flush()


def unpack(stored: str | bytes | memoryview) -> bytes:
    """The JSON bytes of a stored body, in any of the forms described above (``BackendError``:
    none of them)."""
    if isinstance(stored, str):
        return stored.encode()
    data = bytes(stored)
    if data[:1] in (b"{", b"["):
        return data
    try:
        if len(data) > 6 and data[1] & _FDICT:
            dictionary = DICTIONARIES.get(int.from_bytes(data[2:6], "big"))
            if dictionary is None:
                raise BackendError("a stored body names a preset dictionary this version lacks")
            return zlib.decompressobj(zdict=dictionary).decompress(data)
        return zlib.decompress(data)
    except zlib.error as exc:
        raise BackendError(f"a stored body does not decompress: {exc}") from exc


def packed(stored: str | bytes | memoryview) -> bool:
    """True when ``stored`` is in the form written now (deflated with ``WRITTEN``)."""
    if isinstance(stored, str):
        return False
    head = bytes(stored[:6])
    return len(head) == 6 and bool(head[1] & _FDICT) and head[2:] == _WRITTEN_ID


def repack(stored: str | bytes | memoryview) -> bytes:
    """A stored body in the form written now (already in it: as it is)."""
    return bytes(stored) if packed(stored) else pack(unpack(stored))


def load(stored: str | bytes | memoryview) -> dict[str, Any]:
    """The object a stored body holds."""
    value: dict[str, Any] = orjson.loads(unpack(stored))
    return value


@functools.cache
def _primed() -> Any:
    """A compressor that has been given the dictionary and nothing else (copied per body)."""
    return zlib.compressobj(LEVEL, zdict=WRITTEN)


def dump(obj: dict[str, Any]) -> bytes:
    """``obj`` packed for storage."""
    return pack(orjson.dumps(obj))
