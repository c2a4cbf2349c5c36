"""AccessService: every identity-and-access operation, audited, for the API and the CLI.

Built per caller (``actor``: who acts, from where, whether an administrator). Every change is
written with its audit entry in one transaction; passwords are hashed before it (argon2 must not
run while SQLite's write lock is held).

Nobody hands out more than they hold (``privilege``; docs/security.md, "Capability
boundaries"): a group created, changed or deleted, and a group a user is put in or taken out of,
must be within the caller's own capabilities and markings; a user whose password, name, groups,
tokens or existence is changed must be within the caller. ``BYPASS`` is within nobody but an
administrator, so ``SETTINGS`` alone cannot escalate to it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from stixflow.access import audit, groups, markings, organizations, tokens, users
from stixflow.access.audit import Actor
from stixflow.access.capabilities import Capability
from stixflow.access.passwords import hash_password
from stixflow.access.principal import Principal, principal_of
from stixflow.access.privilege import require_covers, require_within
from stixflow.access.schemas import (
    AuditEntryOut,
    GroupCreate,
    GroupOut,
    GroupUpdate,
    MarkingCreate,
    MarkingOut,
    MeOut,
    OrganizationCreate,
    OrganizationOut,
    SourceAccountOut,
    SourceCreate,
    TokenCreate,
    TokenCreated,
    TokenOut,
    UserCreate,
    UserOut,
    UserUpdate,
)
from stixflow.db.base import Database, Tx
from stixflow.errors import Conflict, InvalidInput, NotFound
from stixflow.store.base import Access, KnowledgeStore

T = TypeVar("T")
SOURCE_DOMAIN = "sources.stixflow.local"


class AccessService:
    def __init__(
        self, db: Database, store: KnowledgeStore, *, actor: Actor, access: Access | None = None
    ) -> None:
        self.db = db
        self.store = store
        self.actor = actor
        self.access = access or Access.everything()
        self._holder: Principal | None = None

    def _change(self, action: str, target: Callable[[T], str], work: Callable[[Tx], T]) -> T:
        """Run ``work`` in a transaction and audit it there (``target`` names what changed)."""
        with self.db.transaction() as tx:
            result = work(tx)
            audit.record_by(
                tx,
                self.actor,
                action,
                target=target(result),
            )
        return result

    def holder(self, tx: Tx) -> Principal:
        """The caller's own rights, read once (the local command line is an administrator)."""
        if self._holder is None:
            if self.actor.user_id is None:
                self._holder = _anonymous(admin=self.actor.is_admin)
            else:
                self._holder = principal_of(tx, self.actor.user_id)
        return self._holder

    def _guard_user(self, tx: Tx, user: users.User, doing: str) -> None:
        """Refuse unless ``user`` is within the caller (what they may do and see)."""
        require_covers(self.holder(tx), principal_of(tx, user.id), doing=f"{doing} {user.email}")

    def _guard_group(self, tx: Tx, group: groups.Group, doing: str) -> None:
        """Refuse unless the group's capabilities and markings are all the caller's own."""
        require_within(
            self.holder(tx),
            capabilities=group.capabilities,
            markings=(*group.allowed_markings, *group.default_markings),
            doing=f"{doing} {group.name}",
        )

    # -- users ---------------------------------------------------------------------------

    def list_users(self) -> list[UserOut]:
        with self.db.read() as tx:
            return [user_out(tx, user) for user in users.list_users(tx)]

    def get_user(self, ref: str) -> UserOut:
        with self.db.read() as tx:
            return user_out(tx, users.find_user(tx, ref))

    def me(self) -> MeOut:
        if self.actor.user_id is None:
            raise InvalidInput("the local command line acts as no user")
        with self.db.read() as tx:
            principal = principal_of(tx, self.actor.user_id)
            user = user_out(tx, users.find_user(tx, self.actor.user_id))
        allowed = principal.allowed_markings
        return MeOut(
            user=user,
            capabilities=sorted(principal.capabilities),
            allowed_markings=None if allowed is None else sorted(allowed),
            default_markings=list(principal.default_markings),
        )

    def create_user(self, spec: UserCreate) -> UserOut:
        password_hash = hash_password(spec.password) if spec.password else None

        def work(tx: Tx) -> UserOut:
            org = (
                organizations.find_organization(tx, spec.organization)
                if spec.organization
                else None
            )
            member_of = [groups.find_group(tx, ref) for ref in spec.groups]
            for group in member_of:
                self._guard_group(tx, group, "put a user in")
            user = users.insert_user(
                tx,
                email=spec.email,
                name=spec.name,
                password_hash=password_hash,
                organization_id=org.id if org else None,
            )
            for group in member_of:
                groups.add_member(tx, group.id, user.id)
            return user_out(tx, user)

        return self._change("user.created", lambda u: u.id, work)

    def update_user(self, ref: str, spec: UserUpdate) -> UserOut:
        password_hash = hash_password(spec.password) if spec.password else None

        def work(tx: Tx) -> UserOut:
            user = users.find_user(tx, ref)
            self._guard_user(tx, user, "change")
            org = (
                organizations.find_organization(tx, spec.organization)
                if spec.organization
                else None
            )
            updated = users.update_user(
                tx,
                user,
                name=spec.name,
                password_hash=password_hash,
                organization_id=org.id if org else None,
            )
            if password_hash is not None:
                tokens.revoke_sessions(tx, user.id)
            return user_out(tx, updated)

        return self._change("user.updated", lambda u: u.id, work)

    def delete_user(self, ref: str) -> None:
        def work(tx: Tx) -> str:
            user = users.find_user(tx, ref)
            if user.id == self.actor.user_id:
                raise Conflict("you cannot delete yourself")
            self._guard_user(tx, user, "delete")
            users.delete_user(tx, user)
            return user.id

        self._change("user.deleted", str, work)

    def add_source(self, spec: SourceCreate) -> SourceAccountOut:
        """The seeds' best practice in one step: user ``[F] name`` in Connectors, a token, and
        the organization ``name`` (reused if it exists) as the user's organization and author."""

        def work(tx: Tx) -> SourceAccountOut:
            self._guard_group(tx, groups.find_group(tx, groups.CONNECTORS_ID), "put a user in")
            try:
                org = organizations.find_organization(tx, spec.name)
            except NotFound:
                org = organizations.insert_organization(
                    tx, self.store, spec.name, user_id=self.actor.user_id
                )
            user = users.insert_user(
                tx,
                email=source_email(spec.name),
                name=f"[F] {spec.name}",
                password_hash=None,
                organization_id=org.id,
            )
            groups.add_member(tx, groups.CONNECTORS_ID, user.id)
            token = issue_token(tx, user.id, f"source {spec.name}")
            return SourceAccountOut(
                user=user_out(tx, user), organization=_org_out(org), token=token
            )

        return self._change("user.source_added", lambda s: s.user.id, work)

    # -- tokens --------------------------------------------------------------------------

    def list_tokens(self, user_ref: str) -> list[TokenOut]:
        with self.db.read() as tx:
            user = users.find_user(tx, user_ref)
            return [_token_out(info) for info in tokens.list_tokens(tx, user.id)]

    def create_token(self, user_ref: str, spec: TokenCreate) -> TokenCreated:
        def work(tx: Tx) -> TokenCreated:
            user = users.find_user(tx, user_ref)
            self._guard_user(tx, user, "mint a token for")
            return issue_token(tx, user.id, spec.name)

        return self._change("token.created", lambda t: t.id, work)

    def revoke_token(self, token_id: str) -> TokenOut:
        def work(tx: Tx) -> TokenOut:
            owner = users.find_user(tx, tokens.get_token(tx, token_id).user_id)
            self._guard_user(tx, owner, "revoke a token of")
            return _token_out(tokens.revoke_token(tx, token_id))

        return self._change("token.revoked", lambda t: t.id, work)

    # -- groups --------------------------------------------------------------------------

    def list_groups(self) -> list[GroupOut]:
        with self.db.read() as tx:
            return [_group_out(tx, group) for group in groups.list_groups(tx)]

    def get_group(self, ref: str) -> GroupOut:
        with self.db.read() as tx:
            return _group_out(tx, groups.find_group(tx, ref))

    def create_group(self, spec: GroupCreate) -> GroupOut:
        def work(tx: Tx) -> GroupOut:
            draft = groups.Group(
                id="",
                name=spec.name,
                description=spec.description,
                capabilities=tuple(spec.capabilities),
                allowed_markings=_marking_ids(tx, spec.allowed_markings),
                default_markings=_marking_ids(tx, spec.default_markings),
                created_at="",
            )
            self._guard_group(tx, draft, "create the group")
            return _group_out(tx, groups.insert_group(tx, draft))

        return self._change("group.created", lambda g: g.id, work)

    def update_group(self, ref: str, spec: GroupUpdate) -> GroupOut:
        def work(tx: Tx) -> GroupOut:
            group = groups.find_group(tx, ref)
            self._guard_group(tx, group, "change the group")
            changed = groups.Group(
                id=group.id,
                name=spec.name or group.name,
                description=group.description if spec.description is None else spec.description,
                capabilities=group.capabilities
                if spec.capabilities is None
                else tuple(spec.capabilities),
                allowed_markings=group.allowed_markings
                if spec.allowed_markings is None
                else _marking_ids(tx, spec.allowed_markings),
                default_markings=group.default_markings
                if spec.default_markings is None
                else _marking_ids(tx, spec.default_markings),
                created_at=group.created_at,
            )
            self._guard_group(tx, changed, "give these rights to the group")
            return _group_out(tx, groups.save_group(tx, changed))

        return self._change("group.updated", lambda g: g.id, work)

    def delete_group(self, ref: str) -> None:
        def work(tx: Tx) -> str:
            group = groups.find_group(tx, ref)
            self._guard_group(tx, group, "delete the group")
            groups.delete_group(tx, group)
            return group.id

        self._change("group.deleted", str, work)

    def add_member(self, group_ref: str, user_ref: str) -> GroupOut:
        return self._membership(group_ref, user_ref, add=True)

    def remove_member(self, group_ref: str, user_ref: str) -> GroupOut:
        return self._membership(group_ref, user_ref, add=False)

    def _membership(self, group_ref: str, user_ref: str, *, add: bool) -> GroupOut:
        def work(tx: Tx) -> tuple[GroupOut, str]:
            group = groups.find_group(tx, group_ref)
            user = users.find_user(tx, user_ref)
            self._guard_group(tx, group, "change the members of")
            self._guard_user(tx, user, "change the groups of")
            if add:
                groups.add_member(tx, group.id, user.id)
            else:
                groups.remove_member(tx, group.id, user.id)
            return _group_out(tx, group), user.id

        action = "group.member_added" if add else "group.member_removed"
        out, _ = self._change(action, lambda r: f"{r[0].id} {r[1]}", work)
        return out

    # -- organizations -------------------------------------------------------------------

    def list_organizations(self) -> list[OrganizationOut]:
        with self.db.read() as tx:
            return [_org_out(org) for org in organizations.list_organizations(tx)]

    def get_organization(self, ref: str) -> OrganizationOut:
        with self.db.read() as tx:
            return _org_out(organizations.find_organization(tx, ref))

    def create_organization(self, spec: OrganizationCreate) -> OrganizationOut:
        def work(tx: Tx) -> OrganizationOut:
            org = organizations.insert_organization(
                tx, self.store, spec.name, user_id=self.actor.user_id
            )
            return _org_out(org)

        return self._change("organization.created", lambda o: o.id, work)

    def delete_organization(self, ref: str) -> None:
        def work(tx: Tx) -> str:
            org = organizations.find_organization(tx, ref)
            organizations.delete_organization(tx, org)
            return org.id

        self._change("organization.deleted", str, work)

    # -- markings and audit --------------------------------------------------------------

    def list_markings(self) -> list[MarkingOut]:
        return [_marking_out(m) for m in markings.list_markings(self.store, self.access)]

    def create_marking(self, spec: MarkingCreate) -> MarkingOut:
        def work(tx: Tx) -> MarkingOut:
            marking = markings.add_statement(
                tx, self.store, spec.statement, user_id=self.actor.user_id
            )
            return _marking_out(marking)

        return self._change("marking.created", lambda m: m.id, work)

    def delete_marking(self, marking_id: str) -> None:
        """Delete a statement marking (built-in TLP definitions stay)."""
        if marking_id in markings.BUILT_IN_IDS:
            raise Conflict(f"the built-in marking {marking_id} cannot be deleted")
        with self.db.read() as tx:
            markings.resolve_marking(tx, marking_id)
            require_within(self.holder(tx), markings=[marking_id], doing="delete it")
        self.store.delete(marking_id)
        with self.db.transaction() as tx:
            audit.record_by(
                tx,
                self.actor,
                "marking.deleted",
                target=marking_id,
            )

    def list_audit(self, *, action: str | None = None, limit: int = 100) -> list[AuditEntryOut]:
        return [
            AuditEntryOut(**entry.__dict__)
            for entry in audit.entries(self.db, action=action, limit=limit)
        ]


