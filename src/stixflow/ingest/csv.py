"""CSV feeds: a CSV file at a URL, mapped by a stored CSV mapper, new rows queued at each run.

Each run downloads the file (auth: none, basic, bearer or a custom header). When its content is
unchanged (SHA-256 of its non-empty, non-comment lines) the run queues nothing. Otherwise the
rows are mapped chunk by chunk and only rows not queued by an earlier run are kept: a SHA-256 of
each row is remembered per feed (``ingester_items``) once the run has queued everything, so a
crash re-sends rather than skips. Rows whose date (the first date the mapper reads from a column)
is older than ``import_from`` are skipped. Rows that cannot be mapped are counted and the first
ones kept in the feed's state (``row_errors``) with their line numbers; the others go on.

The mapper's markings resolve against the feed's user (the user responsible for data
creation): ``user-default`` is that user's default markings, ``user-choice`` the feed's
``markings``. A feed is created only once a test of its URL and mapper maps at least one row.
Each run's works carry the feed's source, ``ingester-<uuid>``, the id under which the feed is
listed among the built-in connectors (``[CSV] <name>``, ``connectors/builtin.py``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import BaseModel

from stixflow.access.markings import resolve_marking
from stixflow.access.principal import principal_of
from stixflow.clock import now
from stixflow.csvmap.engine import Engine, Mapped, Markings
from stixflow.csvmap.model import CsvMapperSpec, check
from stixflow.csvmap.reader import content_hash
from stixflow.csvmap.store import MapperStore
from stixflow.errors import InvalidInput
from stixflow.ingest.base import FeedKind, Page, Prepared
from stixflow.ingest.common import http_options, import_from_of, parse_timestamp
from stixflow.ingest.http import HttpClient
from stixflow.ingest.records import Ingester, IngesterRecords, SeenItem, new_ingester_id, source_of
from stixflow.ingest.schemas import CsvFields, IngesterOut
from stixflow.ingest.verify import csv_media, fetch_checked, probe_ingester
from stixflow.net.checks import Outbound
from stixflow.runtime import Runtime

if TYPE_CHECKING:
    from stixflow.ingest.service import IngestionService  # the service imports the registry

CSV_ACCEPT = "text/csv, application/csv, text/plain;q=0.9, */*;q=0.8"
SECRET_FIELDS = ("password", "token", "header_value")
KEPT_ERRORS = 20
TEST_ROWS = 50


class CsvFeed(FeedKind):
    kind = "csv"

    def prepare(
        self,
        settings: BaseModel,
        *,
        current: Ingester | None,
        runtime: Runtime,
        verify: bool = True,
    ) -> Prepared:
        assert isinstance(settings, CsvFields)
        with runtime.db.read() as tx:
            mapper = MapperStore(runtime.db).get_in(tx, settings.mapper)
            markings = [resolve_marking(tx, ref) for ref in settings.markings]
        secret = {
            k: getattr(settings, k).get_secret_value()
            for k in SECRET_FIELDS
            if getattr(settings, k) is not None
        }
        config: dict[str, Any] = {
            "url": settings.url,
            "mapper": mapper.id,
            "auth_type": settings.auth_type,
            "username": settings.username,
            "header_name": settings.header_name,
            "markings": list(dict.fromkeys(markings)),
        }
        _check_auth(config, secret)
        notes: tuple[str, ...] = ()
        source_changed = (
            current is None
            or any(current.config.get(k) != config[k] for k in ("url", "mapper", "auth_type"))
            or current.secret != secret
        )
        if source_changed and not verify:
            notes = ("not tested: test it (ingest csv test) before starting it",)
        elif source_changed:
            outbound = Outbound.user_check(runtime.settings)
            notes = (self._verify(config, secret, mapper.spec, settings, outbound),)
        return Prepared(config=config, secret=secret, notes=notes)

    def _verify(
        self,
        config: dict[str, Any],
        secret: dict[str, Any],
        spec: CsvMapperSpec,
        settings: Any,
        outbound: Outbound,
    ) -> str:
        """The creation test: fetch the URL and map its first rows; at least one must map."""
        check(spec)
        probe = probe_ingester("csv", config, secret, settings)
        deadline = time.monotonic() + 120.0
        with self.client(probe, deadline=deadline, outbound=outbound) as http:
            fetched = fetch_checked(http, config["url"], expected="CSV", accepts=csv_media)
        lines = fetched.body.decode("utf-8-sig", "replace").splitlines(keepends=True)
        mapped, failed = 0, []
        for row in Engine(spec).rows(lines):
            if row.error is None and row.objects:
                mapped += 1
            elif row.error is not None:
                failed.append(f"line {row.line}: {row.error}")
            if mapped + len(failed) >= TEST_ROWS:
                break
        if not mapped:
            why = "; ".join(failed[:3]) or "the file has no data rows"
            raise InvalidInput(
                f"the test of {config['url']} with mapper {spec.name!r} mapped no row: {why}"
            )
        return f"tested: {mapped} of the first {mapped + len(failed)} rows map"

    def public_config(self, ingester: Ingester) -> dict[str, Any]:
        config = dict(ingester.config)
        config["credentials"] = sorted(k for k, v in ingester.secret.items() if v)
        return config

    def client(
        self, ingester: Ingester, *, deadline: float | None, outbound: Outbound
    ) -> HttpClient:
        """Credentials (basic, bearer or a custom header) go to the feed's origin only."""
        config, secret = ingester.config, ingester.secret
        credentials: dict[str, str] = {}
        auth = None
        if config.get("auth_type") == "basic":
            auth = httpx.BasicAuth(config.get("username") or "", secret.get("password") or "")
        elif config.get("auth_type") == "bearer":
            credentials["Authorization"] = f"Bearer {secret.get('token') or ''}"
        elif config.get("auth_type") == "header":
            credentials[config["header_name"]] = secret.get("header_value") or ""
        return HttpClient(
            http_options(ingester, outbound=outbound),
            deadline=deadline,
            headers={"Accept": CSV_ACCEPT},
            credentials=credentials,
            auth=auth,
        )

    def pages(
        self, ingester: Ingester, http: HttpClient, records: IngesterRecords
    ) -> Iterator[Page]:
        spec = MapperStore(records.db).get(ingester.config["mapper"]).spec
        lines = _download(http, ingester.config["url"])
        digest = content_hash(lines, spec.skip_line_char)
        state = dict(ingester.state)
        if state.get("content_hash") == digest:
            yield Page([], state={**state, "unchanged_at": now()})
            return
        engine = Engine(spec, markings=_markings(records, ingester))
        floor = import_from_of(ingester)
        tally = {"rows": 0, "new_rows": 0, "old_rows": 0, "errors": 0}
        errors: list[dict[str, Any]] = []
        for chunk in engine.chunks(lines):
            keep = _new_rows(records, ingester, chunk.rows)
            fresh: list[Mapped] = []
            for row in chunk.rows:
                tally["rows"] += 1
                if row.error is not None:
                    tally["errors"] += 1
                    if len(errors) < KEPT_ERRORS:
                        errors.append({"line": row.line, "reason": row.error})
                elif floor is not None and row.date and _before(row.date, floor):
                    tally["old_rows"] += 1
                elif row.key in keep:
                    fresh.append(row)
            tally["new_rows"] += len(fresh)
            objects = list({o["id"]: o for row in fresh for o in row.objects}.values())
            seen = [SeenItem(key=row.key, name="", published="") for row in fresh]
            yield Page(objects, seen=seen)
        new_state = {"content_hash": digest, "last_file": tally, "row_errors": errors}
        yield Page([], state=new_state)


