"""RSS and Atom feeds served on loopback: real vendor feeds and feedparser's own samples."""

from __future__ import annotations

from pathlib import Path

import pytest
from stix2validator import ValidationOptions, validate_instance

from stixflow.access.markings import TLP_BY_NAME
from stixflow.errors import InvalidInput, SourceError
from stixflow.ingest.feeds import parse_feed
from stixflow.ingest.records import Ingester
from stixflow.ingest.rss import ReportMapper, first_sight
from stixflow.ingest.schemas import RssCreate
from stixflow.ingest.service import IngestionService
from stixflow.runtime import Runtime
from stixflow.stix.validate import default_validator
from stixflow.store.base import Access, ObjectQuery
from tests.ingest.servers import FeedServer, Route
from tests.support import drain

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY a "lol">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
]>
<rss version="2.0"><channel><title>&d;</title>
<item><title>&d;</title><link>http://x.example/1</link></item></channel></rss>"""


def rss(*items: tuple[str, str, str]) -> bytes:
    """A small RSS 2.0 document of (title, link, pubDate) items."""
    body = "".join(
        f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
        f"<description>&lt;p&gt;About &lt;b&gt;{title}&lt;/b&gt;&lt;/p&gt;</description>"
        f"<pubDate>{date}</pubDate></item>"
        for title, link, date in items
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Vendor blog</title>'
        f"<link>https://vendor.example/</link>{body}</channel></rss>"
    ).encode()


def reports(runtime: Runtime, source: str) -> list[dict]:
    query = ObjectQuery(types=("report",), source=source, limit=1000)
    return runtime.store.query(query, access=Access.everything()).objects


def run_and_drain(runtime: Runtime, service: IngestionService, ingester_id: str) -> int:
    outcome = service.run_now("rss", ingester_id)
    assert outcome.error is None, outcome.error
    for work in outcome.works:
        drain(runtime, work)
    return outcome.queued


def test_real_vendor_feeds_become_reports(
    runtime: Runtime, service: IngestionService, feeds: FeedServer, data_dir: Path
) -> None:
    citrix = feeds.serve("/citrix.xml", Route((data_dir / "rss/rss-citrix.xml").read_bytes()))
    google = feeds.serve(
        "/google.xml",
        Route((data_dir / "rss/rss-google.xml").read_bytes(), content_type="application/atom+xml"),
    )
    first = service.create(
        "rss",
        RssCreate(
            name="Citrix bulletins",
            url=citrix,
            report_types=["threat-report", "vulnerability"],
            markings=["TLP:GREEN"],
            create_source_user=True,
            source_name="Citrix",
        ),
    )
    assert any("[F] Citrix" in note for note in first.notes)
    author = first.settings["author"]
    assert author.startswith("identity--")
    second = service.create("rss", RssCreate(name="Google bulletins", url=google))
    assert run_and_drain(runtime, service, first.id) == 1
    assert run_and_drain(runtime, service, second.id) == 2  # the feed's identity and 1 report

    (report,) = reports(runtime, first.source)
    assert report["name"] == "ShareFile StorageZones Controller Security Update for CVE-2023-24489"
    assert report["published"] == "2023-08-17T20:40:08.000Z"
    assert report["labels"] == ["ShareFile", "Citrix Content Collaboration"]
    assert report["report_types"] == ["threat-report", "vulnerability"]
    assert report["created_by_ref"] == author and report["object_refs"] == [author]
    assert report["object_marking_refs"] == [TLP_BY_NAME["TLP:GREEN"]["id"]]
    assert "<" not in report["description"] and "**CTX559517**" in report["description"]
    link = report["external_references"][0]["url"]
    assert link.startswith("https://support.citrix.com/article/CTX559517/")

    (bulletin,) = reports(runtime, second.source)
    assert bulletin["name"] == "GCP-2023-026"
    assert bulletin["published"] == "2023-09-11T14:59:07.818Z"
    assert "CVE-2023-3676" in bulletin["description"] and "<td>" not in bulletin["description"]
    feed_identity = runtime.store.get(bulletin["created_by_ref"], access=Access.everything())
    assert feed_identity is not None
    assert feed_identity.data["name"] == "Google Cloud - Security Bulletins"
    for obj in (report, bulletin, feed_identity.data):
        assert validate_instance(obj, ValidationOptions(version="2.1")).is_valid


