"""Logging set-up: plain text lines, or JSON lines (``log_format = "json"``) for a collector.

Every line carries the work and the source being handled, when there is one: the worker and
the ingestion runs set them with ``log_context``, and ``ContextFilter`` puts them on each
record (``work_id``, ``source``), in both formats.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

_WORK = contextvars.ContextVar[str | None]("stixflow_work_id", default=None)
_SOURCE = contextvars.ContextVar[str | None]("stixflow_source", default=None)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s%(context)s"


@contextmanager
def log_context(*, work_id: str | None = None, source: str | None = None) -> Iterator[None]:
    """Lines logged inside carry ``work_id`` and ``source``."""
    tokens = (_WORK.set(work_id), _SOURCE.set(source))
    try:
        yield
    finally:
        _WORK.reset(tokens[0])
        _SOURCE.reset(tokens[1])


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.work_id = _WORK.get()
        record.source = _SOURCE.get()
        labelled = (("work", record.work_id), ("source", record.source))
        parts = [f"{key}={value}" for key, value in labelled if value]
        record.context = f" [{' '.join(parts)}]" if parts else ""
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, work_id, source, exception."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "work_id": getattr(record, "work_id", None),
            "source": getattr(record, "source", None),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure(*, log_format: str = "text", verbose: bool = False) -> None:
    """Log to standard error at INFO (DEBUG with ``verbose``), as text or JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(ContextFilter())
    text = logging.Formatter(TEXT_FORMAT)
    handler.setFormatter(JsonFormatter() if log_format == "json" else text)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
