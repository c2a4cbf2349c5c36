"""Import and export of OpenCTI configuration files, for the API, the CLI and the UI.

An import creates the mapper or the ingester (stopped, its source not fetched) as the caller,
and answers what was created with what the file held that stixflow could not carry over
(``unsupported``): nothing is dropped silently. An export is the file OpenCTI reads, without any
secret, with the stixflow settings its format cannot hold listed the same way.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from stixflow.access.audit import Actor
from stixflow.access.markings import resolve_marking
from stixflow.csvmap.model import CsvMapperSpec, check
from stixflow.csvmap.service import MapperService
from stixflow.csvmap.store import MapperStore
from stixflow.errors import Conflict, InvalidInput, NotFound
from stixflow.ingest.schemas import CsvCreate
from stixflow.ingest.service import IngestionService
from stixflow.opencti import ingesters
from stixflow.opencti.files import Report
from stixflow.opencti.mapper import export_mapper, import_mapper
from stixflow.runtime import Runtime
from stixflow.taxii.push import PushService

Kind = Literal["csv-mapper", "csv", "taxii", "taxii-push"]
KINDS: tuple[str, ...] = ("csv-mapper", "csv", "taxii", "taxii-push")


class ImportedOut(BaseModel):
    kind: str
    id: str
    name: str
    unsupported: list[str] = Field(
        description="what the file held that was not imported, 'path: reason' each"
    )
    notes: list[str] = []


class ExportedOut(BaseModel):
    file: dict[str, Any] = Field(description="the OpenCTI configuration file")
    unsupported: list[str] = Field(description="stixflow settings the file cannot hold")
    notes: list[str] = []


class OpenCtiFiles:
    def __init__(self, runtime: Runtime, *, actor: Actor, administer: bool = False) -> None:
        self.runtime = runtime
        self.mappers = MapperService(runtime, actor=actor)
        self.ingestion = IngestionService(runtime, actor=actor, administer=administer)
        self.push = PushService(runtime, actor=actor, administer=administer)

    # -- import ----------------------------------------------------------------------------

    def import_file(self, kind: str, document: bytes | dict[str, Any]) -> ImportedOut:
        """Create what the file describes (see the module docstring); InvalidInput naming the
        field when the file cannot describe anything stixflow can run."""
        try:
            return self._import(kind, document)
        except ValidationError as exc:
            raise InvalidInput(f"the file cannot be imported: {problems(exc)}") from exc

    def _import(self, kind: str, document: bytes | dict[str, Any]) -> ImportedOut:
        report = Report()
        if kind == "csv-mapper":
            spec = import_mapper(document, report)
            created = self.mappers.create(spec)
            return _imported(kind, created.id, created.name, report)
        if kind == "csv":
            return self._import_csv(ingesters.csv_feed_from(document, report), report)
        if kind == "taxii":
            taxii = ingesters.taxii_feed_from(document, report)
            out = self.ingestion.create("taxii", taxii, verify=False)
            return _imported(kind, out.id, out.name, report, out.notes)
        if kind == "taxii-push":
            push = self.push.create(ingesters.taxii_push_from(document, report))
            return _imported(kind, push.id, push.name, report)
        raise NotFound(f"no OpenCTI file kind {kind!r}; use {', '.join(KINDS)}")

    def _import_csv(self, feed: ingesters.CsvFeedFile, report: Report) -> ImportedOut:
        mapper_id, notes = self._mapper_for(feed.mapper)
        markings = self._known_markings(feed.fields.get("markings") or [], report)
        spec = CsvCreate.model_validate({**feed.fields, "markings": markings, "mapper": mapper_id})
        out = self.ingestion.create("csv", spec, verify=False)
        return _imported("csv", out.id, out.name, report, [*notes, *out.notes])

    def _known_markings(self, refs: list[Any], report: Report) -> list[str]:
        """The feed's markings this platform knows; the others (OpenCTI's internal ids) are
        reported."""
        kept = []
        with self.runtime.db.read() as tx:
            for ref in refs:
                try:
                    kept.append(resolve_marking(tx, str(ref)))
                except (InvalidInput, NotFound):
                    report.add("configuration.markings", f"marking {ref!r} is not known here")
        return kept

    def _mapper_for(self, spec: CsvMapperSpec) -> tuple[str, list[str]]:
        """The id of the feed's inline mapper: an equal mapper of that name, or a new one."""
        check(spec)
        try:
            existing = MapperStore(self.runtime.db).get(spec.name)
        except NotFound:
            created = self.mappers.create(spec)
            return created.id, [f"created CSV mapper {spec.name!r}"]
        if existing.spec != spec:
            raise Conflict(f"a different CSV mapper named {spec.name!r} exists: rename one of them")
        return existing.id, [f"uses the existing CSV mapper {spec.name!r}"]

    # -- export ----------------------------------------------------------------------------

    def export(self, kind: str, ref: str) -> ExportedOut:
        report = Report()
        if kind == "csv-mapper":
            mapper = self.mappers.get(ref)
            document = export_mapper(mapper.spec, report)
            document["configuration"] = {"id": mapper.id, **document["configuration"]}
        elif kind == "csv":
            out = self.ingestion.get("csv", ref)
            mapper = self.mappers.get(out.settings["mapper"]).spec
            document = ingesters.csv_feed_to(out, mapper, report)
        elif kind == "taxii":
            document = ingesters.taxii_feed_to(self.ingestion.get("taxii", ref), report)
        elif kind == "taxii-push":
            document = ingesters.taxii_push_to(self.push.get(ref), report)
        else:
            raise NotFound(f"no OpenCTI file kind {kind!r}; use {', '.join(KINDS)}")
        return ExportedOut(file=document, unsupported=report.unsupported, notes=report.notes)


def problems(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])


def _imported(
    kind: str, id_: str, name: str, report: Report, notes: list[str] | None = None
) -> ImportedOut:
    return ImportedOut(
        kind=kind,
        id=id_,
        name=name,
        unsupported=report.unsupported,
        notes=[*report.notes, *(notes or [])],
    )
