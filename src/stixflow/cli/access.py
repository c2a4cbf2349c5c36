"""What the ``users``, ``groups``, ``orgs``, ``markings`` and ``audit`` commands talk to.

``AccessClient`` is the interface; ``AccessService`` (the local database) implements it as it is,
``RemoteAccess`` over the HTTP API of another instance. A command is written once against the
interface; ``access_command`` picks the implementation from ``--url``/``--token``
(``STIXFLOW_URL``/``STIXFLOW_TOKEN``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

import click
from pydantic import BaseModel, TypeAdapter

from stixflow.access.audit import LOCAL_ACTOR
from stixflow.access.markings import ensure_builtin_markings
from stixflow.access.schemas import (
    AuditEntryOut,
    GroupCreate,
    GroupOut,
    GroupUpdate,
    MarkingCreate,
    MarkingOut,
    OrganizationCreate,
    OrganizationOut,
    SourceAccountOut,
    SourceCreate,
    TokenCreate,
    TokenCreated,
    TokenOut,
    UserCreate,
    UserOut,
)
from stixflow.access.service import AccessService
from stixflow.cli.context import runtime_of
from stixflow.cli.remote import ApiClient, segment
from stixflow.errors import StixflowError

M = TypeVar("M", bound=BaseModel)


class AccessClient(Protocol):
    def list_users(self) -> list[UserOut]: ...
    def get_user(self, ref: str) -> UserOut: ...
    def create_user(self, spec: UserCreate) -> UserOut: ...
    def delete_user(self, ref: str) -> None: ...
    def add_source(self, spec: SourceCreate) -> SourceAccountOut: ...
    def list_tokens(self, user_ref: str) -> list[TokenOut]: ...
    def create_token(self, user_ref: str, spec: TokenCreate) -> TokenCreated: ...
    def revoke_token(self, token_id: str) -> TokenOut: ...
    def list_groups(self) -> list[GroupOut]: ...
    def get_group(self, ref: str) -> GroupOut: ...
    def create_group(self, spec: GroupCreate) -> GroupOut: ...
    def update_group(self, ref: str, spec: GroupUpdate) -> GroupOut: ...
    def delete_group(self, ref: str) -> None: ...
    def add_member(self, group_ref: str, user_ref: str) -> GroupOut: ...
    def remove_member(self, group_ref: str, user_ref: str) -> GroupOut: ...
    def list_organizations(self) -> list[OrganizationOut]: ...
    def create_organization(self, spec: OrganizationCreate) -> OrganizationOut: ...
    def delete_organization(self, ref: str) -> None: ...
    def list_markings(self) -> list[MarkingOut]: ...
    def create_marking(self, spec: MarkingCreate) -> MarkingOut: ...
    def list_audit(self, *, action: str | None = None, limit: int = 100) -> list[AuditEntryOut]: ...


class RemoteAccess:
    """``AccessClient`` over the HTTP API (``/api/users``, ``/api/groups``...)."""

    def __init__(self, api: ApiClient) -> None:
        self.api = api

    def _one(self, model: type[M], method: str, path: str, body: BaseModel | None = None) -> M:
        payload = body.model_dump(exclude_none=True, mode="json") if body else None
        return model.model_validate(self.api.call(method, path, body=payload))

    def _many(self, model: type[M], path: str, params: dict[str, Any] | None = None) -> list[M]:
        return TypeAdapter(list[model]).validate_python(self.api.call("GET", path, params=params))  # type: ignore[valid-type]

    def list_users(self) -> list[UserOut]:
        return self._many(UserOut, "/api/users")

    def get_user(self, ref: str) -> UserOut:
        return self._one(UserOut, "GET", f"/api/users/{segment(ref)}")

    def create_user(self, spec: UserCreate) -> UserOut:
        return self._one(UserOut, "POST", "/api/users", spec)

    def delete_user(self, ref: str) -> None:
        self.api.call("DELETE", f"/api/users/{segment(ref)}")

    def add_source(self, spec: SourceCreate) -> SourceAccountOut:
        return self._one(SourceAccountOut, "POST", "/api/users/sources", spec)

    def list_tokens(self, user_ref: str) -> list[TokenOut]:
        return self._many(TokenOut, f"/api/users/{segment(user_ref)}/tokens")

    def create_token(self, user_ref: str, spec: TokenCreate) -> TokenCreated:
        return self._one(TokenCreated, "POST", f"/api/users/{segment(user_ref)}/tokens", spec)

    def revoke_token(self, token_id: str) -> TokenOut:
        return self._one(TokenOut, "DELETE", f"/api/tokens/{segment(token_id)}")

    def list_groups(self) -> list[GroupOut]:
        return self._many(GroupOut, "/api/groups")

    def get_group(self, ref: str) -> GroupOut:
        return self._one(GroupOut, "GET", f"/api/groups/{segment(ref)}")

    def create_group(self, spec: GroupCreate) -> GroupOut:
        return self._one(GroupOut, "POST", "/api/groups", spec)

    def update_group(self, ref: str, spec: GroupUpdate) -> GroupOut:
        return self._one(GroupOut, "PATCH", f"/api/groups/{segment(ref)}", spec)

    def delete_group(self, ref: str) -> None:
        self.api.call("DELETE", f"/api/groups/{segment(ref)}")

    def add_member(self, group_ref: str, user_ref: str) -> GroupOut:
        path = f"/api/groups/{segment(group_ref)}/members/{segment(user_ref)}"
        return self._one(GroupOut, "PUT", path)

    def remove_member(self, group_ref: str, user_ref: str) -> GroupOut:
        path = f"/api/groups/{segment(group_ref)}/members/{segment(user_ref)}"
        return self._one(GroupOut, "DELETE", path)

    def list_organizations(self) -> list[OrganizationOut]:
        return self._many(OrganizationOut, "/api/organizations")

    def create_organization(self, spec: OrganizationCreate) -> OrganizationOut:
        return self._one(OrganizationOut, "POST", "/api/organizations", spec)

    def delete_organization(self, ref: str) -> None:
        self.api.call("DELETE", f"/api/organizations/{segment(ref)}")

    def list_markings(self) -> list[MarkingOut]:
        return self._many(MarkingOut, "/api/markings")

    def create_marking(self, spec: MarkingCreate) -> MarkingOut:
        return self._one(MarkingOut, "POST", "/api/markings", spec)

    def list_audit(self, *, action: str | None = None, limit: int = 100) -> list[AuditEntryOut]:
        params: dict[str, Any] = {"limit": limit}
        if action:
            params["action"] = action
        return self._many(AuditEntryOut, "/api/audit", params)


@contextmanager
def open_access(
    ctx: click.Context, *, url: str | None, token: str | None
) -> Iterator[AccessClient]:
    """The remote instance at ``url``, or the local database (acting as the local admin)."""
    if url:
        if not token:
            raise click.UsageError("--url needs --token (or STIXFLOW_TOKEN)")
        api = ApiClient(url, token)
        try:
            yield RemoteAccess(api)
        finally:
            api.close()
        return
    with runtime_of(ctx) as runtime:
        ensure_builtin_markings(runtime.db, runtime.store)
        yield AccessService(runtime.db, runtime.store, actor=LOCAL_ACTOR)


def access_command(command: Callable[..., None]) -> Callable[..., None]:
    """Give a command ``--url``/``--token`` and call it with the chosen ``AccessClient``."""

    @functools.wraps(command)
    def run(ctx: click.Context, url: str | None, token: str | None, **params: Any) -> None:
        try:
            with open_access(ctx, url=url, token=token) as client:
                command(client, **params)
        except StixflowError as exc:
            raise click.ClickException(str(exc)) from exc

    decorated = click.pass_context(run)
    decorated = click.option(
        "--token", envvar="STIXFLOW_TOKEN", help="API token for --url (env STIXFLOW_TOKEN)."
    )(decorated)
    return click.option(
        "--url",
        envvar="STIXFLOW_URL",
        help="Act on the instance at this URL (env STIXFLOW_URL); default: the local database.",
    )(decorated)
