"""The web UI: server-rendered pages (Jinja2) with htmx, served by ``stixflow serve`` itself.

``app.install`` mounts it on the API application: ``/login``, ``/`` (dashboard),
``/knowledge/…`` (objects), ``/data/ingestion/…`` (one tab per ingester kind and the
connectors) and ``/data/csv-mappers``. Pages call the same services as the API routes; the
session is an expiring API token kept in an HttpOnly cookie.
"""
