"""Request and response bodies of ``/api/ingestion/{kind}`` (separate from the stored rows).

Shared by the HTTP API and the CLI. Creates carry the common fields (``IngesterCreate``) and the
kind's own (``TaxiiCreate``, ``RssCreate``); updates are the same fields, all optional.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import isodate
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    field_validator,
)

from stixflow.access.schemas import Name, Ref


def no_credentials(url: str) -> str:
    """A URL is shown and logged: credentials go in the authentication fields, not in it."""
    if "@" in urlsplit(url).netloc:
        raise ValueError("put no user or password in the URL: use the authentication fields")
    return url


Url = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=2000, pattern=r"^https?://[\x21-\x7e]+$"),
    AfterValidator(no_credentials),
]
NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold U+0000: refused alike on every back end
Text = Annotated[str, StringConstraints(max_length=5000, pattern=NO_NUL)]
Pem = Annotated[str, StringConstraints(max_length=100_000, pattern=NO_NUL)]
Username = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^:\x00-\x1f\x7f]+$")
]
AuthType = Literal["none", "basic", "bearer", "certificate"]
AUTO = "auto"


def check_period(value: str | None) -> str | None:
    """An ISO-8601 duration (``PT1H``, ``P1D``) or ``auto`` (every manager run)."""
    if value is None or value == AUTO:
        return value
    try:
        duration = isodate.parse_duration(value)
    except (isodate.ISO8601Error, ValueError) as exc:
        raise ValueError(f"{value!r} is not an ISO-8601 duration such as PT1H") from exc
    if not hasattr(duration, "total_seconds") or duration.total_seconds() <= 0:
        raise ValueError(f"{value!r}: give a positive duration in days, hours, minutes, seconds")
    return value


def check_token(value: SecretStr | None) -> SecretStr | None:
    """A bearer token goes in an HTTP header: printable ASCII only."""
    if value is not None and not re.fullmatch(r"[\x21-\x7e]{1,4000}", value.get_secret_value()):
        raise ValueError("the token must be 1 to 4000 printable ASCII characters")
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IngesterCreate(Strict):
    name: Name
    description: Text = ""
    user: Ref | None = Field(
        None, description="user responsible for data creation (id or email); default: you"
    )
    import_from: datetime | None = Field(None, description="oldest data to fetch; empty: all")
    scheduling_period: str | None = Field(
        None, description="ISO-8601 duration between runs (PT1H) or 'auto' (every manager run)"
    )
    running: bool = Field(False, description="start it right away")
    timeout_seconds: float = Field(30.0, gt=0, le=600, description="per HTTP request")
    verify_tls: bool = True
    proxy: Url | None = None
    create_source_user: bool = Field(
        False,
        description="also create user '[F] <source>' (Connectors group) and organization "
        "'<source>', and use them as the ingester's user and default author",
    )
    source_name: Name | None = Field(None, description="the <source> above; default: name")

    _period = field_validator("scheduling_period")(check_period)


class TaxiiFields(BaseModel):
    url: Url = Field(description="the API root URL, e.g. https://host/taxii2/root/")
    collection: Ref | None = Field(None, description="collection id (or in a pasted URL)")
    auth_type: AuthType = "none"
    username: Username | None = None
    password: SecretStr | None = None
    token: SecretStr | None = Field(None, description="bearer token (printable ASCII)")
    cert_pem: Pem | None = Field(None, description="client certificate (PEM)")
    key_pem: SecretStr | None = Field(None, description="client key (PEM)")
    ca_pem: Pem | None = Field(None, description="CA bundle to verify the server (PEM)")
    page_size: int = Field(1000, ge=1, le=10_000, description="limit sent to the server")

    _token = field_validator("token")(check_token)


class RssFields(BaseModel):
    url: Url
    report_types: Annotated[list[Name], Field(max_length=20)] = ["threat-report"]
    author: Ref | None = Field(None, description="default author: organization id or name")
    markings: Annotated[list[Ref], Field(max_length=20)] = Field(
        [], description="default marking definitions: ids or TLP names"
    )


CsvAuthType = Literal["none", "basic", "bearer", "header"]
HeaderName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$")]


class CsvFields(BaseModel):
    url: Url
    mapper: Ref = Field(description="CSV mapper id or name")
    auth_type: CsvAuthType = "none"
    username: Username | None = None
    password: SecretStr | None = None
    token: SecretStr | None = Field(None, description="bearer token (printable ASCII)")
    header_name: HeaderName | None = Field(None, description="custom header, e.g. X-Api-Key")
    header_value: SecretStr | None = None
    markings: Annotated[list[Ref], Field(max_length=20)] = Field(
        [], description="the mapper's 'user-choice' markings: ids or TLP names"
    )

    _token = field_validator("token", "header_value")(check_token)


class TaxiiCreate(IngesterCreate, TaxiiFields):
    pass


class RssCreate(IngesterCreate, RssFields):
    pass


class CsvCreate(IngesterCreate, CsvFields):
    pass


class IngesterUpdate(Strict):
    name: Name | None = None
    description: Text | None = None
    user: Ref | None = None
    import_from: datetime | None = None
    scheduling_period: str | None = None
    timeout_seconds: float | None = Field(None, gt=0, le=600)
    verify_tls: bool | None = None
    proxy: Url | None = None

    _period = field_validator("scheduling_period")(check_period)


class TaxiiUpdate(IngesterUpdate):
    url: Url | None = None
    collection: Ref | None = None
    auth_type: AuthType | None = None
    username: Username | None = None
    password: SecretStr | None = None
    token: SecretStr | None = None
    cert_pem: Pem | None = None
    key_pem: SecretStr | None = None
    ca_pem: Pem | None = None
    page_size: int | None = Field(None, ge=1, le=10_000)

    _token = field_validator("token")(check_token)


class RssUpdate(IngesterUpdate):
    url: Url | None = None
    report_types: Annotated[list[Name], Field(max_length=20)] | None = None
    author: Ref | None = None
    markings: Annotated[list[Ref], Field(max_length=20)] | None = None


class CsvUpdate(IngesterUpdate):
    url: Url | None = None
    mapper: Ref | None = None
    auth_type: CsvAuthType | None = None
    username: Username | None = None
    password: SecretStr | None = None
    token: SecretStr | None = None
    header_name: HeaderName | None = None
    header_value: SecretStr | None = None
    markings: Annotated[list[Ref], Field(max_length=20)] | None = None

    _token = field_validator("token", "header_value")(check_token)


class HealthOut(BaseModel):
    status: str = Field(description="stopped, never run, ok, error or buffering")
    last_run_at: str | None
    last_success_at: str | None
    last_error: str | None
    last_error_at: str | None
    last_run_objects: int = Field(description="objects queued by the last run")
    total_objects: int = Field(description="objects queued since creation")
    last_work_id: str | None
    queue: str
    queue_depth: int | None = Field(description="messages waiting on the ingester's queue")
    buffering: bool = Field(description="the last run was skipped: the queue was too full")


class IngesterOut(BaseModel):
    id: str
    kind: str
    name: str
    description: str
    source: str
    running: bool
    user_id: str | None
    created_by: str | None
    import_from: str | None
    scheduling_period: str
    settings: dict[str, Any]
    state: dict[str, Any]
    health: HealthOut
    created_at: str
    updated_at: str
    notes: list[str] = Field([], description="what was corrected or created on the way")


class PreviewOut(BaseModel):
    objects: list[dict[str, Any]] = Field(description="what would be queued (at most 50)")
    fetched: int
    truncated: bool


class ResetOut(BaseModel):
    ingester: IngesterOut
    purged: int = Field(description="messages removed from the ingester's queue")


class RunOut(BaseModel):
    queued: int
    works: list[str]
    error: str | None
    seconds: float
