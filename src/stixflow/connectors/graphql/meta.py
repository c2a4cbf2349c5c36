"""OpenCTI's meta entities that STIX keeps inline: labels (strings in ``labels``) and external
references (dicts in ``external_references``). OpenCTI gives them ids that connectors keep and
pass back; ours are derived from their content (the same label is the same id everywhere) and
remembered (table ``octi_labels`` / ``octi_external_references``) so an id can be resolved."""

from __future__ import annotations

import uuid
from typing import Any

from stixflow.clock import now
from stixflow.connectors.graphql.context import Context
from stixflow.db.base import Tx
from stixflow.errors import NotFound
from stixflow.stix.ids import NAMESPACE
from stixflow.store.base import StixObject

DEFAULT_COLOR = "#ffffff"
REFERENCE_KEYS = ("source_name", "url", "external_id", "description")


def label_id(value: str) -> str:
    return f"label--{uuid.uuid5(NAMESPACE, 'label:' + value.strip().lower())}"


def label_node(row: tuple[str, str, str]) -> dict[str, Any]:
    label_id_, value, color = row
    return {
        "id": label_id_,
        "standard_id": label_id_,
        "entity_type": "Label",
        "value": value,
        "color": color,
    }


def labels_of(context: Context, obj: StixObject) -> list[tuple[str, str, str]]:
    values = [str(v) for v in obj.get("labels") or []]
    colors = {row[1]: row for row in _label_rows(context, values)}
    return [colors.get(v, (label_id(v), v, DEFAULT_COLOR)) for v in values]


def _label_rows(context: Context, values: list[str]) -> list[tuple[str, str, str]]:
    if not values:
        return []
    db = context.runtime.db
    with db.read() as tx:
        rows = tx.fetchall(
            "SELECT id, value, color FROM octi_labels WHERE value IN " + db.in_clause(len(values)),
            values,
        )
    return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]


def find_labels(context: Context, values: list[str] | None) -> list[tuple[str, str, str]]:
    """Labels by value (every one when ``values`` is None)."""
    if values is None:
        with context.runtime.db.read() as tx:
            rows = tx.fetchall("SELECT id, value, color FROM octi_labels ORDER BY value")
        return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]
    return _label_rows(context, values)


def create_label(tx: Tx, value: str, color: str | None) -> tuple[str, str, str]:
    value = value.strip()
    row = tx.fetchone("SELECT id, value, color FROM octi_labels WHERE value = ?", (value,))
    if row is not None:
        return (str(row[0]), str(row[1]), str(row[2]))
    new = (label_id(value), value, color or DEFAULT_COLOR)
    tx.execute(
        "INSERT INTO octi_labels (id, value, color, created_at) VALUES (?, ?, ?, ?)",
        (*new, now()),
    )
    return new


def label_value(context: Context, ref: str) -> str:
    """A label's value from its id (or the value itself, as pycti sometimes passes)."""
    with context.runtime.db.read() as tx:
        row = tx.fetchone("SELECT value FROM octi_labels WHERE id = ?", (ref,))
    if row is not None:
        return str(row[0])
    if ref.startswith("label--"):
        raise NotFound(f"no label {ref}")
    return ref


def reference_id(ref: dict[str, Any]) -> str:
    key = "|".join(str(ref.get(k) or "") for k in ("source_name", "url", "external_id"))
    return f"external-reference--{uuid.uuid5(NAMESPACE, 'external-reference:' + key)}"


def reference_node(ref: dict[str, Any]) -> dict[str, Any]:
    ref_id = reference_id(ref)
    return {
        "id": ref_id,
        "standard_id": ref_id,
        "entity_type": "External-Reference",
        **{k: ref.get(k) for k in REFERENCE_KEYS},
        "hash": None,
        "importFiles": {"edges": []},
    }


def create_reference(tx: Tx, ref: dict[str, Any]) -> dict[str, Any]:
    clean = {k: ref.get(k) for k in REFERENCE_KEYS if ref.get(k)}
    if not clean.get("source_name"):
        raise NotFound("an external reference needs a source_name")
    ref_id = reference_id(clean)
    if tx.fetchone("SELECT 1 FROM octi_external_references WHERE id = ?", (ref_id,)) is None:
        tx.execute(
            "INSERT INTO octi_external_references "
            "(id, source_name, url, external_id, description, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (ref_id, *(clean.get(k) for k in REFERENCE_KEYS), now()),
        )
    return reference_node(clean)


def find_references(context: Context, ids: list[str] | None = None) -> list[dict[str, Any]]:
    sql = "SELECT source_name, url, external_id, description FROM octi_external_references"
    db = context.runtime.db
    with db.read() as tx:
        if ids:
            rows = tx.fetchall(sql + " WHERE id IN " + db.in_clause(len(ids)), ids)
        else:
            rows = tx.fetchall(sql + " ORDER BY created_at")
    return [reference_node(dict(zip(REFERENCE_KEYS, row, strict=True))) for row in rows]


def reference(context: Context, ref_id: str) -> dict[str, Any]:
    """The STIX external reference of an id (for adding it to an object)."""
    found = find_references(context, [ref_id])
    if not found:
        raise NotFound(f"no external reference {ref_id}")
    return {k: found[0][k] for k in REFERENCE_KEYS if found[0].get(k)}


def delete_reference(tx: Tx, ref_id: str) -> None:
    tx.execute("DELETE FROM octi_external_references WHERE id = ?", (ref_id,))
