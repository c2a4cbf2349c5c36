"""The outbound policy's decision, a pure function: which host and addresses are refused, and
why (the enforcement over real connections is tested in tests/security/test_outbound.py)."""

from __future__ import annotations

import ipaddress

import pytest

from stixflow.errors import ConfigError, SourceError
from stixflow.net.answers import nesting_over, parse_json
from stixflow.net.policy import OutboundPolicy

REFUSED_BY_DEFAULT = {
    "0.0.0.0": "'this network'",
    "127.0.0.1": "loopback",
    "127.255.255.254": "loopback",
    "10.1.2.3": "private",
    "172.31.255.255": "private",
    "192.168.1.1": "private",
    "100.64.0.1": "shared",
    "169.254.169.254": "link-local",
    "224.0.0.1": "multicast",
    "255.255.255.255": "reserved",
    "192.0.2.1": "not a globally routable",
    "::": "unspecified",
    "::1": "loopback",
    "fd00:ec2::254": "unique-local",
    "fe80::1": "link-local",
    "ff02::1": "multicast",
    "::ffff:127.0.0.1": "loopback",
    "::ffff:169.254.169.254": "link-local",
    "64:ff9b::a00:1": "private",
    "2002:7f00:1::1": "loopback",
    "::7f00:1": "reserved",
    "2001:db8::1": "not a globally routable",
}
PUBLIC = ["8.8.8.8", "93.184.215.14", "2606:4700::1111", "64:ff9b::808:808"]


def addresses(*texts: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    return [ipaddress.ip_address(text) for text in texts]


@pytest.mark.parametrize("address", REFUSED_BY_DEFAULT)
def test_internal_addresses_are_refused_by_default(address: str) -> None:
    why = OutboundPolicy().refusal(address, addresses(address))
    assert why is not None and REFUSED_BY_DEFAULT[address] in why


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address: str) -> None:
    assert OutboundPolicy().refusal(address, addresses(address)) is None


def test_a_name_is_refused_when_any_address_is_and_the_address_is_not_told() -> None:
    policy = OutboundPolicy()
    why = policy.refusal("feeds.example.org", addresses("8.8.8.8", "10.0.0.7"))
    assert why == "feeds.example.org resolves to a private address"
    assert policy.refusal("feeds.example.org", addresses("8.8.8.8")) is None
    assert policy.refusal("nowhere.example.org", []) is not None


def test_metadata_names_are_refused_before_resolution() -> None:
    policy = OutboundPolicy()
    for name in ("metadata.google.internal", "METADATA.goog.", "instance-data"):
        assert policy.name_refusal(name) is not None
    assert policy.name_refusal("feeds.example.org") is None


def test_allow_wins_over_the_defaults_and_deny_over_allow() -> None:
    policy = OutboundPolicy(
        allow=["127.0.0.0/8", "10.20.0.0/16", "*.corp.example", "metadata.google.internal"],
        deny=["127.0.0.5", "bad.corp.example"],
    )
    assert policy.refusal("127.0.0.1", addresses("127.0.0.1")) is None
    assert policy.refusal("::ffff:127.0.0.1", addresses("::ffff:127.0.0.1")) is None
    assert policy.refusal("feeds.corp.example", addresses("10.99.0.1")) is None
    assert policy.name_refusal("metadata.google.internal") is None
    assert "deny list" in (policy.refusal("127.0.0.5", addresses("127.0.0.5")) or "")
    assert "deny list" in (policy.refusal("bad.corp.example", addresses("8.8.8.8")) or "")
    assert policy.refusal("10.30.0.1", addresses("10.30.0.1")) is not None
    assert policy.refusal("::1", addresses("::1")) is not None


def test_only_http_and_https() -> None:
    policy = OutboundPolicy()
    assert policy.scheme_refusal("https") is None and policy.scheme_refusal("HTTP") is None
    for scheme in ("file", "gopher", "ftp", "dict", ""):
        assert policy.scheme_refusal(scheme) is not None


def test_unusable_entries_are_a_config_error() -> None:
    with pytest.raises(ConfigError, match="outbound.allow"):
        OutboundPolicy(allow=["not a host!"])
    with pytest.raises(ConfigError, match="outbound.deny"):
        OutboundPolicy(deny=["10.0.0.0/33"])


def test_remote_json_nesting_is_bounded_without_recursion() -> None:
    assert nesting_over([[[]]], 2) and not nesting_over([[[]]], 3)
    assert parse_json(b'{"a": [1, {"b": 2}]}', source="x") == {"a": [1, {"b": 2}]}
    for body, why in (
        (b"[" * 150 + b"]" * 150, "more than 100"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b"<html>", "not JSON"),
    ):
        with pytest.raises(SourceError, match=why):
            parse_json(body, source="http://remote.example")
