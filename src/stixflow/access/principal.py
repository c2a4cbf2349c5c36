"""What a user may do and see, derived from their groups.

* capabilities: the union of their groups' capabilities (``BYPASS`` implies every other one);
* allowed markings: ``None`` (everything) for ``BYPASS``, otherwise the union of their groups'
  allowed markings with lower TLP levels added (``markings.expand_allowed``); an object with no
  marking is visible to everyone;
* default markings: the union of their groups' default markings, applied to what they submit
  without markings of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from stixflow.access.capabilities import Capability, grants
from stixflow.access.groups import Group, groups_of
from stixflow.access.markings import expand_allowed
from stixflow.db.base import Tx
from stixflow.store.base import Access


@dataclass(frozen=True)
class Principal:
    user_id: str
    groups: tuple[str, ...]
    capabilities: frozenset[str]
    allowed_markings: frozenset[str] | None
    default_markings: tuple[str, ...]

    @property
    def access(self) -> Access:
        return Access(self.allowed_markings)

    @property
    def is_admin(self) -> bool:
        return Capability.BYPASS in self.capabilities

    def can(self, capability: str) -> bool:
        return grants(self.capabilities, capability)


def principal_from(user_id: str, groups: list[Group]) -> Principal:
    capabilities = frozenset(c for group in groups for c in group.capabilities)
    allowed = None
    if Capability.BYPASS not in capabilities:
        allowed = expand_allowed(m for group in groups for m in group.allowed_markings)
    defaults = tuple(dict.fromkeys(m for group in groups for m in group.default_markings))
    return Principal(
        user_id=user_id,
        groups=tuple(group.name for group in groups),
        capabilities=capabilities,
        allowed_markings=allowed,
        default_markings=defaults,
    )


def principal_of(tx: Tx, user_id: str) -> Principal:
    return principal_from(user_id, groups_of(tx, user_id))


def writer_access(tx: Tx, user_id: str | None) -> Access | None:
    """What a writer may read, so may change; None (everything) for the platform itself (a
    message without a user: a feed or sync configured without one, internal writes)."""
    return None if user_id is None else principal_of(tx, user_id).access
