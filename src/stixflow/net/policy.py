"""The outbound request policy: may the platform connect to this host and these addresses?

A pure decision (no sockets here; ``transport.py`` resolves names and enforces it). Refused by
default: loopback, private, shared (carrier-grade NAT), link-local (where cloud metadata lives),
multicast, reserved and any other not globally routable address, and the well-known cloud
metadata host names. IPv6 forms that carry an IPv4 address (``::ffff:a.b.c.d``, NAT64
``64:ff9b::/96``, 6to4 ``2002::/16``) are judged by the IPv4 address they carry.

Settings (``OutboundSettings``): ``allow`` entries (CIDRs or host names) win over the default
refusals; ``deny`` entries win over ``allow``. A host-name entry matches that name, and
``*.example.org`` matches every name under ``example.org``. A host whose name resolves to several
addresses is refused when any one of them is. See docs/security.md.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from stixflow.errors import ConfigError

if TYPE_CHECKING:
    from stixflow.config import OutboundSettings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

SCHEMES = frozenset({"http", "https"})

DEFAULT_DENY: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "a 'this network' address"),
    ("127.0.0.0/8", "a loopback address"),
    ("10.0.0.0/8", "a private address"),
    ("172.16.0.0/12", "a private address"),
    ("192.168.0.0/16", "a private address"),
    ("100.64.0.0/10", "a shared (carrier-grade NAT) address"),
    ("169.254.0.0/16", "a link-local address (where cloud metadata lives)"),
    ("224.0.0.0/4", "a multicast address"),
    ("240.0.0.0/4", "a reserved address"),
    ("::/128", "the unspecified address"),
    ("::1/128", "a loopback address"),
    ("fc00::/7", "a unique-local (private) address"),
    ("fe80::/10", "a link-local address"),
    ("ff00::/8", "a multicast address"),
)
_DEFAULT_NETWORKS = tuple((ipaddress.ip_network(cidr), why) for cidr, why in DEFAULT_DENY)

#: Host names of cloud instance-metadata services (their addresses are refused too).
METADATA_HOSTS = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "metadata.azure.internal",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.platformequinix.com",
        "metadata.packet.net",
    }
)

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_HOST_NAME = re.compile(r"^(\*\.)?[a-z0-9_]([a-z0-9_-]{0,62}\.)*[a-z0-9_-]{1,63}$")


def normal_host(host: str) -> str:
    """A host as compared by the policy: lower case, no brackets, no trailing dot."""
    return host.strip().strip("[]").rstrip(".").lower()


def carried(address: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 address carries (mapped, NAT64, 6to4), else the address."""
    if isinstance(address, ipaddress.IPv4Address):
        return address
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    return address.__class__(str(address).split("%", 1)[0])  # no scope id


def default_refusal(address: IPAddress) -> str | None:
    """Why the default rules refuse ``address`` (already unwrapped), or None."""
    for network, why in _DEFAULT_NETWORKS:
        if address.version == network.version and address in network:
            return why
    if address.is_multicast:
        return "a multicast address"
    if address.is_reserved:
        return "a reserved address"
    if not address.is_global:
        return "not a globally routable address"
    return None


@dataclass(frozen=True)
class Rules:
    """Parsed ``allow`` or ``deny`` entries: networks and host names."""

    networks: tuple[IPNetwork, ...] = ()
    names: tuple[str, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str], *, setting: str) -> Rules:
        networks: list[IPNetwork] = []
        names: list[str] = []
        for entry in entries:
            text = normal_host(entry)
            try:
                networks.append(ipaddress.ip_network(text, strict=False))
                continue
            except ValueError:
                pass
            if not _HOST_NAME.match(text):
                raise ConfigError(f"outbound.{setting}: {entry!r} is not a CIDR or a host name")
            names.append(text)
        return cls(tuple(networks), tuple(names))

    def has_name(self, host: str) -> bool:
        return any(
            host == name or (name.startswith("*.") and host.endswith(name[1:]))
            for name in self.names
        )

    def has_address(self, address: IPAddress) -> bool:
        return any(
            address.version == network.version and address in network for network in self.networks
        )


class OutboundPolicy:
    """Decides which destinations fetches made for users may reach."""

    def __init__(self, *, allow: Sequence[str] = (), deny: Sequence[str] = ()) -> None:
        self.allow = Rules.parse(allow, setting="allow")
        self.deny = Rules.parse(deny, setting="deny")

    @classmethod
    def from_settings(cls, settings: OutboundSettings) -> OutboundPolicy:
        return cls(allow=settings.allow, deny=settings.deny)

    def scheme_refusal(self, scheme: str) -> str | None:
        if scheme.lower() in SCHEMES:
            return None
        return f"the {scheme or 'empty'} scheme is not http or https"

    def name_refusal(self, host: str) -> str | None:
        """Why ``host`` is refused by its name alone (before any DNS lookup), or None."""
        name = normal_host(host)
        if self.deny.has_name(name):
            return f"{name} is in the outbound deny list"
        if name in METADATA_HOSTS and not self.allow.has_name(name):
            return f"{name} is a cloud metadata host name"
        return None

    def refusal(self, host: str, addresses: Sequence[IPAddress]) -> str | None:
        """Why connecting to ``host`` at ``addresses`` (what it resolved to) is refused, or
        None. The reason names the address only when the host is one (never what a name
        resolved to)."""
        name = normal_host(host)
        why = self.name_refusal(name)
        if why is not None:
            return why
        plain = [carried(address) for address in addresses]
        if not plain:
            return f"{name} resolves to no address"
        subject = f"{name} is" if _is_address(name) else f"{name} resolves to"
        for address in plain:
            if self.deny.has_address(address):
                return f"{subject} an address in the outbound deny list"
        if self.allow.has_name(name):
            return None
        for address in plain:
            if self.allow.has_address(address):
                continue
            why = default_refusal(address)
            if why is not None:
                return f"{subject} {why}"
        return None


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True
