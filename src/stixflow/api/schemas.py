"""Response bodies of the API (separate from storage rows)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from stixflow.pipeline.deadletters import DeadLetter
from stixflow.pipeline.works import Work


class WorkErrorOut(BaseModel):
    object_id: str | None
    reason: str


class WorkOut(BaseModel):
    id: str
    name: str
    source: str
    user_id: str | None
    status: str
    expected: int
    processed: int
    failed: int
    progress: float
    created_at: str
    completed_at: str | None
    submitting: bool = Field(description="its bundle is still being queued")
    queued: int = Field(description="objects queued so far")
    reason: str | None = Field(description="why the work failed")
    errors: list[WorkErrorOut]

    @classmethod
    def of(cls, work: Work) -> WorkOut:
        return cls(
            id=work.id,
            name=work.name,
            source=work.source,
            user_id=work.user_id,
            status=work.status,
            expected=work.expected,
            processed=work.processed,
            failed=work.failed,
            progress=work.progress,
            created_at=work.created_at,
            completed_at=work.completed_at,
            submitting=work.submitting > 0,
            queued=work.queued,
            reason=work.reason,
            errors=[WorkErrorOut(object_id=e.object_id, reason=e.reason) for e in work.errors],
        )


class Accepted(BaseModel):
    work_id: str
    expected: int
    status_url: str


class ObjectPage(BaseModel):
    objects: list[dict[str, Any]]
    next_cursor: str | None


class StoredObjectOut(BaseModel):
    object: dict[str, Any]
    first_seen: str
    last_seen: str
    sources: list[str]
    creators: list[str]
    aliases: list[str]
    missing_refs: list[str] = []


class DeadLetterOut(BaseModel):
    id: int
    queue: str
    reason: str
    attempts: int
    work_id: str | None
    created_at: str
    objects: int

    @classmethod
    def of(cls, letter: DeadLetter) -> DeadLetterOut:
        return cls(**letter.__dict__)


class Health(BaseModel):
    status: str
    database: str
    broker: str
    version: str
