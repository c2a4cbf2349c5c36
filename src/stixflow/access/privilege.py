"""Privilege comparison: may one principal act for, or hand rights to, another?

The rule every delegation follows (docs/security.md, "Capability boundaries"): nobody hands out
more than they hold. A caller may name another user as the creator of a feed's data, mint that
user's tokens or set their password only when the user's capabilities and markings are within the
caller's own; a non-administrator may grant only capabilities and markings they hold.
"""

from __future__ import annotations

from collections.abc import Iterable

from stixflow.access.capabilities import Capability
from stixflow.access.markings import expand_allowed
from stixflow.access.principal import Principal


def capabilities_beyond(holder: Principal, wanted: Iterable[str]) -> list[str]:
    """The capabilities in ``wanted`` that ``holder`` does not hold (sorted, no duplicates)."""
    if holder.is_admin:
        return []
    return sorted({c for c in wanted if c not in holder.capabilities})


def markings_beyond(holder: Principal, wanted: Iterable[str]) -> list[str]:
    """The marking ids in ``wanted`` (lower TLP levels included) that ``holder`` may not see."""
    if holder.allowed_markings is None:
        return []
    return sorted(expand_allowed(wanted) - holder.allowed_markings)


def exceeds(holder: Principal, other: Principal) -> list[str]:
    """What ``other`` may do or see that ``holder`` may not: capability names and marking ids.

    Empty when ``other`` is within ``holder``. An administrator (``BYPASS``) is within nobody
    but another administrator.
    """
    if holder.is_admin:
        return []
    if other.is_admin:
        return [Capability.BYPASS.value]
    beyond = capabilities_beyond(holder, other.capabilities)
    if other.allowed_markings is None:  # defensive: only BYPASS sees everything
        return [*beyond, "every marking"]
    return beyond + markings_beyond(holder, other.allowed_markings)
