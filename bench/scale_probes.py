"""The reads the "knowledge base at scale" scenario times on a built store: text search (a fixed
list of names, aliases, partial domains, IPs and description words; the first page, as the UI's
search-as-you-type asks it), object lists, relationships and TAXII pages. Each probe is timed
``ROUNDS`` times; p50 and p95 are over every timing."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from stixflow.runtime import Runtime
from stixflow.store.base import Access, ObjectQuery
from stixflow.store.search import like_pattern
from stixflow.taxii.filters import ObjectFilter
from stixflow.taxii.reader import CollectionReader, Match

ROUNDS = 3
PAGE = 50
TAXII_PAGE = 1000
TAXII_PAGES = 10
SEARCHES = (
    # names and aliases (ATT&CK, copy 0 and renamed copies)
    "apt41",
    "sandworm team",
    "wicked panda",
    "fancy bear",
    "cobalt strike",
    "mimikatz #3",
    # partial domains and IPs (Unit 42 indicators)
    ".xyz",
    "duckdns",
    "194.5.249",
    "185.183",
    # description words
    "credential dumping",
    "spearphishing attachment",
)
EVERYTHING = Access.everything()


def percentiles(timings: list[float]) -> tuple[float, float]:
    ordered = sorted(timings)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def timed(probe: Callable[[], Any], rounds: int = ROUNDS) -> list[float]:
    found = []
    for _ in range(rounds):
        started = time.perf_counter()
        probe()
        found.append(time.perf_counter() - started)
    return found


def search(runtime: Runtime) -> dict[str, list[float]]:
    """Each query's timings."""
    timings: dict[str, list[float]] = {}
    for text in SEARCHES:
        query = ObjectQuery(text=text, limit=PAGE)
        timings[text] = timed(lambda query=query: runtime.store.query(query, access=EVERYTHING))
    return timings


def like_scan(runtime: Runtime) -> list[float]:
    """The same searches as the ``LIKE`` scan they replace (first page), once each; the column
    is wrapped in an expression so that no index answers it (PostgreSQL's planner would use the
    trigram index for a plain ``LIKE``)."""
    timings: list[float] = []
    for text in SEARCHES:
        with runtime.db.read() as tx:
            started = time.perf_counter()
            tx.fetchall(
                "SELECT id FROM objects WHERE (search_text || '') LIKE ? ESCAPE '\\' "
                "ORDER BY id LIMIT ?",
                [like_pattern(text), PAGE],
            )
            timings.append(time.perf_counter() - started)
    return timings


def object_lists(runtime: Runtime) -> list[float]:
    """The first five pages of three types."""
    timings: list[float] = []
    for kind in ("attack-pattern", "indicator", "relationship"):
        cursor = None
        for _ in range(5):
            query = ObjectQuery(types=(kind,), limit=PAGE, cursor=cursor)
            started = time.perf_counter()
            page = runtime.store.query(query, access=EVERYTHING)
            timings.append(time.perf_counter() - started)
            cursor = page.next_cursor
    return timings


def relationships(runtime: Runtime, ids: list[str]) -> list[float]:
    timings: list[float] = []
    for object_id in ids:
        timings += timed(lambda i=object_id: runtime.store.relationships(i, access=EVERYTHING))
    return timings


def hubs(runtime: Runtime, count: int = 20) -> list[str]:
    """Fixed objects to ask relationships of: the first intrusion sets and malware by id."""
    with runtime.db.read() as tx:
        found = tx.fetchall(
            "SELECT id FROM objects WHERE type IN ('intrusion-set', 'malware') ORDER BY id LIMIT ?",
            (count,),
        )
    return [object_id for (object_id,) in found]


def taxii_pages(runtime: Runtime) -> list[float]:
    """Pages of 1000 from the start of the collection of everything, then from its middle."""
    reader = CollectionReader(runtime.db, ObjectFilter(), EVERYTHING)
    with runtime.db.read() as tx:
        middle = int(tx.scalar("SELECT COALESCE(MAX(seq), 0) FROM stream_events")) // 2
    timings: list[float] = []
    for start in (0, middle):
        after = start
        for _ in range(TAXII_PAGES // 2):
            started = time.perf_counter()
            page = reader.page(Match(), limit=TAXII_PAGE, after=after)
            timings.append(time.perf_counter() - started)
            if page.next is None:
                break
            after = int(page.next)
    return timings
