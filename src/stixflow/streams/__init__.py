"""Live streams: the event log served as Server-Sent Events, and the synchroniser that follows
another stixflow's stream.

::

    view.py      what one reader of one stream gets from the log: filter, markings, dependencies
    sse.py       the wire format (event ids are the log's sequence numbers)
    server.py    one connection: connected, optional snapshot, tail of the log, heartbeats
    sync/        the synchroniser: records, the consumer thread, its manager and service

See ``docs/sharing.md``.
"""
