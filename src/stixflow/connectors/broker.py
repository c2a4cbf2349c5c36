"""Queue coordinates handed to connectors, and their own broker accounts (spec §8).

OpenCTI hands its RabbitMQ admin credentials to every connector. stixflow does not: on the
RabbitMQ back end each connector gets its own broker user that may only publish to its own
exchange (bound to its ``push_<id>`` queue) and read its own ``listen_<id>`` queue, created
through the management HTTP API or ``rabbitmqctl``. On the embedded broker there is nothing to
connect to: connectors use the HTTP queue protocol (pycti ``CONNECTOR_QUEUE_PROTOCOL=api``).
"""

from __future__ import annotations

import abc
import re
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

import httpx
import pika
import pika.exceptions as amqp

from stixflow.config import Settings
from stixflow.connectors.model import listen_queue, push_queue
from stixflow.errors import BackendError, ConfigError

ADMIN_TIMEOUT = 10.0
MANAGEMENT_PORT = 15672
S3_FIELDS = (
    "endpoint",
    "port",
    "use_ssl",
    "bucket_name",
    "bucket_region",
    "access_key",
    "secret_key",
)


@dataclass(frozen=True)
class Coordinates:
    """OpenCTI's ``connectorConfig``: where to publish data and where jobs arrive."""

    host: str
    port: int
    vhost: str
    use_ssl: bool
    user: str
    password: str
    push: str
    push_routing: str
    push_exchange: str
    listen: str
    listen_routing: str
    listen_exchange: str

    def as_config(self) -> dict[str, object]:
        return {
            "connection": {
                "host": self.host,
                "vhost": self.vhost,
                "use_ssl": self.use_ssl,
                "port": self.port,
                "user": self.user,
                "pass": self.password,
            },
            "push": self.push,
            "push_routing": self.push_routing,
            "push_exchange": self.push_exchange,
            "listen": self.listen,
            "listen_routing": self.listen_routing,
            "listen_exchange": self.listen_exchange,
            "dead_letter_routing": "",
            "listen_callback_uri": None,
            "s3": dict.fromkeys(S3_FIELDS),  # no S3: pycti reads the keys, all empty
        }


def broker_user(settings: Settings, connector_id: str) -> str:
    return f"{settings.broker_prefix}connector-{connector_id}"


def new_secret() -> str:
    return secrets.token_urlsafe(24)


def push_exchange(settings: Settings, connector_id: str) -> str:
    return f"{settings.broker_prefix}connector_{connector_id}"


def coordinates(
    settings: Settings, connector_id: str, *, user: str | None, secret: str | None
) -> Coordinates:
    prefix = settings.broker_prefix
    push, listen = push_queue(connector_id), listen_queue(connector_id)
    if settings.is_embedded_broker:
        host, port, vhost, use_ssl = settings.http_host, 0, "/", False
    else:
        url = urlsplit(settings.broker_url)
        host = settings.connectors.amqp_host or url.hostname or "localhost"
        port = settings.connectors.amqp_port or url.port or 5672
        vhost = unquote(url.path[1:]) if len(url.path) > 1 else "/"
        use_ssl = url.scheme == "amqps"
    return Coordinates(
        host=host,
        port=port,
        vhost=vhost,
        use_ssl=use_ssl,
        user=user or "",
        password=secret or "",
        push=f"{prefix}{push}",
        push_routing=f"push_routing_{connector_id}",
        push_exchange="" if settings.is_embedded_broker else push_exchange(settings, connector_id),
        listen=f"{prefix}{listen}",
        listen_routing=f"listen_routing_{connector_id}",
        listen_exchange="",
    )


def declare_routes(settings: Settings, connector_id: str) -> None:
    """The connector's exchange, bound to its push queue (declared with the platform's own
    credentials; the connector's account cannot declare anything)."""
    prefix = settings.broker_prefix
    exchange = push_exchange(settings, connector_id)
    push = f"{prefix}{push_queue(connector_id)}"
    listen = f"{prefix}{listen_queue(connector_id)}"
    try:
        with pika.BlockingConnection(pika.URLParameters(settings.broker_url)) as conn:
            chan = conn.channel()
            chan.exchange_declare(exchange, "direct", durable=True)
            chan.queue_declare(push, durable=True)
            chan.queue_declare(listen, durable=True)
            chan.queue_bind(push, exchange, routing_key=f"push_routing_{connector_id}")
    except (amqp.AMQPError, OSError) as exc:
        raise BackendError(f"cannot declare the queues of connector {connector_id}: {exc}") from exc


def delete_routes(settings: Settings, connector_id: str) -> None:
    try:
        with pika.BlockingConnection(pika.URLParameters(settings.broker_url)) as conn:
            conn.channel().exchange_delete(push_exchange(settings, connector_id))
    except (amqp.AMQPError, OSError) as exc:
        raise BackendError(f"cannot delete the exchange of {connector_id}: {exc}") from exc


