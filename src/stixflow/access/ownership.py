"""Ingesters have owners: who may act on one, and whom it may name as the creator of its data.

Feeds (TAXII, RSS, CSV), TAXII Push ingesters and live-stream synchronisers belong to the user
who created them (``created_by``). A caller with ``INGESTION`` sees and acts on their own only;
another user's is "not found", so that its existence is not revealed. Holders of
``INGESTION_ADMIN`` or ``BYPASS`` act on every one, including those the local CLI created
(``created_by`` NULL). CSV mappers hold no secret and stay shared.

The user responsible for an ingester's data (``user``) is the caller, or a user whose
capabilities and markings are within the caller's own (``privilege.exceeds``): otherwise the
ingester would write as someone who may do more. Creating a source user (``[F] <source>``, in
the Connectors group) creates a user, which takes ``SETTINGS``.
"""

from __future__ import annotations

from dataclasses import dataclass

from stixflow.access import users
from stixflow.access.audit import Actor
from stixflow.access.capabilities import Capability
from stixflow.access.principal import principal_of
from stixflow.access.privilege import exceeds
from stixflow.db.base import Tx
from stixflow.errors import AccessDenied

NOBODY = ""  # the owner filter of an actor who owns nothing (no user id, not an administrator)


@dataclass(frozen=True)
class Ownership:
    """The ingesters ``actor`` may act on: their own, or every one when ``administer``."""

    actor: Actor
    administer: bool

    @classmethod
    def of(cls, actor: Actor, *, administer: bool = False) -> Ownership:
        """``administer``: the caller holds ``INGESTION_ADMIN`` (administrators always do)."""
        return cls(actor, administer or actor.is_admin)

    @property
    def owner_filter(self) -> str | None:
        """The owner to list the ingesters of; None: every ingester."""
        if self.administer:
            return None
        return self.actor.user_id or NOBODY

    def may_act_on(self, created_by: str | None) -> bool:
        if self.administer:
            return True
        return created_by is not None and created_by == self.actor.user_id


def data_creator(tx: Tx, actor: Actor, ref: str) -> str:
    """The id of user ``ref`` (id or email), if ``actor`` may name them the creator of data."""
    user_id = users.find_user(tx, ref).id
    check_data_creator(tx, actor, user_id)
    return user_id


def check_data_creator(tx: Tx, actor: Actor, user_id: str) -> None:
    """AccessDenied unless ``actor`` may name ``user_id`` as the creator of an ingester's data."""
    if actor.is_admin or user_id == actor.user_id:
        return
    other = principal_of(tx, user_id)
    holder = principal_of(tx, actor.user_id) if actor.user_id else None
    beyond = exceeds(holder, other) if holder else [Capability.BYPASS.value]
    if beyond:
        email = users.find_user(tx, user_id).email
        raise AccessDenied(
            beyond[0],
            f"you may not name {email} as the creator of the data: they may do or see what "
            f"you may not ({', '.join(beyond)})",
        )


def check_source_user(tx: Tx, actor: Actor) -> None:
    """AccessDenied unless ``actor`` may create a source user (``SETTINGS``)."""
    if actor.is_admin:
        return
    if actor.user_id is None or not principal_of(tx, actor.user_id).can(Capability.SETTINGS):
        raise AccessDenied(
            Capability.SETTINGS,
            "create_source_user creates a user in the Connectors group: it needs SETTINGS",
        )
