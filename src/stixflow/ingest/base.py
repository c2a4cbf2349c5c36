"""The one path every feed kind shares: fetch → map → bundle → queue → save the cursor.

A kind (``taxii.py``, ``rss.py``) only knows how to turn its source into pages of STIX objects
(``FeedKind.pages``); everything else happens here, once: bundles of bounded size are queued on
the ingester's own queue (``push_<source>``) as its user responsible for data creation, and the
new cursor and the items seen are saved only after every bundle of the run is queued (a crash in
between re-fetches, never skips: upserts make a second delivery harmless). Health (last run, last
success, last error, objects queued) is written whatever happens.
"""

from __future__ import annotations

import abc
import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import BaseModel

from stixflow.access.principal import principal_of
from stixflow.clock import now
from stixflow.errors import SourceError, StixflowError
from stixflow.ingest.common import Destination, destination_of
from stixflow.ingest.http import HttpClient
from stixflow.ingest.records import Ingester, IngesterRecords, SeenItem
from stixflow.logs import log_context
from stixflow.net.checks import Outbound
from stixflow.runtime import Runtime
from stixflow.store.base import StixObject

log = logging.getLogger("stixflow.ingest")

MAX_BUNDLE_OBJECTS = 1000
PREVIEW_LIMIT = 50


@dataclass
class Page:
    """Objects mapped from one fetch, the cursor to keep once they are queued, items seen."""

    objects: list[StixObject]
    state: dict[str, Any] | None = None
    seen: list[SeenItem] = field(default_factory=list)


@dataclass(frozen=True)
class Prepared:
    """A kind's settings after validation: stored config, stored secret, notes for the user."""

    config: dict[str, Any]
    secret: dict[str, Any]
    notes: tuple[str, ...] = ()


class FeedKind(abc.ABC):
    """What a feed kind provides; ``registry`` maps its name to one instance."""

    kind: ClassVar[str]
    default_period: ClassVar[str] = "PT1H"

    @abc.abstractmethod
    def prepare(
        self,
        settings: BaseModel,
        *,
        current: Ingester | None,
        runtime: Runtime,
        verify: bool = True,
    ) -> Prepared:
        """Check and normalise the kind's fields of a create (or a merged update); ``verify``
        false skips the checks that fetch the source (a configuration imported from a file)."""

    def destination(self, fields: Mapping[str, Any]) -> Destination:
        """Where the credentials of a feed with these create-shaped fields would be sent: a
        change of destination drops the stored credentials (``IngestionService``)."""
        return destination_of(fields)

    @abc.abstractmethod
    def public_config(self, ingester: Ingester) -> dict[str, Any]:
        """The settings shown to users: no secret, only which kind of credential is set."""

    @abc.abstractmethod
    def client(
        self, ingester: Ingester, *, deadline: float | None, outbound: Outbound
    ) -> HttpClient:
        """The HTTP client of one run or check, under the outbound policy."""

    @abc.abstractmethod
    def pages(
        self, ingester: Ingester, http: HttpClient, records: IngesterRecords
    ) -> Iterator[Page]:
        """Fetch what is new since ``ingester.state`` (following pagination) and map it."""

    def reset_state(self, ingester: Ingester) -> dict[str, Any]:
        """The cursor after a reset: back to ``import_from``."""
        return {}


@dataclass
class RunOutcome:
    queued: int = 0
    works: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


class BundleQueue:
    """Collects mapped objects and queues them as bundles of at most ``limit`` objects."""

    def __init__(self, runtime: Runtime, ingester: Ingester, *, limit: int) -> None:
        self.runtime = runtime
        self.ingester = ingester
        self.limit = limit
        self.buffer: list[StixObject] = []
        self.outcome = RunOutcome()
        self.markings = self._default_markings()

    def _default_markings(self) -> tuple[str, ...]:
        if self.ingester.user_id is None:
            return ()
        with self.runtime.db.read() as tx:
            return principal_of(tx, self.ingester.user_id).default_markings

    def add(self, objects: list[StixObject]) -> None:
        self.buffer.extend(objects)
        while len(self.buffer) >= self.limit:
            head, self.buffer = self.buffer[: self.limit], self.buffer[self.limit :]
            self._submit(head)

    def flush(self) -> None:
        if self.buffer:
            head, self.buffer = self.buffer, []
            self._submit(head)

    def _submit(self, objects: list[StixObject]) -> None:
        work = self.runtime.submitter.submit(
            objects,
            name=f"{self.ingester.name} run @ {now()}",
            source=self.ingester.source,
            user_id=self.ingester.user_id,
            default_markings=self.markings,
        )
        self.outcome.queued += len(objects)
        self.outcome.works.append(work.id)


