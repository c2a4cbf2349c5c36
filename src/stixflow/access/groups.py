"""Groups: capabilities, allowed marking definitions, default markings, and their members."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from stixflow.clock import now
from stixflow.db.base import Tx
from stixflow.errors import Conflict, NotFound

ADMINISTRATORS = "Administrators"
CONNECTORS = "Connectors"
ADMINISTRATORS_ID = "00000000-0000-4000-8000-000000000001"
CONNECTORS_ID = "00000000-0000-4000-8000-000000000002"
BUILT_IN_GROUPS = frozenset({ADMINISTRATORS_ID, CONNECTORS_ID})
GROUP_COLUMNS = (
    "id, name, description, capabilities, allowed_markings, default_markings, created_at"
)


@dataclass(frozen=True)
class Group:
    id: str
    name: str
    description: str
    capabilities: tuple[str, ...]
    allowed_markings: tuple[str, ...]
    default_markings: tuple[str, ...]
    created_at: str


def _group(row: tuple) -> Group:
    return Group(
        id=row[0],
        name=row[1],
        description=row[2],
        capabilities=tuple(json.loads(row[3])),
        allowed_markings=tuple(json.loads(row[4])),
        default_markings=tuple(json.loads(row[5])),
        created_at=row[6],
    )


def _dump(values: Sequence[str]) -> str:
    return json.dumps(list(dict.fromkeys(values)))


def insert_group(tx: Tx, group: Group) -> Group:
    if tx.fetchone("SELECT 1 FROM groups WHERE name = ?", (group.name,)) is not None:
        raise Conflict(f"a group named {group.name} already exists")
    created = Group(**{**group.__dict__, "id": str(uuid.uuid4()), "created_at": now()})
    tx.execute(
        f"INSERT INTO groups ({GROUP_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
        _values(created),
    )
    return created


def _values(group: Group) -> tuple[str, ...]:
    return (
        group.id,
        group.name,
        group.description,
        _dump(group.capabilities),
        _dump(group.allowed_markings),
        _dump(group.default_markings),
        group.created_at,
    )


def save_group(tx: Tx, group: Group) -> Group:
    clash = tx.fetchone("SELECT id FROM groups WHERE name = ? AND id <> ?", (group.name, group.id))
    if clash is not None:
        raise Conflict(f"a group named {group.name} already exists")
    tx.execute(
        "UPDATE groups SET name = ?, description = ?, capabilities = ?, allowed_markings = ?, "
        "default_markings = ? WHERE id = ?",
        (*_values(group)[1:6], group.id),
    )
    return group


def find_group(tx: Tx, ref: str) -> Group:
    """A group by id or name."""
    row = tx.fetchone(f"SELECT {GROUP_COLUMNS} FROM groups WHERE id = ? OR name = ?", (ref, ref))
    if row is None:
        raise NotFound(f"no group {ref}")
    return _group(row)


def list_groups(tx: Tx) -> list[Group]:
    return [_group(row) for row in tx.fetchall(f"SELECT {GROUP_COLUMNS} FROM groups ORDER BY name")]


def groups_of(tx: Tx, user_id: str) -> list[Group]:
    found = tx.fetchall(
        f"SELECT {', '.join('g.' + c for c in GROUP_COLUMNS.split(', '))} FROM groups g "
        "JOIN group_members m ON m.group_id = g.id WHERE m.user_id = ? ORDER BY g.name",
        (user_id,),
    )
    return [_group(row) for row in found]


def members_of(tx: Tx, group_id: str) -> list[str]:
    """Emails of the members, sorted."""
    found = tx.fetchall(
        "SELECT u.email FROM users u JOIN group_members m ON m.user_id = u.id "
        "WHERE m.group_id = ? ORDER BY u.email",
        (group_id,),
    )
    return [row[0] for row in found]


def delete_group(tx: Tx, group: Group) -> None:
    if group.id in BUILT_IN_GROUPS:
        raise Conflict(f"the built-in group {group.name} cannot be deleted")
    tx.execute("DELETE FROM group_members WHERE group_id = ?", (group.id,))
    tx.execute("DELETE FROM groups WHERE id = ?", (group.id,))


def add_member(tx: Tx, group_id: str, user_id: str) -> None:
    tx.execute(
        "INSERT INTO group_members (group_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
        (group_id, user_id),
    )


def remove_member(tx: Tx, group_id: str, user_id: str) -> None:
    tx.execute("DELETE FROM group_members WHERE group_id = ? AND user_id = ?", (group_id, user_id))
