"""CSV feeds over loopback with the real abuse.ch exports: new rows only, unchanged files skipped,
markings of the feed's user, creation refused without a passing test, duplication."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from stixflow.access.audit import Actor
from stixflow.access.markings import TLP_BY_NAME
from stixflow.access.schemas import GroupCreate
from stixflow.access.service import AccessService
from stixflow.csvmap.service import MapperService
from stixflow.errors import InvalidInput
from stixflow.ingest.csv import duplicate
from stixflow.ingest.schemas import CsvCreate
from stixflow.ingest.service import IngestionService
from stixflow.runtime import Runtime
from stixflow.store.base import Access, ObjectQuery
from tests.csvmap.support import mapper, plain_rows
from tests.ingest.servers import FeedServer, Route
from tests.support import drain

SSLBL = "csv/sslblacklist_1.csv"
FEODO = "csv/feodo_ipblocklist_2024-03-26_23-30-15.csv"
TLP_GREEN = TLP_BY_NAME["TLP:GREEN"]["id"]
TLP_AMBER = TLP_BY_NAME["TLP:AMBER"]["id"]


def serve(feeds: FeedServer, body: bytes, **headers: str) -> str:
    return feeds.serve("/feed.csv", Route(body, content_type="text/csv", headers=headers))


def add_feed(service: IngestionService, url: str, mapper_name: str, **fields: object) -> str:
    spec = CsvCreate(name="SSLBL", url=url, mapper=mapper_name, **fields)  # type: ignore[arg-type]
    return service.create("csv", spec).id


def test_new_rows_only(
    runtime: Runtime, service: IngestionService, admin: Actor, feeds: FeedServer, data_dir: Path
) -> None:
    MapperService(runtime, actor=admin).create(mapper("sslbl"))
    body = (data_dir / SSLBL).read_bytes()
    rows = plain_rows(data_dir / SSLBL)
    feed = add_feed(service, serve(feeds, body), "SSLBL SHA1")

    first = service.run_now("csv", feed)
    assert first.error is None
    fingerprints = {row[1].lower() for row in rows}
    assert first.queued == 3 * len(fingerprints)  # certificate, indicator, based-on
    for work in first.works:
        drain(runtime, work)
    query = ObjectQuery(types=("indicator",), limit=1000)
    assert len(runtime.store.query(query, access=Access.everything()).objects) == len(rows)

    again = service.run_now("csv", feed)
    assert (again.queued, again.works, again.error) == (0, [], None)
    assert "unchanged_at" in service.get("csv", feed).state

    added = [
        "2024-07-20 08:00:00,1111111111111111111111111111111111111111,AsyncRAT C&C\n",
        "2024-07-20 09:00:00,2222222222222222222222222222222222222222,QakBot C&C\n",
    ]
    lines = body.decode().splitlines(keepends=True)
    grown = "".join(lines[:9] + added + lines[9:])  # newest first, after the comment header
    serve(feeds, grown.encode())
    third = service.run_now("csv", feed)
    assert third.queued == 3 * len(added)


def test_import_from_skips_older_rows_and_reset_sends_again(
    runtime: Runtime, service: IngestionService, admin: Actor, feeds: FeedServer, data_dir: Path
) -> None:
    MapperService(runtime, actor=admin).create(mapper("sslbl"))
    rows = plain_rows(data_dir / SSLBL)
    recent = {row[1] for row in rows if row[0] >= "2024-07-01"}
    feed = add_feed(
        service,
        serve(feeds, (data_dir / SSLBL).read_bytes()),
        "SSLBL SHA1",
        import_from="2024-07-01T00:00:00Z",
    )
    assert service.run_now("csv", feed).queued == 3 * len(recent)
    service.reset("csv", feed)
    assert service.run_now("csv", feed).queued == 3 * len(recent)


def test_markings_of_the_feed_user_not_the_admin(
    runtime: Runtime, service: IngestionService, admin: Actor, feeds: FeedServer, data_dir: Path
) -> None:
    access = AccessService(runtime.db, runtime.store, actor=admin)
    access.create_group(GroupCreate(name="Admin defaults", default_markings=["TLP:GREEN"]))
    access.add_member("Admin defaults", admin.user_id)
    access.create_group(GroupCreate(name="Feed defaults", default_markings=["TLP:AMBER"]))
    MapperService(runtime, actor=admin).create(mapper("feodo"))
    url = serve(feeds, (data_dir / FEODO).read_bytes())
    spec = CsvCreate(
        name="Feodo",
        url=url,
        mapper="Feodo Tracker C2 IPs",
        create_source_user=True,
        source_name="abuse.ch",
    )
    created = service.create("csv", spec)
    access.add_member("Feed defaults", created.user_id or "")
    lines = (data_dir / FEODO).read_text(encoding="utf-8").splitlines(keepends=True)
    preview = MapperService(runtime, actor=admin).test("Feodo Tracker C2 IPs", lines)
    assert {
        tuple(o.get("object_marking_refs", ())) for o in preview.objects if o["type"] == "indicator"
    } == {(TLP_GREEN,)}  # the admin testing it

    outcome = service.run_now("csv", created.id)
    assert outcome.error is None
    for work in outcome.works:
        drain(runtime, work)
    query = ObjectQuery(types=("indicator",), limit=1000)
    indicators = runtime.store.query(query, access=Access.everything()).objects
    assert len(indicators) == len({row[1] for row in plain_rows(data_dir / FEODO, header=True)})
    assert all(o["object_marking_refs"] == [TLP_AMBER] for o in indicators)


def test_creation_needs_a_passing_test_and_auth(
    runtime: Runtime, service: IngestionService, admin: Actor, feeds: FeedServer, data_dir: Path
) -> None:
    MapperService(runtime, actor=admin).create(mapper("feodo"))
    url = serve(feeds, (data_dir / SSLBL).read_bytes())  # the wrong file for this mapper
    with pytest.raises(InvalidInput, match="mapped no row"):
        add_feed(service, url, "Feodo Tracker C2 IPs")
    with pytest.raises(InvalidInput, match="needs a header name and a value"):
        add_feed(service, url, "Feodo Tracker C2 IPs", auth_type="header")
    feodo = serve(feeds, (data_dir / FEODO).read_bytes())
    feed = add_feed(
        service,
        feodo,
        "Feodo Tracker C2 IPs",
        auth_type="header",
        header_name="X-Api-Key",
        header_value=SecretStr("k3y"),
        running=True,
    )
    assert feeds.requests[-1][1].get("X-Api-Key") == "k3y"
    copy = duplicate(service, feed)
    assert (copy.name, copy.running, copy.state) == ("SSLBL-copy", False, {})
    assert copy.settings["credentials"] == ["header_value"]
    assert copy.source != service.get("csv", feed).source
