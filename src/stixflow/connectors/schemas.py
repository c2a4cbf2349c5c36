"""Request and response models of the connectors API (separate from the stored rows)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from stixflow.connectors.model import ConnectorType

CONNECTOR_ID = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$"


class ConnectorRegister(BaseModel):
    id: str = Field(pattern=CONNECTOR_ID, description="chosen by the operator, stable")
    name: str = Field(min_length=1, max_length=200)
    type: ConnectorType = ConnectorType.EXTERNAL_IMPORT
    scope: list[str] = Field(default_factory=list, max_length=200)
    auto: bool = False
    only_contextual: bool = False


class ConnectorOut(BaseModel):
    id: str
    name: str
    type: ConnectorType
    scope: list[str]
    auto: bool
    user_id: str | None
    built_in: bool
    status: str = Field(description="alive | dead (pings) · running | stopped (built-in)")
    last_seen_at: str | None
    last_run: str | None
    next_run: str | None
    queue_depth: int
    state: Any = Field(None, description="the connector's opaque state (JSON), null if none")
    state_updated_at: str | None
    created_at: str
    updated_at: str


class StateIn(BaseModel):
    state: dict[str, Any] | None = None
    info: dict[str, Any] | None = Field(
        None, description="last_run_datetime, next_run_datetime, buffering, ..."
    )


class StateOut(BaseModel):
    state: dict[str, Any] | None
    reset: bool = Field(
        False, description="a reset was pending: the sent state was ignored, start over"
    )


class ResetPreview(BaseModel):
    connector_id: str
    messages: int = Field(description="messages a reset would purge now")


class ResetOut(BaseModel):
    connector_id: str
    purged: int


class WorkOpen(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    multipart: bool = False


class WorkProcessed(BaseModel):
    message: str | None = Field(None, max_length=2000)
    in_error: bool = False


class EnrichObject(BaseModel):
    object_id: str = Field(max_length=200)


class EnrichOut(BaseModel):
    connector_id: str
    work_id: str
    object_id: str
