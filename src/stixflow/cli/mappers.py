"""What the ``csv-mappers`` commands talk to.

``MapperClient`` is the interface; ``LocalMappers`` (the local database, acting as the local
administrator) implements it with ``MapperService``, ``RemoteMappers`` over ``/api/csv-mappers``
of another instance. ``mapper_command`` picks one from the group's ``--url``/``--token``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from stixflow.access.audit import LOCAL_ACTOR
from stixflow.cli.clients import client_command
from stixflow.cli.remote import ApiClient, segment
from stixflow.csvmap.model import CsvMapperSpec
from stixflow.csvmap.schemas import MapperOut, TestOut
from stixflow.csvmap.service import MapperService


class MapperClient(Protocol):
    def list(self) -> list[MapperOut]: ...
    def get(self, ref: str) -> MapperOut: ...
    def create(self, spec: CsvMapperSpec) -> MapperOut: ...
    def delete(self, ref: str) -> None: ...
    def test_file(self, ref: str, sample: Path, *, markings: list[str]) -> TestOut: ...
    def test_url(self, ref: str, url: str, *, markings: list[str]) -> TestOut: ...


class LocalMappers(MapperService):
    """``MapperService`` reading the sample itself."""

    def test_file(self, ref: str, sample: Path, *, markings: list[str]) -> TestOut:
        with sample.open(encoding="utf-8-sig", newline="") as handle:
            return self.test(ref, handle, markings=markings)


class RemoteMappers:
    """``MapperClient`` over the HTTP API (``/api/csv-mappers``)."""

    def __init__(self, api: ApiClient) -> None:
        self.api = api

    def list(self) -> list[MapperOut]:
        return [MapperOut.model_validate(item) for item in self.api.call("GET", "/api/csv-mappers")]

    def get(self, ref: str) -> MapperOut:
        return MapperOut.model_validate(self.api.call("GET", f"/api/csv-mappers/{segment(ref)}"))

    def create(self, spec: CsvMapperSpec) -> MapperOut:
        body = spec.model_dump(mode="json", exclude_defaults=True)
        return MapperOut.model_validate(self.api.call("POST", "/api/csv-mappers", body=body))

    def delete(self, ref: str) -> None:
        self.api.call("DELETE", f"/api/csv-mappers/{segment(ref)}")

    def test_file(self, ref: str, sample: Path, *, markings: list[str]) -> TestOut:
        with sample.open("rb") as handle:
            return self._test(ref, {"markings": markings}, {"file": (sample.name, handle)})

    def test_url(self, ref: str, url: str, *, markings: list[str]) -> TestOut:
        return self._test(ref, {"url": url, "markings": markings}, None)

    def _test(self, ref: str, form: dict[str, Any], files: dict[str, Any] | None) -> TestOut:
        path = f"/api/csv-mappers/{segment(ref)}/test"
        return TestOut.model_validate(self.api.call("POST", path, form=form, files=files))


mapper_command = client_command(
    remote=RemoteMappers, local=lambda runtime: LocalMappers(runtime, actor=LOCAL_ACTOR)
)
"""Call the command with the chosen ``MapperClient``."""
