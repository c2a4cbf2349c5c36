"""The live-stream synchroniser: follow another stixflow's live stream and import what it sends.

::

    records.py   the ``stream_syncs`` rows: settings, checkpoint (last event id), health
    remote.py    the remote platform: validate URL + token, list its streams, test a stream
    apply.py     a batch of events → ordered works on the synchroniser's queue
    consumer.py  one synchroniser: an SSE client thread and an applier thread
    manager.py   inside ``stixflow serve``: starts and stops consumers as syncs start and stop
    service.py   create / update / start / stop / delete, for the API and the CLI
"""