def _download(http: HttpClient, url: str) -> list[str]:
    fetched = http.get(url)
    if fetched.status != 200:
        raise fetched.fail()
    return fetched.body.decode("utf-8-sig", "replace").splitlines(keepends=True)


def _new_rows(records: IngesterRecords, ingester: Ingester, rows: list[Mapped]) -> set[str]:
    """Keys of ``rows`` not queued by an earlier run of this generation."""
    keys = list(dict.fromkeys(row.key for row in rows if row.error is None))
    seen = records.seen_items(ingester.id, keys)
    return {k for k in keys if k not in seen or seen[k][1] != ingester.generation}


def _before(date: str, floor: Any) -> bool:
    moment = parse_timestamp(date)
    return moment is not None and moment < floor


def _markings(records: IngesterRecords, ingester: Ingester) -> Markings:
    """The mapper's named markings for this feed: its user's defaults, its chosen markings."""
    defaults: tuple[str, ...] = ()
    if ingester.user_id is not None:
        with records.db.read() as tx:
            defaults = principal_of(tx, ingester.user_id).default_markings
    return Markings(user_default=defaults, user_choice=tuple(ingester.config.get("markings", [])))


def _check_auth(config: dict[str, Any], secret: dict[str, Any]) -> None:
    kind = config["auth_type"]
    if kind == "basic" and not (config.get("username") and secret.get("password")):
        raise InvalidInput("basic authentication needs a username and a password")
    if kind == "bearer" and not secret.get("token"):
        raise InvalidInput("bearer authentication needs a token")
    if kind == "header" and not (config.get("header_name") and secret.get("header_value")):
        raise InvalidInput("header authentication needs a header name and a value")


def duplicate(service: IngestionService, ref: str) -> IngesterOut:
    """A copy of a CSV feed the caller may act on, with its settings and credentials (same
    destination), named ``<name>-copy``, owned by the caller, stopped, with a fresh source and
    no state (its first run imports the whole file)."""
    current = service.owned("csv", ref)
    runtime, actor = service.runtime, service.actor
    stamp = now()
    copy_id = new_ingester_id()
    copy = replace(
        current,
        id=copy_id,
        name=_free_name(service, f"{current.name}-copy"),
        source=source_of(copy_id),
        running=False,
        created_by=actor.user_id,
        state={},
        generation=0,
        last_run_at=None,
        last_success_at=None,
        last_error=None,
        last_error_at=None,
        last_run_objects=0,
        total_objects=0,
        last_work_id=None,
        buffering=False,
        created_at=stamp,
        updated_at=stamp,
    )
    with runtime.db.transaction() as tx:
        service.records.insert(tx, copy)
        service._audit(tx, "ingester.duplicated", copy)
    runtime.registry.ensure(runtime.queue, copy.source)
    return service.out(copy, notes=(f"copy of {current.name} ({current.id})",))


def _free_name(service: Any, name: str) -> str:
    candidate, number = name, 2
    while service.records_named("csv", candidate):
        candidate, number = f"{name}-{number}", number + 1
    return candidate
