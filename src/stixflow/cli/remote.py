"""A small HTTP client for a remote stixflow instance (``--url`` and ``--token``).

Every call has a timeout and verifies TLS; error responses become the domain errors they came
from (``{"error": message}`` bodies), so a command fails the same way locally and remotely.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import click
import httpx
from pydantic import BaseModel, SecretStr
from pydantic_core import to_jsonable_python

from stixflow.errors import (
    AccessDenied,
    Conflict,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    SourceError,
    StixflowError,
    Unauthenticated,
)

DEFAULT_TIMEOUT = 30.0


def segment(value: str) -> str:
    """A path segment: ``alice@example.org`` and ``TLP:RED`` stay one segment."""
    return quote(value, safe="")


class ApiClient:
    def __init__(self, url: str, token: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=timeout,
        )

    def call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: dict[str, Any] | None = None,
        form: dict[str, Any] | None = None,
        files: dict[str, Any] | None = None,
    ) -> Any:
        """The decoded JSON answer (None for 204); a StixflowError for an error answer.

        ``body`` is sent as JSON, or ``form`` and ``files`` as a multipart form.
        """
        try:
            response = self._http.request(
                method, path, json=body, params=params, data=form, files=files
            )
        except httpx.HTTPError as exc:
            raise SourceError(f"cannot reach {self.url}: {exc}") from exc
        if response.status_code >= 400:
            raise _error_of(response)
        return None if response.status_code == 204 else response.json()

    def close(self) -> None:
        self._http.close()


def _error_of(response: httpx.Response) -> StixflowError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    message = str(body.get("error") or response.text[:200] or response.reason_phrase)
    details = body.get("details")
    if details:
        message += ": " + "; ".join(f"{d.get('where')} {d.get('problem')}" for d in details)
    status = response.status_code
    if status == 403:
        return AccessDenied(str(body.get("capability", "")), message)
    kinds: dict[int, type[StixflowError]] = {
        401: Unauthenticated,
        404: NotFound,
        409: Conflict,
        413: PayloadTooLarge,
    }
    if status in kinds:
        return kinds[status](message)
    if status in (400, 422):
        return InvalidInput(message)
    return SourceError(f"{response.request.url} answered {status}: {message}")


def body_of(model: BaseModel) -> Any:
    """``model`` as a JSON request body, secrets included (``model_dump`` would mask them)."""
    fields = {
        name: value.get_secret_value() if isinstance(value, SecretStr) else value
        for name, value in model.model_dump(exclude_none=True).items()
    }
    return to_jsonable_python(fields)


def _remember(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    ctx.ensure_object(dict)[f"remote_{param.name}"] = value


def remote_options(group: Callable[..., Any]) -> Callable[..., Any]:
    """Give a command group ``--url``/``--token``: its commands then act on that instance.

    Group-level because its commands use ``URL`` and ``--token`` for the feeds themselves.
    """
    token = click.option(
        "--token",
        envvar="STIXFLOW_TOKEN",
        expose_value=False,
        callback=_remember,
        help="API token for --url (env STIXFLOW_TOKEN).",
    )
    url = click.option(
        "--url",
        envvar="STIXFLOW_URL",
        expose_value=False,
        callback=_remember,
        help="Act on the instance at this URL (env STIXFLOW_URL); default: the local database.",
    )
    if isinstance(group, click.Command):  # a built command appends, a function prepends
        return token(url(group))
    return url(token(group))


@contextmanager
def open_api(ctx: click.Context) -> Iterator[ApiClient | None]:
    """A client for the group's ``--url``, or None for the local database."""
    obj = ctx.ensure_object(dict)
    url, token = obj.get("remote_url"), obj.get("remote_token")
    if not url:
        yield None
        return
    if not token:
        raise click.UsageError("--url needs --token (or STIXFLOW_TOKEN)")
    api = ApiClient(url, token)
    try:
        yield api
    finally:
        api.close()