def test_an_item_seen_before_never_makes_a_second_report(
    runtime: Runtime, service: IngestionService, feeds: FeedServer
) -> None:
    a = ("Alpha", "https://vendor.example/a", "Mon, 01 Jan 2024 10:00:00 GMT")
    b = ("Beta", "https://vendor.example/b", "Tue, 02 Jan 2024 10:00:00 GMT")
    c = ("Gamma", "https://vendor.example/c", "Wed, 03 Jan 2024 10:00:00 GMT")
    url = feeds.serve("/blog.xml", Route(rss(a, b, c)))
    created = service.create(
        "rss", RssCreate(name="blog", url=url, import_from="2024-01-02T00:00:00Z")
    )
    assert run_and_drain(runtime, service, created.id) == 1 + 2  # identity, Beta, Gamma

    redated = ("Beta", b[1], "Fri, 05 Jan 2024 10:00:00 GMT")
    d = ("Delta", "https://vendor.example/d", "Thu, 04 Jan 2024 10:00:00 GMT")
    feeds.serve("/blog.xml", Route(rss(d, c, redated, a)))
    assert run_and_drain(runtime, service, created.id) == 1 + 1  # identity, Delta

    assert service.run_now("rss", created.id).queued == 0  # unchanged: 304 Not Modified
    assert "If-None-Match" in feeds.requests[-1][1]
    names = sorted(r["name"] for r in reports(runtime, created.source))
    assert names == ["Beta", "Delta", "Gamma"]

    reset = service.reset("rss", created.id)
    assert reset.ingester.state.get("newest") is None
    assert run_and_drain(runtime, service, created.id) == 1 + 3  # sent again after a reset...
    again = sorted(r["name"] for r in reports(runtime, created.source))
    assert again == names  # ...onto the same reports (Beta keeps its first date and id)


def test_entity_expansion_is_refused(
    runtime: Runtime, service: IngestionService, feeds: FeedServer
) -> None:
    url = feeds.serve("/bomb.xml", Route(BILLION_LAUGHS))
    with pytest.raises(InvalidInput, match="refused: the document declares XML entities"):
        service.create("rss", RssCreate(name="bomb", url=url))
    feeds.serve(
        "/bomb.xml",
        Route(rss(("One", "https://vendor.example/1", "Mon, 01 Jan 2024 10:00:00 GMT"))),
    )
    created = service.create("rss", RssCreate(name="bomb", url=url))
    feeds.serve("/bomb.xml", Route(BILLION_LAUGHS))  # the feed turns hostile after creation
    outcome = service.run_now("rss", created.id)
    assert outcome.queued == 0 and "refused" in str(outcome.error)
    assert "entities" in str(service.get("rss", created.id).health.last_error)


ILL_FORMED = [
    "aaa_illformed.xml",
    "rss_empty_document.xml",
    "rss_incomplete_cdata.xml",
    "rss_item_link_corrupted_ampersands.xml",
    "undeclared_namespace.xml",
]


@pytest.mark.parametrize("name", ILL_FORMED)
def test_ill_formed_samples_are_refused(data_dir: Path, name: str) -> None:
    body = (data_dir / "rss/feedparser-samples/illformed" / name).read_bytes()
    with pytest.raises(SourceError):
        parse_feed(body)


def test_every_well_formed_sample_maps_to_valid_reports(data_dir: Path) -> None:
    """feedparser's own corpus: every item with a title becomes a report that validates."""
    validator = default_validator()
    files = sorted((data_dir / "rss/feedparser-samples/wellformed").rglob("*.xml"))
    assert len(files) > 1700
    draft = Ingester(
        id="x", kind="rss", name="x", description="", source="x", running=True, user_id=None,
        created_by=None, import_from=None, scheduling_period="PT1H",
        config={"url": "http://feed.example/", "report_types": ["threat-report"]},
    )  # fmt: skip
    mapped = refused = 0
    for path in files:
        try:
            feed = parse_feed(path.read_bytes())
        except SourceError:
            refused += 1
            continue
        mapper = ReportMapper(draft, feed)
        for obj in [
            *mapper.author_objects(),
            *(mapper.report(i, first_sight(i)) for i in feed.items),
        ]:
            assert validator.check(obj) is None, (path, obj, validator.check(obj))
            if obj["type"] == "report":
                mapped += 1
                text = obj["name"] + obj.get("description", "")
                assert "<script" not in text.lower() and "<iframe" not in text.lower(), path
    assert mapped > 150 and refused < 15