def _anonymous(*, admin: bool) -> Principal:
    """The rights of an actor that is no user: the local command line (an administrator)."""
    return Principal(
        user_id="",
        groups=(),
        capabilities=frozenset({Capability.BYPASS.value}) if admin else frozenset(),
        allowed_markings=None if admin else frozenset(),
        default_markings=(),
    )


def source_email(name: str) -> str:
    """The email of a source's user: ``abuse.ch`` → ``abuse.ch@sources.stixflow.local``."""
    slug = re.sub(r"[^a-z0-9.-]+", "-", name.lower()).strip("-.")
    if not slug:
        raise InvalidInput(f"source name {name!r} has no letters or digits")
    return f"{slug}@{SOURCE_DOMAIN}"


def issue_token(tx: Tx, user_id: str, name: str, *, expires_at: str | None = None) -> TokenCreated:
    """A new token for a user: the only time its secret is returned."""
    secret = tokens.new_token()
    token_id = tokens.store_token(
        tx, user_id=user_id, token=secret, name=name, expires_at=expires_at
    )
    return TokenCreated(**_token_out(tokens.get_token(tx, token_id)).model_dump(), token=secret)


def _marking_ids(tx: Tx, refs: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(markings.resolve_marking(tx, ref) for ref in refs))


def user_out(tx: Tx, user: users.User) -> UserOut:
    return UserOut(
        id=user.id,
        email=user.email,
        name=user.name,
        organization_id=user.organization_id,
        groups=[group.name for group in groups.groups_of(tx, user.id)],
        created_at=user.created_at,
    )


def _group_out(tx: Tx, group: groups.Group) -> GroupOut:
    return GroupOut(
        id=group.id,
        name=group.name,
        description=group.description,
        capabilities=list(group.capabilities),
        allowed_markings=list(group.allowed_markings),
        default_markings=list(group.default_markings),
        members=groups.members_of(tx, group.id),
        created_at=group.created_at,
    )


def _org_out(org: organizations.Organization) -> OrganizationOut:
    return OrganizationOut(id=org.id, name=org.name, created_at=org.created_at)


def _token_out(info: tokens.TokenInfo) -> TokenOut:
    return TokenOut(**info.__dict__)


def _marking_out(marking: markings.Marking) -> MarkingOut:
    return MarkingOut(**marking.__dict__)
