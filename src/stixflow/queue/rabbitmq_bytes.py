"""How many bytes RabbitMQ queues hold: AMQP does not say, so ask the management API
(``GET /api/queues/<vhost>``, on port 15672 with the broker URL's credentials) or, where that
plugin is off, ``rabbitmqctl list_queues`` on this machine. Both report ``message_bytes`` (ready
and unacknowledged bodies); the broker refreshes it every few seconds, and reading it is slow
(``rabbitmqctl`` starts a VM: about 2 s), so results are kept ``ttl`` seconds.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from urllib.parse import quote, unquote, urlsplit

import httpx

from stixflow.errors import BackendError

MANAGEMENT_PORT = 15672
TIMEOUT = 10.0


class QueueBytes:
    def __init__(self, amqp_url: str, *, ttl: float = 5.0) -> None:
        parts = urlsplit(amqp_url)
        self._host = parts.hostname or "127.0.0.1"
        self._auth = (unquote(parts.username or "guest"), unquote(parts.password or "guest"))
        self._vhost = unquote(parts.path[1:]) if len(parts.path) > 1 else "/"
        self._ttl = ttl
        self._sizes: dict[str, int] = {}
        self._read_at = -float("inf")

    def of(self, name: str) -> int:
        """Bytes held by the queue ``name`` (its full name, prefix included); 0 if unknown."""
        if time.monotonic() - self._read_at > self._ttl:
            self._sizes = self._read()
            self._read_at = time.monotonic()
        return self._sizes.get(name, 0)

    def _read(self) -> dict[str, int]:
        try:
            return self._from_management()
        except httpx.HTTPError as exc:
            if shutil.which("rabbitmqctl") is None:
                raise BackendError(
                    f"RabbitMQ queue sizes: management API unreachable ({exc}) "
                    "and no rabbitmqctl on the PATH"
                ) from exc
        return self._from_rabbitmqctl()

    def _from_management(self) -> dict[str, int]:
        answer = httpx.get(
            f"http://{self._host}:{MANAGEMENT_PORT}/api/queues/{quote(self._vhost, safe='')}",
            params={"columns": "name,message_bytes"},
            auth=self._auth,
            timeout=TIMEOUT,
        )
        answer.raise_for_status()
        return {row["name"]: int(row.get("message_bytes") or 0) for row in answer.json()}

    def _from_rabbitmqctl(self) -> dict[str, int]:
        command = ["rabbitmqctl", "list_queues", "-q", "-p", self._vhost, "name", "message_bytes"]
        try:
            done = subprocess.run(
                [*command, "--formatter", "json"],
                capture_output=True,
                text=True,
                timeout=TIMEOUT * 3,
                check=True,
            )
            rows = json.loads(done.stdout or "[]")
        except (subprocess.SubprocessError, OSError, json.JSONDecodeError) as exc:
            raise BackendError(f"RabbitMQ queue sizes: rabbitmqctl failed: {exc}") from exc
        return {row["name"]: int(row.get("message_bytes") or 0) for row in rows}
