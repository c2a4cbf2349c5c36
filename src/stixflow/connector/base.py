"""``Connector``: the base class of a stixflow connector.

A subclass writes ``process(since)``: fetch what is new since ``since`` (the configured start
date on the first run and after a reset, else whatever the subclass keeps in its state), map it
to STIX, ``send_bundle`` it, ``set_state``. ``run()`` registers, runs once at once, then every
``period`` until SIGTERM/SIGINT (or ``stop()``); each run is one work on the platform, marked
processed at its end (in error if ``process`` raised). A reset on the platform is noticed on the
next state write or run: the state goes back to None and the next run starts from the start date.
"""

from __future__ import annotations

import abc
import logging
import signal
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

from stixflow.connector.client import PlatformClient
from stixflow.connector.config import ConnectorConfig
from stixflow.errors import StixflowError

STAMP = "%Y-%m-%dT%H:%M:%SZ"


class Connector(abc.ABC):
    def __init__(self, config: ConnectorConfig, *, client: PlatformClient | None = None) -> None:
        self.config = config
        self.client = client or PlatformClient(config)
        self.log = logging.LoggerAdapter(
            logging.getLogger(f"stixflow.connector.{config.id}"), {"connector": config.name}
        )
        self._stop = threading.Event()
        self._state: dict[str, Any] | None = None
        self._work_id: str | None = None
        self._registered = False
        self._last_run: str | None = None
        self.sent = 0

    # -- what a subclass writes ---------------------------------------------------------

    @abc.abstractmethod
    def process(self, since: datetime | None) -> None:
        """One run: fetch what is new since ``since``, ``send_bundle`` it, ``set_state``."""

    def since(self, state: dict[str, Any] | None) -> datetime | None:
        """Where a run starts: ``state["since"]`` if the subclass keeps it, else the start date."""
        if state and state.get("since"):
            return datetime.fromisoformat(str(state["since"]).replace("Z", "+00:00"))
        return self.config.start_date

    # -- what it calls --------------------------------------------------------------------

    def get_state(self) -> dict[str, Any] | None:
        return self._state

    def set_state(self, state: dict[str, Any] | None) -> None:
        """Keep ``state`` on the platform (it survives this host)."""
        stored, was_reset = self.client.put_state(state, self._info())
        if was_reset:
            self.log.warning(
                "%s: state reset on the platform: next run starts over", self.config.name
            )
        self._state = stored

    def send_bundle(self, objects: Sequence[dict[str, Any]]) -> int:
        """Queue objects on this run's work; returns how many the work now expects."""
        if not objects:
            return 0
        if self._work_id is None:
            raise StixflowError("send_bundle is only possible during a run")
        expected = self.client.send(objects, self._work_id)
        self.sent += len(objects)
        self.log.info("%s: sent %d objects", self.config.name, len(objects))
        return expected

    # -- running --------------------------------------------------------------------------

    def register(self) -> None:
        if not self._registered:
            self.client.register(self.config)
            self._state = self.client.state()
            self._registered = True
            self.log.info("%s: registered as %s", self.config.name, self.config.id)

    def run_once(self) -> str:
        """One run under a new work; returns the work id."""
        self.register()
        # a ping with the state we hold: a reset since the last run is picked up here
        self._state, was_reset = self.client.put_state(self._state, self._info())
        if was_reset:
            self.log.warning("%s: state reset on the platform: starting over", self.config.name)
        work_id = self.client.open_work(f"{self.config.name} run {_now()}")
        self._work_id = work_id
        try:
            self.process(self.since(self._state))
        except Exception as exc:
            self.client.processed(work_id, message=f"{type(exc).__name__}: {exc}", in_error=True)
            self.log.exception("%s: run failed", self.config.name)
            raise
        finally:
            self._work_id = None
        self._last_run = _now()
        self.client.processed(work_id, message=f"{self.config.name} run done")
        self.client.put_state(self._state, self._info())
        return work_id

    def run(self, *, handle_signals: bool = True) -> None:
        """First run now, then one every period until stopped; once if the period is 0."""
        if handle_signals:
            self._stop_on_signals()
        while not self._stop.is_set():
            try:
                self.run_once()
            except StixflowError as exc:
                self.log.error("%s: %s", self.config.name, exc)
            if self.config.interval == 0:
                break
            self._stop.wait(self.config.interval)
        self.close()
        self.log.info("%s: stopped", self.config.name)

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        self.client.close()

    def _stop_on_signals(self) -> None:
        def handler(signum: int, frame: FrameType | None) -> None:
            self.stop()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    def _info(self) -> dict[str, Any]:
        last = self._last_run
        info: dict[str, Any] = {
            "last_run_datetime": last,
            "run_and_terminate": not self.config.interval,
        }
        if self.config.interval and last:
            start = datetime.strptime(last, STAMP).replace(tzinfo=UTC)
            info["next_run_datetime"] = (start + timedelta(seconds=self.config.interval)).strftime(
                STAMP
            )
        return info


def _now() -> str:
    return datetime.now(UTC).strftime(STAMP)
