"""Enforcing the outbound policy in httpx: every connection is checked after DNS resolution.

``GuardedBackend`` is the httpcore network backend of every outbound client: it resolves the
host, refuses it when the policy says so (any of its addresses refused), and connects to an
address it checked, so nothing is resolved twice (no DNS-rebinding window). Each redirect hop
opens its own connection, so each hop is checked. ``GuardedTransport`` refuses schemes other
than http(s) and, when a request goes through a proxy (which resolves the name itself), checks
the target's name and resolution before sending it. A proxy set on a feed is a destination the
user chose, so the connection to it is checked too; a proxy from the environment
(``HTTPS_PROXY``…, ``NO_PROXY`` honoured) is the operator's and is not.

Clients are built with ``trust_env=False`` (no ``.netrc`` credentials sent to user-given hosts);
the transport reads the environment's proxies itself.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import urllib.request
from collections.abc import Iterable, Mapping

import httpcore
import httpx

from stixflow.errors import ConfigError, OutboundRefused
from stixflow.net.policy import IPAddress, OutboundPolicy, normal_host

TimeoutTypes = httpx.Timeout | float | None


def refused(reason: str) -> OutboundRefused:
    return OutboundRefused(f"refused by the outbound policy ({reason})")


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (an address resolves to itself); OSError if none."""
    infos = socket.getaddrinfo(normal_host(host), port, 0, socket.SOCK_STREAM)
    found = [
        ipaddress.ip_address(sockaddr[0])
        for family, _, _, _, sockaddr in infos
        if family in (socket.AF_INET, socket.AF_INET6)
    ]
    return list(dict.fromkeys(found))


class GuardedBackend(httpcore.NetworkBackend):
    """Connects only to addresses the policy allows, and only to the address it checked."""

    def __init__(self, policy: OutboundPolicy) -> None:
        self.policy = policy
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        why = self.policy.name_refusal(host)
        if why is not None:
            raise refused(why)
        try:
            addresses = resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {normal_host(host)}") from exc
        why = self.policy.refusal(host, addresses)
        if why is not None:
            raise refused(why)
        failure: Exception | None = None
        for address in addresses:
            try:
                return self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def environment_proxy(url: httpx.URL) -> str | None:
    """The proxy the environment names for ``url`` (``NO_PROXY`` honoured), if any."""
    proxies = urllib.request.getproxies()
    if not proxies or urllib.request.proxy_bypass(url.host):
        return None
    return proxies.get(url.scheme) or proxies.get("all")


class GuardedTransport(httpx.BaseTransport):
    """One client's transport: a guarded connection pool per proxy used (or none)."""

    def __init__(
        self,
        policy: OutboundPolicy,
        *,
        verify: ssl.SSLContext | bool = True,
        proxy: str | None = None,
    ) -> None:
        self.policy = policy
        self.verify = verify
        self.proxy = proxy
        self._pools: dict[str | None, httpx.HTTPTransport] = {}
        if proxy is not None:
            self._pool(proxy)  # an unusable proxy URL fails here, not at the first request

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        why = self.policy.scheme_refusal(url.scheme) or self.policy.name_refusal(url.host)
        if why is not None:
            raise refused(why)
        proxy = self.proxy or environment_proxy(url)
        if proxy is not None:
            self._check_target(url)
        return self._pool(proxy).handle_request(request)

    def _check_target(self, url: httpx.URL) -> None:
        """A proxy resolves the name itself: check what it resolves to here, before sending."""
        try:
            addresses = resolve(url.host, url.port or (443 if url.scheme == "https" else 80))
        except (OSError, UnicodeError):
            if self.policy.allow.has_name(normal_host(url.host)):
                return
            raise refused(f"{url.host} cannot be resolved here to be checked") from None
        why = self.policy.refusal(url.host, addresses)
        if why is not None:
            raise refused(why)

    def _pool(self, proxy: str | None) -> httpx.HTTPTransport:
        pool = self._pools.get(proxy)
        if pool is None:
            pool = httpx.HTTPTransport(verify=self.verify, proxy=proxy, trust_env=True)
            if proxy is None or proxy == self.proxy:  # not the operator's environment proxy
                _use_backend(pool, GuardedBackend(self.policy))
            self._pools[proxy] = pool
        return pool

    def close(self) -> None:
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()


def _use_backend(transport: httpx.HTTPTransport, backend: httpcore.NetworkBackend) -> None:
    """Make ``transport``'s httpcore pool connect through ``backend``. httpx has no public
    setting for it; the attribute is checked so that a changed httpx fails loudly instead of
    connecting unguarded (the versions are pinned in constraints.txt)."""
    pool = getattr(transport, "_pool", None)
    if not isinstance(pool, httpcore.ConnectionPool) or not hasattr(pool, "_network_backend"):
        raise ConfigError("this httpx version cannot enforce the outbound policy")
    pool._network_backend = backend


def guarded_client(
    policy: OutboundPolicy,
    *,
    verify: ssl.SSLContext | bool = True,
    proxy: str | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: TimeoutTypes = 30.0,
    follow_redirects: bool = False,
) -> httpx.Client:
    """An httpx client whose every connection obeys ``policy``."""
    return httpx.Client(
        transport=GuardedTransport(policy, verify=verify, proxy=proxy),
        headers=headers,
        timeout=timeout,
        follow_redirects=follow_redirects,
        trust_env=False,
    )
