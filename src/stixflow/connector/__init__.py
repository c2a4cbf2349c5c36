"""The stixflow connector SDK: write a program that feeds stixflow in minutes.

::

    from stixflow.connector import Connector, load_config

    class MyFeed(Connector):
        def process(self, since):               # history from start_date, then real time
            objects = fetch_and_map(since)
            self.send_bundle(objects)            # counted on this run's work
            self.set_state({"since": ...})       # kept by the platform

    MyFeed(load_config()).run()                  # first run now, then every period

``config.py`` (env ``STIXFLOW_CONNECTOR_*`` and a TOML file), ``client.py`` (the platform's
REST API), ``base.py`` (the ``Connector`` class: state, scheduling, works, graceful stop).
See ``docs/connectors.md`` and ``examples/connector_minimal.py``.
"""

from stixflow.connector.base import Connector
from stixflow.connector.client import PlatformClient
from stixflow.connector.config import ConnectorConfig, load_config

__all__ = ["Connector", "ConnectorConfig", "PlatformClient", "load_config"]
