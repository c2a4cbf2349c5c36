"""What every command shares: settings loaded once, a runtime opened on demand."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from stixflow.access.audit import LOCAL_ACTOR, Actor
from stixflow.config import Settings, load_settings
from stixflow.errors import StixflowError
from stixflow.runtime import Runtime, open_runtime


def settings_of(ctx: click.Context) -> Settings:
    settings: Settings = ctx.ensure_object(dict).setdefault("settings", load_settings())
    return settings


@contextmanager
def runtime_of(ctx: click.Context, *, create: bool = False) -> Iterator[Runtime]:
    """The runtime on the configured database; only ``serve`` (``create``) makes a missing one."""
    runtime = open_runtime(settings_of(ctx), create=create)
    try:
        yield runtime
    finally:
        runtime.close()


def local_actor(runtime: Runtime) -> Actor:
    """Who the local command line acts as: the first administrator (``admin_email``), so what
    it creates has a creator and a data-creation user, as through the API; the anonymous local
    administrator when that user does not exist yet."""
    email = runtime.settings.admin_email.strip().lower()
    with runtime.db.read() as tx:
        row = tx.fetchone("SELECT id FROM users WHERE lower(email) = ?", (email,))
    if row is None:
        return LOCAL_ACTOR
    return Actor(user_id=row[0], address=LOCAL_ACTOR.address, is_admin=True)


def fail(exc: StixflowError) -> click.ClickException:
    return click.ClickException(str(exc))
