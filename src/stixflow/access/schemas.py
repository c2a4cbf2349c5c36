"""Request and response bodies of identity and access (separate from the storage dataclasses).

Shared by the HTTP API and the CLI, so that a command prints the same thing whether it runs on
the local database or against a remote instance.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from stixflow.access.capabilities import Capability

PRINTABLE = r"^[^\x00-\x1f\x7f]+$"

Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=PRINTABLE)
]
Ref = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=PRINTABLE)]
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=200, pattern=r"^[^@\s\x00-\x1f]+@[^@\s]+$"),
]
Password = Annotated[str, StringConstraints(min_length=8, max_length=200)]
Statement = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000, pattern=PRINTABLE)
]
MarkingRefs = Annotated[list[Ref], Field(max_length=50)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserCreate(Strict):
    email: Email
    name: Name
    password: Password | None = None
    organization: Ref | None = Field(None, description="organization id or name")
    groups: Annotated[list[Ref], Field(max_length=20)] = []


class UserUpdate(Strict):
    name: Name | None = None
    password: Password | None = None
    organization: Ref | None = Field(None, description="organization id or name")


class UserOut(BaseModel):
    id: str
    email: str
    name: str
    organization_id: str | None
    groups: list[str]
    created_at: str


class SourceCreate(Strict):
    name: Name = Field(description="the source, e.g. abuse.ch: user '[F] abuse.ch' is created")


class TokenCreate(Strict):
    name: Name = "api"


class TokenOut(BaseModel):
    id: str
    user_id: str
    name: str
    created_at: str
    last_used_at: str | None
    revoked_at: str | None
    expires_at: str | None


class TokenCreated(TokenOut):
    token: str = Field(description="the token itself: shown this once, stored only hashed")


class LoginIn(Strict):
    email: Email
    password: Annotated[str, StringConstraints(max_length=200)]


class PasswordChange(Strict):
    current_password: Annotated[str, StringConstraints(max_length=200)] | None = Field(
        None, description="needed when the account has a password"
    )
    password: Password


class LoginOut(BaseModel):
    token: TokenCreated
    user: UserOut


class GroupCreate(Strict):
    name: Name
    description: Annotated[str, StringConstraints(max_length=1000)] = ""
    capabilities: Annotated[list[Capability], Field(max_length=20)] = []
    allowed_markings: MarkingRefs = Field([], description="marking ids or TLP names")
    default_markings: MarkingRefs = Field([], description="marking ids or TLP names")


class GroupUpdate(Strict):
    name: Name | None = None
    description: Annotated[str, StringConstraints(max_length=1000)] | None = None
    capabilities: Annotated[list[Capability], Field(max_length=20)] | None = None
    allowed_markings: MarkingRefs | None = None
    default_markings: MarkingRefs | None = None


class GroupOut(BaseModel):
    id: str
    name: str
    description: str
    capabilities: list[str]
    allowed_markings: list[str]
    default_markings: list[str]
    members: list[str]
    created_at: str


class OrganizationCreate(Strict):
    name: Name


class OrganizationOut(BaseModel):
    id: str = Field(description="the STIX identity id: usable as created_by_ref")
    name: str
    created_at: str


class SourceAccountOut(BaseModel):
    user: UserOut
    organization: OrganizationOut
    token: TokenCreated


class MarkingCreate(Strict):
    statement: Statement


class MarkingOut(BaseModel):
    id: str
    name: str
    definition_type: str
    definition: str
    built_in: bool


class MeOut(BaseModel):
    user: UserOut
    capabilities: list[str]
    allowed_markings: list[str] | None = Field(description="null: every marking")
    default_markings: list[str]


class AuditEntryOut(BaseModel):
    id: int
    at: str
    actor_id: str | None
    action: str
    target: str | None
    detail: str
    address: str | None
