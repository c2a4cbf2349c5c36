"""RSS and Atom feeds: each new item becomes one STIX 2.1 ``report`` (STIX 2.1 §4.14).

The report: ``name`` from the title, ``description`` from the summary (or content) as Markdown,
``published`` from the item's date, the item's link as an external reference, ``labels`` from its
categories, the ingester's ``report_types``, default author (``created_by_ref``) and default
markings. STIX requires ``object_refs`` on a report: it references the author identity, which
the bundle also carries when the author is the feed itself (no default author set).

What is new: items dated before ``import_from`` or before the cursor (the newest date seen) are
skipped, and so is any item seen before, by guid or else link, however the feed re-orders or
re-dates it. An item keeps the name and date it was first mapped with, so its report id (OpenCTI's
standard id over name and published) never changes, even when it is sent again after a reset.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from pydantic import BaseModel

from stixflow.access.markings import resolve_marking
from stixflow.access.organizations import find_organization, identity_of
from stixflow.clock import now
from stixflow.errors import InvalidInput, SourceError
from stixflow.ingest.base import FeedKind, Page, Prepared
from stixflow.ingest.common import http_options, import_from_of, parse_timestamp, stix_time
from stixflow.ingest.feeds import Feed, FeedItem, parse_feed
from stixflow.ingest.http import HttpClient, Validators
from stixflow.ingest.records import Ingester, IngesterRecords, SeenItem
from stixflow.ingest.schemas import RssFields
from stixflow.ingest.verify import feed_media, fetch_checked, probe_ingester
from stixflow.net.checks import Outbound
from stixflow.runtime import Runtime
from stixflow.stix.ids import standard_id
from stixflow.store.base import StixObject

FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.8"


class RssFeed(FeedKind):
    kind = "rss"

    def prepare(
        self,
        settings: BaseModel,
        *,
        current: Ingester | None,
        runtime: Runtime,
        verify: bool = True,
    ) -> Prepared:
        assert isinstance(settings, RssFields)
        with runtime.db.read() as tx:
            author = find_organization(tx, settings.author).id if settings.author else None
            markings = [resolve_marking(tx, ref) for ref in settings.markings]
        config = {
            "url": settings.url,
            "report_types": list(settings.report_types),
            "author": author,
            "markings": list(dict.fromkeys(markings)),
        }
        notes: tuple[str, ...] = ()
        if verify and (current is None or current.config.get("url") != config["url"]):
            notes = (self._verify(config, settings, Outbound.user_check(runtime.settings)),)
        return Prepared(config=config, secret={}, notes=notes)

    def _verify(self, config: dict[str, Any], settings: RssFields, outbound: Outbound) -> str:
        """The creation check (``ingest.verify``), then the document must parse as a feed."""
        url = config["url"]
        probe = probe_ingester(self.kind, config, {}, settings)
        with self.client(probe, deadline=time.monotonic() + 120.0, outbound=outbound) as http:
            fetched = fetch_checked(http, url, expected="an RSS or Atom feed", accepts=feed_media)
        try:
            feed = parse_feed(fetched.body, content_type=fetched.headers.get("Content-Type"))
        except SourceError as exc:
            raise InvalidInput(f"cannot use {url}: {exc}") from exc
        return f"tested: the feed holds {len(feed.items)} items"

    def public_config(self, ingester: Ingester) -> dict[str, Any]:
        return dict(ingester.config)

    def client(
        self, ingester: Ingester, *, deadline: float | None, outbound: Outbound
    ) -> HttpClient:
        return HttpClient(
            http_options(ingester, outbound=outbound),
            deadline=deadline,
            headers={"Accept": FEED_ACCEPT},
        )

    def reset_state(self, ingester: Ingester) -> dict[str, Any]:
        kept = {"author_created"} & ingester.state.keys()
        return {key: ingester.state[key] for key in kept}

    def pages(
        self, ingester: Ingester, http: HttpClient, records: IngesterRecords
    ) -> Iterator[Page]:
        state = ingester.state
        validators = Validators(state.get("etag"), state.get("last_modified"))
        fetched = http.get(ingester.config["url"], headers=validators.headers)
        if fetched.not_modified:
            yield Page([], state=dict(state))
            return
        if fetched.status != 200:
            raise fetched.fail()
        feed = parse_feed(fetched.body, content_type=fetched.headers.get("Content-Type"))
        fresh = new_items(feed.items, ingester)
        seen = records.seen_items(ingester.id, [item.key for item in fresh])
        mapper = ReportMapper(ingester, feed)
        objects, marks = [], []
        for item in fresh:
            known = seen.get(item.key)
            if known is not None and known[1] == ingester.generation:
                continue
            mark = known[0] if known else first_sight(item)
            objects.append(mapper.report(item, mark))
            marks.append(mark)
        new_state = {
            **state,
            "etag": fetched.validators.etag,
            "last_modified": fetched.validators.last_modified,
            "newest": _newest(state.get("newest"), feed.items),
        }
        if objects:
            objects = [*mapper.author_objects(), *objects]
            new_state["author_created"] = mapper.author_created
        yield Page(objects, state=new_state, seen=marks)


def new_items(items: list[FeedItem], ingester: Ingester) -> list[FeedItem]:
    """Items not older than ``import_from`` nor than the cursor, oldest first (undated last)."""
    floor = import_from_of(ingester)
    cursor = parse_timestamp(ingester.state.get("newest") or "")
    limit = max(filter(None, (floor, cursor)), default=None)
    kept = [i for i in items if i.published is None or limit is None or i.published >= limit]
    unique = list({item.key: item for item in reversed(kept)}.values())[::-1]
    return sorted(unique, key=lambda i: i.published or datetime.max.replace(tzinfo=UTC))


def first_sight(item: FeedItem) -> SeenItem:
    published = stix_time(item.published) if item.published else now()
    return SeenItem(key=item.key, name=item.title, published=published)


def _newest(previous: str | None, items: list[FeedItem]) -> str | None:
    dates = [i.published for i in items if i.published is not None]
    old = parse_timestamp(previous or "")
    if old is not None:
        dates.append(old)
    return stix_time(max(dates)) if dates else previous


class ReportMapper:
    """Feed items → reports, with the ingester's defaults and the author they reference."""

    def __init__(self, ingester: Ingester, feed: Feed) -> None:
        self.ingester = ingester
        self.feed = feed
        self.feed_name = feed.title or _host(ingester.config["url"])
        self.author_created: str = ingester.state.get("author_created") or now()
        self.feed_identity: StixObject | None = None
        self.author_id: str | None = ingester.config.get("author")
        if self.author_id is None:
            self.feed_identity = identity_of(self.feed_name, created=self.author_created)
            self.author_id = self.feed_identity["id"]

    def author_objects(self) -> list[StixObject]:
        return [self.feed_identity] if self.feed_identity is not None else []

    def report(self, item: FeedItem, mark: SeenItem) -> StixObject:
        config = self.ingester.config
        report: StixObject = {
            "type": "report",
            "spec_version": "2.1",
            "created": mark.published,
            "modified": mark.published,
            "name": mark.name,
            "published": mark.published,
            "report_types": list(config.get("report_types") or ["threat-report"]),
            "object_refs": [self.author_id],
            "created_by_ref": self.author_id,
        }
        if item.description:
            report["description"] = item.description
        if item.labels:
            report["labels"] = list(item.labels)
        link = absolute_link(config["url"], item.link)
        if link:
            report["external_references"] = [
                {"source_name": self.feed_name, "description": item.title, "url": link}
            ]
        if config.get("markings"):
            report["object_marking_refs"] = list(config["markings"])
        report_id = standard_id(report)
        assert report_id is not None
        return {"id": report_id, **report}


def absolute_link(base: str, link: str | None) -> str | None:
    """The item's link made absolute against the feed's URL; None unless http(s)."""
    if not link:
        return None
    absolute = urljoin(base, link.strip())
    parts = urlsplit(absolute)
    return absolute if parts.scheme in ("http", "https") and parts.netloc else None


def _host(url: str) -> str:
    return urlsplit(url).hostname or url
