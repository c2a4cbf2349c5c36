"""Native ingestion: feeds pulled by the ingestion manager and queued like any other import.

::

    manager.py   the loop inside ``stixflow serve``: lock, due feeds, back-pressure, deadlines
    base.py      the one path every kind shares: fetch → map → bundle → queue → save cursor
    records.py   the ingester rows: settings, cursor, health, items already seen
    service.py   create / update / start / stop / reset / test, for the API and the CLI
    http.py      the HTTP client: timeouts, retries, conditional GET, proxy, TLS, size cap
    taxii.py     TAXII 2.1 collections (``taxii``)
    rss.py       RSS and Atom feeds (``rss``), parsed by ``feeds.py``
    registry.py  kind → module
    lock.py      one acting manager per database (PostgreSQL advisory lock, SQLite lease)

See ``docs/ingestion.md``.
"""
