"""TAXII 2.1 in both directions (OASIS TAXII 2.1, sections 4 and 5).

::

    media.py        media types, Accept / Content-Type negotiation
    filters.py      the saved filter of a collection or a live stream
    collections.py  collections admins define (saved filters, public or not)
    reader.py       objects, manifest, versions of a collection, read from the store + event log
    resources.py    discovery, API root, collection, envelope, manifest and status resources
    push.py         TAXII Push ingesters: who may push, Add Objects, the status of a push

The HTTP side is ``stixflow.api.routes.taxii`` (server) and ``taxii_collections`` /
``taxii_push`` (administration). See ``docs/sharing.md``.
"""