def run_ingester(
    runtime: Runtime,
    feed: FeedKind,
    ingester: Ingester,
    *,
    deadline: float | None = None,
    bundle_limit: int = MAX_BUNDLE_OBJECTS,
) -> RunOutcome:
    """One run of one ingester, from its saved cursor to the end of what is new (its log lines
    name its source)."""
    with log_context(source=ingester.source):
        return _run(runtime, feed, ingester, deadline=deadline, bundle_limit=bundle_limit)


def _run(
    runtime: Runtime,
    feed: FeedKind,
    ingester: Ingester,
    *,
    deadline: float | None,
    bundle_limit: int,
) -> RunOutcome:
    started = time.monotonic()
    records = IngesterRecords(runtime.db, runtime.secrets)
    queue = BundleQueue(runtime, ingester, limit=bundle_limit)
    state, seen = dict(ingester.state), []
    outbound = Outbound.background(runtime.settings)
    try:
        with feed.client(ingester, deadline=deadline, outbound=outbound) as http:
            for page in feed.pages(ingester, http, records):
                queue.add(page.objects)
                state = page.state if page.state is not None else state
                seen.extend(page.seen)
        queue.flush()
    except StixflowError as exc:
        return _failed(records, ingester, queue.outcome, str(exc), started)
    except Exception as exc:  # a parser bug on one feed must not stop the others
        log.exception("ingester %s (%s) failed unexpectedly", ingester.name, ingester.id)
        return _failed(records, ingester, queue.outcome, f"internal error: {exc!r}", started)
    outcome = queue.outcome
    with runtime.db.transaction() as tx:
        records.record_success(
            tx,
            ingester,
            state=state,
            queued=outcome.queued,
            work_id=outcome.works[-1] if outcome.works else None,
        )
        records.mark_seen(tx, ingester.id, seen, ingester.generation)
    outcome.seconds = time.monotonic() - started
    log.info("ingester %s: %d objects queued", ingester.name, outcome.queued)
    return outcome


def _failed(
    records: IngesterRecords, ingester: Ingester, outcome: RunOutcome, message: str, started: float
) -> RunOutcome:
    log.warning("ingester %s (%s): %s", ingester.name, ingester.id, message)
    records.record_failure(
        ingester.id,
        message,
        queued=outcome.queued,
        work_id=outcome.works[-1] if outcome.works else None,
    )
    outcome.error = message
    outcome.seconds = time.monotonic() - started
    return outcome


@dataclass
class Preview:
    objects: list[StixObject]
    fetched: int
    truncated: bool


def preview(
    runtime: Runtime, feed: FeedKind, ingester: Ingester, *, limit: int = PREVIEW_LIMIT
) -> Preview:
    """A dry run: fetch and map from the saved cursor, queue nothing, save nothing. A check a
    user triggered: no retries, a capped connect timeout (``stixflow.net.checks``)."""
    records = IngesterRecords(runtime.db, runtime.secrets)
    found: list[StixObject] = []
    outbound = Outbound.user_check(runtime.settings)
    try:
        with feed.client(ingester, deadline=time.monotonic() + 120.0, outbound=outbound) as http:
            for page in feed.pages(ingester, http, records):
                found.extend(page.objects)
                if len(found) > limit:
                    break
    except StixflowError:
        raise
    except Exception as exc:  # as in ``run_ingester``: what the source sent broke a parser
        log.exception("preview of %s failed unexpectedly", ingester.name)
        raise SourceError(f"the source could not be read: internal error: {exc!r}") from exc
    return Preview(found[:limit], fetched=len(found), truncated=len(found) > limit)
