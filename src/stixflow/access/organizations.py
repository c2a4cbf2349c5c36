"""Organizations: STIX identities of class ``organization`` (STIX 2.1 §4.5).

Each one is a row here (name, for lookups) and an ordinary identity object in the knowledge
store with the id OpenCTI would give it (``stix.ids.standard_id``), so that a feed's own author
object and ours are one object. A user may belong to one; a feed uses one as default author.
"""

from __future__ import annotations

from dataclasses import dataclass

from stixflow.clock import now
from stixflow.db.base import Tx
from stixflow.errors import Conflict, NotFound
from stixflow.stix.ids import standard_id
from stixflow.store.base import KnowledgeStore, Provenance, StixObject

SOURCE = "stixflow"


@dataclass(frozen=True)
class Organization:
    id: str
    name: str
    created_at: str


def identity_of(name: str, *, created: str) -> StixObject:
    identity: StixObject = {
        "type": "identity",
        "spec_version": "2.1",
        "name": name,
        "identity_class": "organization",
        "created": created,
        "modified": created,
    }
    identity_id = standard_id(identity)
    if identity_id is None:
        raise ValueError(f"no identity id for {name!r}")
    return {"id": identity_id, **identity}


def find_organization(tx: Tx, ref: str) -> Organization:
    """An organization by identity id or name (case-insensitive)."""
    row = tx.fetchone(
        "SELECT id, name, created_at FROM organizations WHERE id = ? OR lower(name) = ?",
        (ref, ref.strip().lower()),
    )
    if row is None:
        raise NotFound(f"no organization {ref}")
    return Organization(*row)


def list_organizations(tx: Tx) -> list[Organization]:
    found = tx.fetchall("SELECT id, name, created_at FROM organizations ORDER BY name")
    return [Organization(*row) for row in found]


def insert_organization(
    tx: Tx, store: KnowledgeStore, name: str, *, user_id: str | None
) -> Organization:
    """Create the organization and write its identity object to the knowledge store."""
    stamp = now()
    identity = identity_of(name, created=stamp)
    taken = tx.fetchone(
        "SELECT name FROM organizations WHERE id = ? OR lower(name) = ?",
        (identity["id"], name.lower()),
    )
    if taken is not None:
        raise Conflict(f"an organization named {taken[0]} already exists")
    store.upsert(
        tx, [identity], provenance=Provenance(seen_at=stamp, user_id=user_id, source=SOURCE)
    )
    tx.execute(
        "INSERT INTO organizations (id, name, created_at) VALUES (?, ?, ?)",
        (identity["id"], name, stamp),
    )
    return Organization(identity["id"], name, stamp)


def delete_organization(tx: Tx, organization: Organization) -> None:
    """Forget the organization; its identity object stays (objects may name it as author)."""
    tx.execute(
        "UPDATE users SET organization_id = NULL WHERE organization_id = ?", (organization.id,)
    )
    tx.execute("DELETE FROM organizations WHERE id = ?", (organization.id,))
