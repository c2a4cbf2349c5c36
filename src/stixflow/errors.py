"""The one exception tree of stixflow.

::

    StixflowError
    ├── ConfigError                 settings that cannot be used
    ├── InvalidInput                bad input from a user or a source (maps to 4xx)
    │   ├── InvalidBundle           not a STIX bundle / not JSON / no objects
    │   ├── InvalidObject           one STIX object that fails validation
    │   └── PayloadTooLarge         a body or download over its size cap
    ├── NotFound                    an id that resolves to nothing (or nothing visible)
    ├── Conflict                    a name or id already taken
    ├── AccessDenied                authenticated, but a capability is missing
    ├── Unauthenticated             no credentials, or credentials that do not match
    ├── RateLimited                 too many attempts; ``retry_after`` seconds to wait
    ├── HistoryGone                 events older than the event log's retention were removed
    ├── BackendError                a store or queue back end failed
    │   ├── TransientBackendError   worth retrying (lock, deadlock, lost connection)
    │   └── DataRefused             the database refused a value (retrying cannot help)
    └── SourceError                 a remote source (feed, TAXII server) failed
        └── OutboundRefused         a destination the outbound policy refuses

HTTP status codes live only in ``stixflow.api.errors``; driver errors are translated at the
back-end boundary and chained with ``raise ... from exc``.
"""

from __future__ import annotations


class StixflowError(Exception):
    """Base of every error raised on purpose by stixflow."""


class ConfigError(StixflowError):
    """Settings that cannot be used."""


class InvalidInput(StixflowError):
    """Bad input from a user or a source."""


class InvalidBundle(InvalidInput):
    """A document that is not a usable STIX bundle."""


class InvalidObject(InvalidInput):
    """One STIX object that fails validation."""

    def __init__(self, object_id: str | None, reason: str) -> None:
        super().__init__(f"{object_id or '<no id>'}: {reason}")
        self.object_id = object_id
        self.reason = reason


class PayloadTooLarge(InvalidInput):
    """A body or a download over its size cap."""


class HistoryGone(StixflowError):
    """A reader asked for events the event-log retention has removed: the kept history
    starts after event ``kept_after`` (recorded at ``kept_since``)."""

    def __init__(self, asked: str, *, kept_after: int, kept_since: str) -> None:
        super().__init__(
            f"{asked} is older than the kept event history, which starts after event "
            f"{kept_after} ({kept_since}); resume from event {kept_after} or later, from 0 "
            f"(every object as it stood then, then every later event) or from a date on or "
            f"after {kept_since}"
        )
        self.kept_after = kept_after
        self.kept_since = kept_since


class NotFound(StixflowError):
    """An id that resolves to nothing the caller may see."""


class Conflict(StixflowError):
    """A name or id that is already taken."""


class AccessDenied(StixflowError):
    """The caller is known but lacks a capability."""

    def __init__(self, capability: str, message: str | None = None) -> None:
        super().__init__(message or f"missing capability: {capability}")
        self.capability = capability


class Unauthenticated(StixflowError):
    """No credentials, or credentials that match nobody."""


class RateLimited(StixflowError):
    """Too many attempts in a window; try again after ``retry_after`` seconds."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class BackendError(StixflowError):
    """A store or queue back end failed."""


class TransientBackendError(BackendError):
    """A back-end failure worth retrying: lock contention, deadlock, lost connection."""


class DataRefused(BackendError):
    """The database refused a value of the data written (a NUL character in text, too large for
    an index, a constraint): the same write fails again, whatever the number of attempts."""

    NUL = "text cannot hold NUL characters (U+0000)"


class SourceError(StixflowError):
    """A remote source (feed, TAXII server, remote platform) failed."""


class OutboundRefused(SourceError):
    """A destination the outbound request policy refuses (docs/security.md)."""
