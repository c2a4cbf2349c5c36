"""Exporting: page through everything a query matches and stream it as one STIX 2.1 bundle (§8)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import replace

import orjson

from stixflow.store.base import Access, KnowledgeStore, ObjectQuery, StixObject


def iter_objects(store: KnowledgeStore, query: ObjectQuery, access: Access) -> Iterator[StixObject]:
    """Every object ``query`` matches that ``access`` may see, page by page (cursor order)."""
    while True:
        page = store.query(query, access=access)
        yield from page.objects
        if page.next_cursor is None:
            return
        query = replace(query, cursor=page.next_cursor)


def bundle_chunks(objects: Iterable[StixObject]) -> Iterator[bytes]:
    """A bundle as byte chunks, never held whole in memory."""
    yield b'{"type":"bundle","id":"bundle--' + str(uuid.uuid4()).encode() + b'","objects":['
    separator = b""
    for obj in objects:
        yield separator + orjson.dumps(obj)
        separator = b","
    yield b"]}\n"
