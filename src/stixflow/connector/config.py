"""A connector's settings: environment variables ``STIXFLOW_CONNECTOR_*`` and a TOML file
(``./connector.toml`` or the path in ``STIXFLOW_CONNECTOR_CONFIG``); the environment wins."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import isodate
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from stixflow.config import OutboundSettings
from stixflow.errors import ConfigError
from stixflow.net.policy import OutboundPolicy


class ConnectorConfig(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="STIXFLOW_CONNECTOR_", env_nested_delimiter="__", extra="allow"
    )

    url: str = "http://127.0.0.1:8080"
    token: SecretStr
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")
    name: str
    type: str = "EXTERNAL_IMPORT"
    scope: list[str] = Field(default_factory=list)
    start_date: datetime | None = Field(None, description="history is imported from here")
    period: str = Field("PT1H", description="ISO 8601 duration between runs; '0' runs once")
    timeout: float = Field(60.0, gt=0, description="seconds for each HTTP call")
    verify_tls: bool = True
    outbound: OutboundSettings = Field(
        default_factory=OutboundSettings, description="where fetch() may connect (allow/deny)"
    )

    @field_validator("period")
    @classmethod
    def _iso_period(cls, value: str) -> str:
        if value != "0":
            period_of(value)
        return value

    @property
    def policy(self) -> OutboundPolicy:
        """The outbound policy ``stixflow.connector.fetch`` applies to the source URL."""
        return OutboundPolicy.from_settings(self.outbound)

    @property
    def interval(self) -> float:
        """Seconds between runs; 0 for run-once."""
        return 0.0 if self.period == "0" else period_of(self.period).total_seconds()

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
        path = os.environ.get("STIXFLOW_CONNECTOR_CONFIG", "connector.toml")
        if Path(path).is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)


def period_of(value: str) -> timedelta:
    try:
        period = isodate.parse_duration(value)
    except (isodate.ISO8601Error, ValueError) as exc:
        raise ValueError(f"not an ISO 8601 duration: {value!r}") from exc
    if not isinstance(period, timedelta) or period.total_seconds() <= 0:
        raise ValueError(f"use a positive duration in days, hours, minutes or seconds: {value!r}")
    return period


def load_config(**overrides: Any) -> ConnectorConfig:
    try:
        return ConnectorConfig(**overrides)
    except ValueError as exc:
        raise ConfigError(f"invalid connector settings: {exc}") from exc