@dataclass(frozen=True)
class Permissions:
    """RabbitMQ's three regular expressions, each matching resource names exactly."""

    configure: str
    write: str
    read: str


def permissions(settings: Settings, connector_id: str) -> Permissions:
    listen = f"{settings.broker_prefix}{listen_queue(connector_id)}"
    return Permissions(
        configure="^$",
        write=f"^{re.escape(push_exchange(settings, connector_id))}$",
        read=f"^{re.escape(listen)}$",
    )


class BrokerAccounts(abc.ABC):
    """Creates and removes broker users (never the platform's own)."""

    @abc.abstractmethod
    def ensure(self, user: str, secret: str, *, vhost: str, grants: Permissions) -> None: ...

    @abc.abstractmethod
    def remove(self, user: str) -> None: ...


class RabbitmqctlAccounts(BrokerAccounts):
    """Through ``rabbitmqctl`` on the broker's host (the password goes on standard input)."""

    def __init__(self, command: str = "rabbitmqctl") -> None:
        self.command = command

    def _run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(
                [self.command, *args],
                input=stdin,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise BackendError(f"rabbitmqctl {args[0]} failed: {exc}") from exc

    def ensure(self, user: str, secret: str, *, vhost: str, grants: Permissions) -> None:
        done = self._run("add_user", user, stdin=secret)
        if done.returncode != 0 and "already exists" in (done.stderr + done.stdout):
            done = self._run("change_password", user, stdin=secret)
        _check(done, "add_user")
        _check(
            self._run(
                "set_permissions", "-p", vhost, user, grants.configure, grants.write, grants.read
            ),
            "set_permissions",
        )

    def remove(self, user: str) -> None:
        done = self._run("delete_user", user)
        if done.returncode != 0 and "does not exist" not in (done.stderr + done.stdout):
            _check(done, "delete_user")


def _check(done: subprocess.CompletedProcess[str], what: str) -> None:
    if done.returncode != 0:
        raise BackendError(f"rabbitmqctl {what}: {(done.stderr or done.stdout).strip()[:500]}")


class ManagementAccounts(BrokerAccounts):
    """Through the RabbitMQ management HTTP API (``rabbitmq_management`` plugin)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.base = f"{parts.scheme}://{parts.hostname}:{parts.port or MANAGEMENT_PORT}"
        self.auth = (unquote(parts.username or ""), unquote(parts.password or ""))

    def _call(self, method: str, path: str, body: dict[str, str] | None = None) -> None:
        try:
            response = httpx.request(
                method, self.base + path, json=body, auth=self.auth, timeout=ADMIN_TIMEOUT
            )
        except httpx.HTTPError as exc:
            raise BackendError(f"RabbitMQ management API: {exc}") from exc
        if response.status_code >= 400 and not (method == "DELETE" and response.status_code == 404):
            raise BackendError(f"RabbitMQ management API {path}: {response.status_code}")

    def ensure(self, user: str, secret: str, *, vhost: str, grants: Permissions) -> None:
        name, host = quote(user, safe=""), quote(vhost, safe="")
        self._call("PUT", f"/api/users/{name}", {"password": secret, "tags": ""})
        self._call(
            "PUT",
            f"/api/permissions/{host}/{name}",
            {"configure": grants.configure, "write": grants.write, "read": grants.read},
        )

    def remove(self, user: str) -> None:
        self._call("DELETE", f"/api/users/{quote(user, safe='')}")


def accounts_for(settings: Settings) -> BrokerAccounts | None:
    """The configured way to create connector accounts; None where there is none."""
    choice = settings.connectors.broker_admin
    if settings.is_embedded_broker or choice == "none":
        return None
    if choice == "rabbitmqctl":
        return RabbitmqctlAccounts()
    if choice.startswith(("http://", "https://")):
        return ManagementAccounts(choice)
    if choice != "auto":
        raise ConfigError(f"connectors.broker_admin: unknown value {choice!r}")
    return _discover(settings)


def _discover(settings: Settings) -> BrokerAccounts | None:
    url = urlsplit(settings.broker_url)
    user, password = unquote(url.username or "guest"), unquote(url.password or "guest")
    management = f"http://{quote(user)}:{quote(password)}@{url.hostname}:{MANAGEMENT_PORT}"
    try:
        answer = httpx.get(
            f"http://{url.hostname}:{MANAGEMENT_PORT}/api/overview",
            auth=(user, password),
            timeout=2.0,
        )
        if answer.status_code == 200:
            return ManagementAccounts(management)
    except httpx.HTTPError:
        pass
    return RabbitmqctlAccounts() if shutil.which("rabbitmqctl") else None
