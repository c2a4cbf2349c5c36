"""Prometheus metrics (``/metrics``): what an operator's monitoring scrapes.

``collector`` reads the platform's state from the database and the broker at scrape time (so
every API process answers the same, and nothing is added to the write path); ``http`` times the
requests of this API process per route.
"""
