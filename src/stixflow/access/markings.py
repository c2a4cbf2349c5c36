"""Marking definitions as access rules (STIX 2.1 §7.2): what a group's allowed markings let its
members see, the built-in definitions every platform has, and statement markings.

A group allowed a TLP level also sees the lower levels of the TLP scheme, under either TLP
version's ids (TLP 1.0 GREEN and TLP 2.0 GREEN are one level): CLEAR < GREEN < AMBER <
AMBER+STRICT < RED. Other markings are allowed one by one.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass

from stixflow.clock import now
from stixflow.db.base import Database, Tx
from stixflow.errors import InvalidInput, NotFound
from stixflow.stix.markings import (
    BUILT_IN_MARKINGS,
    TLP2_EXTENSION_ID,
    TLP_BY_NAME,
    TLP_NAME_BY_ID,
    statement_marking,
)
from stixflow.store.base import Access, KnowledgeStore, ObjectQuery, Provenance, StixObject

TLP_ORDER = ("TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED")
BUILT_IN_IDS = frozenset(marking["id"] for marking in BUILT_IN_MARKINGS)
MARKING_PREFIX = "marking-definition--"
MAX_MARKINGS = 1000


@dataclass(frozen=True)
class Marking:
    id: str
    name: str
    definition_type: str
    definition: str
    built_in: bool


def expand_allowed(marking_ids: Iterable[str]) -> frozenset[str]:
    """The allowed set with every lower TLP level added (both TLP versions' ids)."""
    allowed = set(marking_ids)
    levels = [TLP_ORDER.index(TLP_NAME_BY_ID[m]) for m in allowed if m in TLP_NAME_BY_ID]
    if levels:
        top = max(levels)
        allowed.update(
            marking_id
            for marking_id, name in TLP_NAME_BY_ID.items()
            if TLP_ORDER.index(name) <= top
        )
    return frozenset(allowed)


def resolve_marking(tx: Tx, ref: str) -> str:
    """A marking id from a TLP name (``TLP:GREEN``) or an id of a marking in the store."""
    if ref.upper() in TLP_BY_NAME:
        marking_id: str = TLP_BY_NAME[ref.upper()]["id"]
        return marking_id
    if ref.startswith(MARKING_PREFIX):
        if ref in BUILT_IN_IDS or tx.fetchone(
            "SELECT 1 FROM objects WHERE id = ? AND type = 'marking-definition'", (ref,)
        ):
            return ref
        raise NotFound(f"no marking definition {ref}")
    raise InvalidInput(f"{ref!r} is neither a TLP name nor a marking-definition id")


def ensure_builtin_markings(db: Database, store: KnowledgeStore) -> None:
    """Write the built-in TLP definitions to the store once, as ordinary STIX objects."""
    ids = sorted(BUILT_IN_IDS)
    with db.transaction() as tx:
        present = tx.scalar(
            "SELECT COUNT(*) FROM objects WHERE id IN " + db.in_clause(len(ids)), ids
        )
        if int(present) < len(ids):
            store.upsert(
                tx,
                copy.deepcopy(BUILT_IN_MARKINGS),
                provenance=Provenance(seen_at=now(), source="stixflow"),
            )


def add_statement(tx: Tx, store: KnowledgeStore, statement: str, *, user_id: str | None) -> Marking:
    try:
        marking = statement_marking(statement)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    store.upsert(
        tx, [marking], provenance=Provenance(seen_at=now(), user_id=user_id, source="stixflow")
    )
    return marking_of(marking)


def list_markings(store: KnowledgeStore, access: Access) -> list[Marking]:
    page = store.query(
        ObjectQuery(types=("marking-definition",), limit=MAX_MARKINGS), access=access
    )
    return sorted((marking_of(obj) for obj in page.objects), key=lambda m: (not m.built_in, m.name))


def marking_of(obj: StixObject) -> Marking:
    definition = obj.get("definition") or {}
    tlp2 = (obj.get("extensions") or {}).get(TLP2_EXTENSION_ID)
    if tlp2:
        kind, value = "tlp", str(tlp2.get("tlp_2_0", ""))
    else:
        kind = str(obj.get("definition_type", ""))
        value = str(definition.get(kind, "")) if isinstance(definition, dict) else str(definition)
    name = obj.get("name") or (f"TLP:{value.upper()}" if kind == "tlp" else value)
    return Marking(obj["id"], str(name), kind, value, obj["id"] in BUILT_IN_IDS)
