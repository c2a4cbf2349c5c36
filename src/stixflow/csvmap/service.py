"""MapperService: CSV mapper CRUD, test and manual import, audited, for the API and the CLI.

A mapper is checked (``model.check``) before it is saved. A mapper used by a CSV feed cannot be
deleted. Markings named in a mapper resolve against a user: ``user-default`` to the default
markings of that user's groups, ``user-choice`` to the markings given with the run. A test of the
file at a URL is a check the user triggered: one GET under the outbound policy, no retries, and
a failure answers no sooner than the failure floor (``stixflow.net.checks``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from stixflow.access import audit
from stixflow.access.audit import Actor
from stixflow.access.markings import resolve_marking
from stixflow.access.principal import principal_of
from stixflow.csvmap.engine import Engine, Markings
from stixflow.csvmap.model import CsvMapperSpec, check
from stixflow.csvmap.schemas import ImportOut, MapperOut, RowProblemOut, TestOut
from stixflow.csvmap.store import MapperStore, StoredMapper
from stixflow.csvmap.tester import MAX_ERRORS, test_mapper
from stixflow.errors import Conflict, InvalidInput
from stixflow.ingest.http import HttpClient, HttpOptions
from stixflow.net.checks import Outbound
from stixflow.pipeline.works import Work
from stixflow.runtime import Runtime

#: The source (and so the queue, ``push_ImportCSV``) of manual CSV imports.
IMPORT_SOURCE = "ImportCSV"
DOWNLOAD_SECONDS = 120.0


def markings_for(runtime: Runtime, user_id: str | None, chosen: Sequence[str]) -> Markings:
    """What ``user-default`` and ``user-choice`` mean for ``user_id`` and these choices."""
    with runtime.db.read() as tx:
        defaults = principal_of(tx, user_id).default_markings if user_id else ()
        choice = tuple(dict.fromkeys(resolve_marking(tx, ref) for ref in chosen))
    return Markings(user_default=tuple(defaults), user_choice=choice)


@dataclass
class ImportProgress:
    rows: int = 0
    objects: int = 0
    errors: list[RowProblemOut] = field(default_factory=list)
    error_count: int = 0
    work: Work | None = None


class MapperService:
    def __init__(self, runtime: Runtime, *, actor: Actor) -> None:
        self.runtime = runtime
        self.actor = actor
        self.store = MapperStore(runtime.db)

    def list(self) -> list[MapperOut]:
        return [out(m) for m in self.store.list()]

    def get(self, ref: str) -> MapperOut:
        return out(self.store.get(ref))

    def create(self, spec: CsvMapperSpec) -> MapperOut:
        check(spec)
        with self.runtime.db.transaction() as tx:
            stored = self.store.insert(tx, spec, user_id=self.actor.user_id)
            self._audit(tx, "csv_mapper.created", stored.id, spec.name)
        return out(stored)

    def update(self, ref: str, spec: CsvMapperSpec) -> MapperOut:
        check(spec)
        with self.runtime.db.transaction() as tx:
            stored = self.store.get_in(tx, ref)
            self.store.update(tx, stored.id, spec)
            self._audit(tx, "csv_mapper.updated", stored.id, spec.name)
        return self.get(stored.id)

    def delete(self, ref: str) -> None:
        with self.runtime.db.transaction() as tx:
            stored = self.store.get_in(tx, ref)
            users = [
                row[0]
                for row in tx.fetchall("SELECT name, config FROM ingesters WHERE kind = 'csv'")
                if f'"mapper":"{stored.id}"' in row[1]
            ]
            if users:
                raise Conflict(f"CSV mapper {stored.spec.name!r} is used by feeds: {users}")
            self.store.delete(tx, stored.id)
            self._audit(tx, "csv_mapper.deleted", stored.id, stored.spec.name)

    def test(
        self, spec: CsvMapperSpec | str, lines: Iterable[str], *, markings: Sequence[str] = ()
    ) -> TestOut:
        """Map a sample as the caller; nothing is queued."""
        if isinstance(spec, str):
            spec = self.store.get(spec).spec
        check(spec)
        result = test_mapper(
            spec, lines, markings=markings_for(self.runtime, self.actor.user_id, markings)
        )
        return TestOut(
            rows=result.rows,
            entities=result.entities,
            relationships=result.relationships,
            by_type=result.by_type,
            objects=result.objects,
            errors=[RowProblemOut(line=e.line, reason=e.reason) for e in result.errors],
            error_count=result.error_count,
        )

    def test_url(self, ref: str, url: str, *, markings: Sequence[str] = ()) -> TestOut:
        """Map the file at ``url`` as the caller; nothing is queued."""
        outbound = Outbound.user_check(self.runtime.settings)
        with outbound.floor():
            return self.test(ref, download_lines(url, outbound), markings=markings)

    def import_lines(
        self,
        ref: str,
        lines: Iterable[str],
        *,
        name: str,
        markings: Sequence[str] = (),
        progress: ImportProgress | None = None,
        source: str = IMPORT_SOURCE,
    ) -> ImportOut:
        """Map and queue a CSV file chunk by chunk, as one work of ``source`` (the objects'
        source and the queue; ``ImportCSV`` unless the caller names one)."""
        spec = self.store.get(ref).spec
        user_id = self.actor.user_id
        engine = Engine(spec, markings=markings_for(self.runtime, user_id, markings))
        done = progress or ImportProgress()
        defaults = engine.markings.user_default
        for chunk in engine.chunks(lines):
            done.rows += len(chunk.rows)
            for row in chunk.errors:
                done.error_count += 1
                if len(done.errors) < MAX_ERRORS:
                    done.errors.append(RowProblemOut(line=row.line, reason=row.error or ""))
            if not chunk.objects:
                continue
            done.work = self.runtime.submitter.submit(
                chunk.objects,
                name=f"import {name} (CSV mapper {spec.name})",
                source=source,
                user_id=user_id,
                default_markings=defaults,
                work_id=done.work.id if done.work else None,
            )
            done.objects += len(chunk.objects)
        return ImportOut(
            work_id=done.work.id if done.work else None,
            rows=done.rows,
            objects=done.objects,
            errors=done.errors,
            error_count=done.error_count,
        )

    def _audit(self, tx: object, action: str, target: str, name: str) -> None:
        audit.record_by(
            tx,  # type: ignore[arg-type]
            self.actor,
            action,
            target=target,
            detail=f"csv mapper {name}",
        )


def download_lines(url: str, outbound: Outbound) -> list[str]:
    """The lines of the CSV file at ``url`` (http or https only)."""
    if not url.startswith(("http://", "https://")):
        raise InvalidInput("url must be an http(s) URL")
    options = HttpOptions(
        connect_timeout=outbound.connect_timeout(HttpOptions.timeout),
        retries=outbound.retries(HttpOptions.retries),
        policy=outbound.policy,
    )
    with HttpClient(options, deadline=time.monotonic() + DOWNLOAD_SECONDS) as http:
        fetched = http.get(url)
    if fetched.status != 200:
        raise fetched.fail()
    return fetched.body.decode("utf-8-sig", "replace").splitlines(keepends=True)


def out(stored: StoredMapper) -> MapperOut:
    return MapperOut(
        id=stored.id,
        name=stored.spec.name,
        spec=stored.spec,
        created_by=stored.created_by,
        created_at=stored.created_at,
        updated_at=stored.updated_at,
    )
