"""Response bodies of ``/api/csv-mappers`` (requests are ``model.CsvMapperSpec``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from stixflow.csvmap.model import CsvMapperSpec


class MapperOut(BaseModel):
    id: str
    name: str
    spec: CsvMapperSpec
    created_by: str | None
    created_at: str
    updated_at: str


class RowProblemOut(BaseModel):
    line: int = Field(description="line number in the file")
    reason: str


class TestOut(BaseModel):
    rows: int = Field(description="data rows read")
    entities: int
    relationships: int
    by_type: dict[str, int]
    objects: list[dict[str, Any]] = Field(description="the first 50 objects that would be created")
    errors: list[RowProblemOut] = Field(description="rows that could not be mapped (first 100)")
    error_count: int


class ImportOut(BaseModel):
    work_id: str | None = Field(description="the work to follow (none when nothing mapped)")
    rows: int
    objects: int = Field(description="objects queued")
    errors: list[RowProblemOut]
    error_count: int


TestOut.__test__ = False  # type: ignore[attr-defined]
