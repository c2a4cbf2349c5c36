"""Pick a command's client: the remote instance of its group's ``--url``, or the local database.

A command group written against a client interface declares its two implementations once with
``client_command(remote=…, local=…)``; each command body is then written once. Domain errors
become click errors, and invalid input a usage error listing each field's problem.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from pydantic import ValidationError

from stixflow.cli.context import runtime_of
from stixflow.cli.remote import ApiClient, open_api
from stixflow.errors import StixflowError
from stixflow.runtime import Runtime

Command = Callable[..., None]


@contextmanager
def open_client(
    ctx: click.Context, remote: Callable[[ApiClient], Any], local: Callable[[Runtime], Any]
) -> Iterator[Any]:
    """``remote`` over the group's ``--url``, or ``local`` over the local database."""
    with open_api(ctx) as api:
        if api is not None:
            yield remote(api)
            return
    with runtime_of(ctx) as runtime:
        yield local(runtime)


def client_command(
    *, remote: Callable[[ApiClient], Any], local: Callable[[Runtime], Any]
) -> Callable[[Command], Command]:
    """A decorator calling the command with the client ``open_client`` chose."""

    def decorate(command: Command) -> Command:
        @functools.wraps(command)
        def run(ctx: click.Context, **params: Any) -> None:
            try:
                with open_client(ctx, remote, local) as client:
                    command(client, **params)
            except StixflowError as exc:
                raise click.ClickException(str(exc)) from exc
            except ValidationError as exc:
                raise click.UsageError(problems(exc)) from exc

        return click.pass_context(run)

    return decorate


def problems(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
