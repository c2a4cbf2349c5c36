"""Privilege comparison: may one principal act for, or hand rights to, another?

The rule every delegation follows (docs/security.md, "Capability boundaries"): nobody hands out
more than they hold. A caller may name another user as the creator of a feed's data, mint that
user's tokens or set their password only when the user's capabilities and markings are within the
caller's own; a non-administrator may grant only capabilities and markings they hold.
"""

from __future__ import annotations

from collections.abc import Iterable

from stixflow.access.capabilities import Capability
from stixflow.access.markings import MARKING_PREFIX, TLP_ORDER, expand_allowed
from stixflow.access.principal import Principal
from stixflow.errors import AccessDenied
from stixflow.stix.markings import TLP_NAME_BY_ID


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


def require_within(
    holder: Principal,
    *,
    capabilities: Iterable[str] = (),
    markings: Iterable[str] = (),
    doing: str,
) -> None:
    """AccessDenied unless ``holder`` holds every capability and marking given."""
    beyond = capabilities_beyond(holder, capabilities) + markings_beyond(holder, markings)
    refuse_beyond(beyond, doing)


def require_covers(holder: Principal, other: Principal, *, doing: str) -> None:
    """AccessDenied unless ``other`` is within ``holder`` (see ``exceeds``)."""
    refuse_beyond(exceeds(holder, other), doing)


def refuse_beyond(beyond: list[str], doing: str) -> None:
    """AccessDenied naming the most telling right in ``beyond`` (nothing if it is empty)."""
    if beyond:
        name = most_telling(beyond)
        raise AccessDenied(name, f"{name} is beyond your own rights: you may not {doing}")


def most_telling(beyond: list[str]) -> str:
    """A capability if there is one, else the highest TLP level, else the first marking id."""
    capabilities = [item for item in beyond if not item.startswith(MARKING_PREFIX)]
    if capabilities:
        return capabilities[0]
    levels = [TLP_NAME_BY_ID[item] for item in beyond if item in TLP_NAME_BY_ID]
    if levels:
        return max(levels, key=TLP_ORDER.index)
    return beyond[0]
