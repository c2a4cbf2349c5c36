"""Connectors: programs that feed stixflow, registered, stateful, with works and a reset.

::

    model.py       connector types, the Connector record, its live info
    records.py     SQL access to the ``connectors`` and ``connector_resets`` tables
    service.py     register / ping / state / reset / delete / works / push, audited
    builtin.py     native ingesters shown as built-in connectors
    broker.py      queue coordinates handed to connectors; per-connector RabbitMQ accounts
    opencti.py     OpenCTI's queue message formats (push envelope, listen job)
    enrichment.py  enrichment jobs on a connector's listen queue (on demand or automatic)
    graphql/       the OpenCTI-compatible ``/graphql`` surface pycti connectors talk to
    sdk.py         (see ``stixflow.connector``) our own SDK for writing one

See ``docs/connectors.md``.
"""
