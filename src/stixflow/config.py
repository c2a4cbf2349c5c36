"""Settings: one typed object, read from a TOML file and ``STIXFLOW_*`` environment variables.

Built once at start-up (``load_settings``) and passed down; never created at import time.
Environment variables win over the TOML file, which wins over the defaults. Nested keys use a
double underscore: ``STIXFLOW_INGESTION_MANAGER__INTERVAL=5``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from stixflow.errors import ConfigError

EMBEDDED_BROKER = "embedded"
PLACEHOLDER_SECRETS = frozenset({"changeme", "change-me", "admin", "password", "ChangeMe"})


class IngestionManagerSettings(BaseModel):
    interval: float = Field(default=30.0, ge=1.0, description="seconds between manager runs")
    queue_threshold: int = Field(
        default=500, ge=0, description="skip a feed while its queue holds more"
    )


class WorkerSettings(BaseModel):
    chunk_size: int = Field(default=500, ge=1, le=10_000, description="objects per queued message")
    max_attempts: int = Field(default=5, ge=1, description="deliveries before a dead letter")
    batch_messages: int = Field(
        default=200, ge=1, le=10_000, description="messages a worker takes at once"
    )
    batch_objects: int = Field(
        default=2_000, ge=1, description="objects a worker writes in one transaction at most"
    )
    lease_seconds: float = Field(
        default=60.0, gt=0, description="embedded queue visibility timeout"
    )


class ConnectorSettings(BaseModel):
    """How connectors reach the broker (RabbitMQ back end only; see docs/connectors.md)."""

    amqp_host: str | None = Field(
        default=None, description="broker host handed to connectors (default: the broker URL's)"
    )
    amqp_port: int | None = Field(default=None, ge=1, le=65535)
    broker_admin: str = Field(
        default="auto",
        description="creates per-connector broker users: 'auto', 'rabbitmqctl', 'none' or a "
        "management API URL http://user:pass@host:15672",
    )
    alive_seconds: float = Field(
        default=120.0, gt=0, description="a connector is alive this long after a ping"
    )


class OutboundSettings(BaseModel):
    """Where the platform may connect on a user's behalf (feeds, verify, tests, synchronisers).

    Loopback, link-local, private, shared-address and cloud-metadata ranges are refused unless
    listed in ``allow`` (CIDRs or host names); ``deny`` adds more. See docs/security.md.
    """

    allow: list[str] = Field(
        default_factory=list, description="CIDRs or host names allowed despite the deny ranges"
    )
    deny: list[str] = Field(default_factory=list, description="more CIDRs or host names refused")
    failure_floor_seconds: float = Field(
        default=1.0,
        ge=0.0,
        le=30.0,
        description="a failed user-triggered check answers no sooner than this",
    )

    @field_validator("allow", "deny")
    @classmethod
    def _destinations(cls, value: list[str], info: ValidationInfo) -> list[str]:
        from stixflow.net.policy import Rules  # the policy's own parser (it imports this module)

        try:
            Rules.parse(value, setting=str(info.field_name))
        except ConfigError as exc:
            raise ValueError(str(exc)) from exc
        return value


class LoginSettings(BaseModel):
    """Password-login rate limits (per account and per client address)."""

    max_failures_per_account: int = Field(default=10, ge=1)
    max_failures_per_address: int = Field(default=50, ge=1)
    window_seconds: float = Field(default=900.0, gt=0)


class WorkSettings(BaseModel):
    """Works that nobody will finish (a submit that died) are marked failed by the reaper."""

    abandoned_after_seconds: float = Field(
        default=600.0, gt=0, description="a work with no progress this long is abandoned"
    )


class FileSettings(BaseModel):
    """Files uploaded for import connectors (stored in the database)."""

    max_bytes: int = Field(50 * 1024 * 1024, ge=1, description="largest file accepted")


class EventLogSettings(BaseModel):
    """How long the event log keeps history (live streams, TAXII versions; store.retention)."""

    retention_days: float = Field(
        default=90.0,
        ge=0,
        description="history older than this is compacted to each object's last version "
        "(0: keep everything)",
    )
    prune_interval_seconds: float = Field(
        default=3600.0, ge=1.0, description="how often `stixflow serve` compacts the log"
    )


class MetricsSettings(BaseModel):
    """``/metrics`` (Prometheus): scraped with this bearer token, or with the API token of a user
    holding ``SETTINGS``."""

    token: SecretStr | None = Field(default=None, description="bearer token a scraper sends")


class Settings(BaseSettings):
    """Everything stixflow reads from its environment."""

    model_config = SettingsConfigDict(
        env_prefix="STIXFLOW_", env_nested_delimiter="__", extra="ignore"
    )

    data_dir: Path = Field(
        default_factory=lambda: default_data_dir(),
        description="where the embedded database and its key live (``stixflow info`` shows it)",
    )
    database_url: str = ""  # empty: the SQLite file ``stixflow.db`` in ``data_dir``
    broker_url: str = EMBEDDED_BROKER
    broker_prefix: str = Field(
        default="", description="namespace for queue names on a shared broker"
    )
    admin_email: str = "admin@stixflow.local"
    admin_password: SecretStr | None = None
    admin_token: SecretStr | None = None
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=0, le=65535)
    workers: int = Field(default=1, ge=0, le=64)
    max_body_bytes: int = Field(default=100 * 1024 * 1024, ge=1024)
    environment: str = "development"
    ingestion_manager: IngestionManagerSettings = IngestionManagerSettings()
    worker: WorkerSettings = WorkerSettings()
    connectors: ConnectorSettings = ConnectorSettings()
    outbound: OutboundSettings = OutboundSettings()
    login: LoginSettings = LoginSettings()
    works: WorkSettings = WorkSettings()
    files: FileSettings = FileSettings()
    metrics: MetricsSettings = MetricsSettings()
    events: EventLogSettings = EventLogSettings()
    log_format: str = Field(
        default="text", pattern="^(text|json)$", description="'json': one JSON object per line"
    )
    secret_key: SecretStr | None = Field(
        default=None, description="key that encrypts stored feed credentials (docs/security.md)"
    )
    previous_secret_keys: list[SecretStr] = Field(
        default_factory=list, description="older keys still accepted while rotating"
    )

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir.expanduser() / 'stixflow.db'}"
        return self

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if value and not value.startswith(("sqlite://", "postgresql://", "postgres://")):
            raise ValueError("database_url must start with sqlite:// or postgresql://")
        return value

    @field_validator("broker_url")
    @classmethod
    def _known_broker(cls, value: str) -> str:
        if value != EMBEDDED_BROKER and not value.startswith(("amqp://", "amqps://")):
            raise ValueError("broker_url must be 'embedded' or an amqp:// URL")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        toml_path = os.environ.get("STIXFLOW_CONFIG", "stixflow.toml")
        if Path(toml_path).is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
        return tuple(sources)

    @property
    def is_embedded_broker(self) -> bool:
        return self.broker_url == EMBEDDED_BROKER

    @property
    def dialect(self) -> str:
        return "sqlite" if self.database_url.startswith("sqlite://") else "postgresql"


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/stixflow``, else ``~/.local/share/stixflow`` (an absolute path: the
    platform finds its data wherever a command is run from)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base).expanduser().resolve() / "stixflow"


def load_settings(**overrides: Any) -> Settings:
    """Build and check the settings; raise ConfigError with every problem found."""
    try:
        settings = Settings(**overrides)
    except ValueError as exc:
        raise ConfigError(f"invalid settings: {exc}") from exc
    _refuse_placeholders(settings)
    return settings


def _refuse_placeholders(settings: Settings) -> None:
    if settings.environment == "development":
        return
    for name in ("admin_password", "admin_token"):
        secret = getattr(settings, name)
        if secret is not None and secret.get_secret_value() in PLACEHOLDER_SECRETS:
            raise ConfigError(f"{name} is a placeholder; set a real secret outside development")
