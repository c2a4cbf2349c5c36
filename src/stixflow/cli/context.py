"""What every command shares: settings loaded once, a runtime opened on demand."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

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


def fail(exc: StixflowError) -> click.ClickException:
    return click.ClickException(str(exc))
