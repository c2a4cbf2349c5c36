"""Deterministic ids: the ``stix2`` library is the oracle for SCOs, OpenCTI fixtures for names."""

from __future__ import annotations

import csv
import json
import random
import struct
import uuid

import pytest
import stix2
from stix2.canonicalization.Canonicalize import canonicalize
from stix2.registry import STIX2_OBJ_MAPS

from stixflow.stix.ids import (
    DETERMINISTIC_TYPES,
    NAMESPACE,
    SCO_TYPES,
    canonical_json,
    deterministic_id,
    observable_id,
    standard_id,
)
from tests.stix.data import OPENCTI

IPV4 = "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"
EMAIL = "email-addr--2d77a846-6264-5d51-b586-e43822ea1ea3"
DIRECTORY = "directory--93c0a9b0-520d-545d-9094-1a08ddf46b05"


# -- canonical JSON -------------------------------------------------------------------------------


def test_canonical_json_sorts_keys_drops_whitespace_and_keeps_unicode() -> None:
    assert canonical_json({"b": [1, True, None], "a": "é\n"}) == '{"a":"é\\n","b":[1,true,null]}'


def test_canonical_json_orders_keys_by_utf16_code_units() -> None:
    # U+1F600 is a surrogate pair (D83D DE00), which sorts before U+FFFF in UTF-16.
    assert canonical_json({"\uffff": 1, "\U0001f600": 2}) == '{"\U0001f600":2,"\uffff":1}'


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (1.0, "1"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e-7, "1e-7"),
        (0.000001, "0.000001"),
        (-0.0, "0"),
        (123.456, "123.456"),
        (5e-324, "5e-324"),
    ],
)
def test_canonical_json_writes_numbers_the_ecmascript_way(number: float, text: str) -> None:
    assert canonical_json(number) == text


def test_canonical_json_matches_stix2_canonicalize_on_random_values() -> None:
    rnd = random.Random(20240601)
    for _ in range(3000):
        value = _random_json(rnd, depth=3)
        assert canonical_json(value) == canonicalize(value, utf8=False)


def _random_json(rnd: random.Random, depth: int) -> object:
    choice = rnd.randrange(7 if depth else 4)
    if choice == 0:
        return rnd.choice([None, True, False])
    if choice == 1:
        return rnd.randrange(-(10**12), 10**12)
    if choice == 2:
        bits = struct.unpack("<d", rnd.getrandbits(64).to_bytes(8, "little"))[0]
        return bits if bits == bits and abs(bits) != float("inf") else 0.5
    if choice == 3:
        return "".join(_random_char(rnd) for _ in range(rnd.randrange(6)))
    if choice in (4, 5):
        return {str(_random_json(rnd, 0)): _random_json(rnd, depth - 1) for _ in range(3)}
    return [_random_json(rnd, depth - 1) for _ in range(rnd.randrange(4))]


def _random_char(rnd: random.Random) -> str:
    """ASCII, BMP or astral, never a lone surrogate."""
    ranges = [(0, 127), (0x80, 0xD800), (0xE000, 0x10000), (0x10000, 0x2FFFF)]
    low, high = rnd.choice(ranges)
    return chr(rnd.randrange(low, high))


def test_canonical_json_refuses_what_json_cannot_hold() -> None:
    with pytest.raises(ValueError):
        canonical_json(float("nan"))
    with pytest.raises(TypeError):
        canonical_json({1: "a"})
    with pytest.raises(TypeError):
        canonical_json({"a": {1, 2}})


# -- SCO ids: stix2 as the oracle -----------------------------------------------------------------

SCO_CASES: list[dict] = [
    {
        "type": "artifact",
        "url": "https://example.com/a.bin",
        "hashes": {"SHA-256": "6db12788c37247f2316052e142f42f4b259d6561751e5f401a1ae2a6df9c674b"},
    },
    {"type": "artifact", "payload_bin": "aGVsbG8gd29ybGQ=", "mime_type": "image/png"},
    {"type": "autonomous-system", "number": 15139, "name": "Slime Industries"},
    {"type": "directory", "path": "C:\\Windows\\System32", "path_enc": "windows-1252"},
    {"type": "domain-name", "value": "example.com"},
    {"type": "domain-name", "value": "bücher.example"},
    {"type": "email-addr", "value": "john@example.com", "display_name": "John Doe"},
    {
        "type": "email-message",
        "is_multipart": False,
        "from_ref": EMAIL,
        "subject": "Hi ✓",
        "body": "x",
    },
    {"type": "email-message", "is_multipart": False, "subject": "Only a subject"},
    {
        "type": "file",
        "hashes": {"SHA-256": "D9F73A41BE35198AB3867A4D0C642642B54FB81B528124523D6CF506435A2264"},
    },
    {
        "type": "file",
        "name": "a.exe",
        "hashes": {"SHA-1": "a" * 40, "MD5": "b" * 32, "SHA-256": "c" * 64},
    },
    {"type": "file", "name": "b.dll", "hashes": {"SHA-512": "d" * 128, "SHA-256": "e" * 64}},
    {
        "type": "file",
        "name": "c.bin",
        "hashes": {"SSDEEP": "3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C"},
    },
    {"type": "file", "name": "d.txt", "parent_directory_ref": DIRECTORY, "size": 12},
    {"type": "file", "name": "e.doc", "extensions": {"ntfs-ext": {"sid": "1234567"}}},
    {"type": "file", "hashes": {"sha256": "f" * 64}},
    {"type": "ipv4-addr", "value": "91.200.148.232"},
    {"type": "ipv4-addr", "value": "198.51.100.0/24"},
    {"type": "ipv6-addr", "value": "2606:4700:3033::6815:1eb7"},
    {"type": "mac-addr", "value": "d2:fb:49:24:37:18"},
    {"type": "mutex", "name": "__CLEANSWEEP__"},
    {
        "type": "network-traffic",
        "src_ref": IPV4,
        "protocols": ["ipv4", "tcp"],
        "src_port": 2487,
        "dst_port": 80,
        "is_active": False,
        "start": "2020-01-01T00:00:00.000Z",
        "end": "2020-01-01T00:01:00.120Z",
    },
    {
        "type": "network-traffic",
        "dst_ref": IPV4,
        "protocols": ["udp"],
        "extensions": {"socket-ext": {"address_family": "AF_INET", "socket_type": "SOCK_DGRAM"}},
    },
    {
        "type": "software",
        "name": "Word",
        "cpe": "cpe:2.3:a:microsoft:word:2000:*:*:*:*:*:*:*",
        "vendor": "Microsoft",
        "version": "2002",
    },
    {"type": "software", "name": "Only a name"},
    {"type": "url", "value": "https://example.com/research/index.html?q=ü"},
    {"type": "user-account", "user_id": "1001", "account_login": "jdoe", "account_type": "unix"},
    {
        "type": "windows-registry-key",
        "key": "hkey_local_machine\\system\\bar\\foo",
        "values": [{"name": "Foo", "data": "qwerty", "data_type": "REG_SZ"}],
    },
    {
        "type": "x509-certificate",
        "serial_number": "36:f7:d4:32:f4:ab:70:ea:d3:ce:98:6e:ea:99:93:49",
        "hashes": {"SHA-256": "a" * 64},
    },
    {"type": "x509-certificate", "issuer": "C=ZA, ST=Western Cape", "serial_number": "02"},
]


@pytest.mark.parametrize("properties", SCO_CASES, ids=lambda p: p["type"])
def test_observable_id_matches_the_stix2_library(properties: dict) -> None:
    expected = stix2.parse({**properties, "spec_version": "2.1"}, version="2.1").id
    assert observable_id(dict(properties)) == expected
    # An id already on the object (right or wrong) plays no part.
    assert observable_id({**properties, "id": f"{properties['type']}--{uuid.uuid4()}"}) == expected


def test_every_stix2_sco_type_is_covered_by_the_cases() -> None:
    assert set(STIX2_OBJ_MAPS["2.1"]["observables"]) == SCO_TYPES
    assert {case["type"] for case in SCO_CASES} == SCO_TYPES - {"process"}


def test_opencti_file_id_is_the_sha256_only_file() -> None:
    # OpenCTI's CSV parser test expects this id for a file known by this one SHA-256 (peers.md).
    sha256 = "D9F73A41BE35198AB3867A4D0C642642B54FB81B528124523D6CF506435A2264"
    file_id = observable_id({"type": "file", "hashes": {"SHA-256": sha256}})
    assert file_id == "file--0e482844-d44d-582b-9f40-6e05aec3b39f"
    assert file_id == stix2.File(hashes={"SHA-256": sha256}).id


def test_hash_preference_is_md5_then_sha1_then_sha256() -> None:
    md5, sha1 = "b" * 32, "a" * 40
    both = observable_id({"type": "file", "hashes": {"SHA-1": sha1, "MD5": md5}})
    assert both == observable_id({"type": "file", "hashes": {"MD5": md5}})
    assert both != observable_id({"type": "file", "hashes": {"SHA-1": sha1}})


def test_observable_id_is_none_without_contributing_properties_or_for_other_types() -> None:
    assert observable_id({"type": "process", "pid": 1221}) is None
    assert observable_id({"type": "artifact", "url": "https://example.com/a.bin"}) is None
    assert observable_id({"type": "x-custom-observable", "value": "x"}) is None
    assert observable_id({"type": "malware", "name": "Emotet"}) is None
    assert observable_id({"value": "no type"}) is None


# -- name-based ids: OpenCTI's standard ids -------------------------------------------------------


def test_threat_actor_ids_match_the_opencti_csv_export() -> None:
    path = OPENCTI / "csv-parser" / "simple-entity-test" / "Threat-Actor-Group_list.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert len(rows) == 5
    for row in rows:
        obj = {"type": "threat-actor", "name": row["name"]}
        assert standard_id(obj) == row["standard_id"], row["name"]
    rrn = next(row for row in rows if row["name"] == "RRN")
    assert rrn["standard_id"] == "threat-actor--5c18e55e-2244-5a24-980e-f8fa658878f7"


def test_identity_id_matches_the_author_id_in_an_opencti_stream_event() -> None:
    events = json.loads(
        (OPENCTI / "stream-events" / "stream-event-stix2-indicators.json").read_text()
    )
    fixture = json.loads(
        (OPENCTI / "client-python-tests-data" / "DATA-TEST-STIX2_v2.json").read_text()
    )
    circl = next(o for o in fixture["objects"] if o.get("name") == "CIRCL")
    assert standard_id(circl) == events[0]["created_by_ref"]


def test_standard_id_is_uuid5_of_the_canonical_contributing_properties() -> None:
    expected = uuid.uuid5(NAMESPACE, '{"name":"emotet"}')
    assert standard_id({"type": "malware", "name": "  Emotet "}) == f"malware--{expected}"
    for object_type in ("intrusion-set", "tool", "campaign", "vulnerability"):
        assert standard_id({"type": object_type, "name": "EMOTET"}) == f"{object_type}--{expected}"


def test_identity_uses_name_and_lower_cased_class() -> None:
    expected = uuid.uuid5(NAMESPACE, '{"identity_class":"organization","name":"acme"}')
    obj = {"type": "identity", "name": "ACME", "identity_class": "Organization"}
    assert standard_id(obj) == f"identity--{expected}"
    individual = {"type": "identity", "name": "ACME", "identity_class": "individual"}
    assert standard_id(individual) != standard_id(obj)


def test_threat_actor_individual_differs_from_group() -> None:
    group = standard_id({"type": "threat-actor", "name": "Mr X"})
    individual = standard_id(
        {"type": "threat-actor", "name": "Mr X", "x_opencti_type": "Threat-Actor-Individual"}
    )
    expected = uuid.uuid5(NAMESPACE, '{"name":"mr x","opencti_type":"Threat-Actor-Individual"}')
    assert individual == f"threat-actor--{expected}"
    assert group != individual


def test_location_type_comes_from_opencti_or_from_the_properties_present() -> None:
    country = uuid.uuid5(NAMESPACE, '{"name":"france","x_opencti_location_type":"Country"}')
    explicit = {"type": "location", "name": "France", "x_opencti_location_type": "Country"}
    derived = {"type": "location", "name": "France", "country": "FR"}
    assert standard_id(explicit) == standard_id(derived) == f"location--{country}"
    city = {"type": "location", "name": "Paris", "country": "FR", "city": "Paris"}
    assert standard_id(city) == standard_id(
        {"type": "location", "name": "paris", "x_opencti_location_type": "City"}
    )
    region = {"type": "location", "name": "Western Europe", "region": "western-europe"}
    assert standard_id(region) != standard_id({**region, "x_opencti_location_type": "Country"})
    area = {"type": "location", "name": "Bavaria", "administrative_area": "DE-BY", "country": "DE"}
    assert standard_id(area) == standard_id(
        {"type": "location", "name": "bavaria", "x_opencti_location_type": "Administrative-Area"}
    )


def test_position_uses_coordinates() -> None:
    expected = uuid.uuid5(NAMESPACE, '{"latitude":48.8566,"longitude":2.3522}')
    obj = {"type": "location", "name": "Somewhere", "latitude": 48.8566, "longitude": 2.3522}
    assert standard_id(obj) == f"location--{expected}"
    assert standard_id({"type": "location", "region": "europe"}) is None  # no name


def test_attack_pattern_uses_the_mitre_external_id_when_present() -> None:
    reference = {"source_name": "mitre-attack", "external_id": "T1055.011"}
    first = {
        "type": "attack-pattern",
        "name": "Extra Window Memory Injection",
        "external_references": [{"source_name": "capec", "external_id": "CAPEC-1"}, reference],
    }
    renamed = {
        "type": "attack-pattern",
        "name": "EWM Injection",
        "external_references": [reference],
    }
    expected = uuid.uuid5(NAMESPACE, '{"x_mitre_id":"T1055.011"}')
    assert standard_id(first) == standard_id(renamed) == f"attack-pattern--{expected}"
    explicit = {"type": "attack-pattern", "name": "x", "x_mitre_id": "T1055.011"}
    assert standard_id(explicit) == standard_id(first)
    by_name = {
        "type": "attack-pattern",
        "name": "Phishing",
        "external_references": [{"source_name": "capec", "external_id": "CAPEC-98"}],
    }
    assert standard_id(by_name) == standard_id({"type": "attack-pattern", "name": "phishing"})


def test_report_uses_name_and_published_in_millisecond_form() -> None:
    expected = uuid.uuid5(
        NAMESPACE, '{"name":"weekly digest","published":"2024-03-01T10:00:00.000Z"}'
    )
    report = {"type": "report", "name": "Weekly Digest", "published": "2024-03-01T10:00:00Z"}
    assert standard_id(report) == f"report--{expected}"
    assert standard_id({**report, "published": "2024-03-01T10:00:00.000Z"}) == f"report--{expected}"
    assert standard_id({**report, "published": "2024-03-02T10:00:00.000Z"}) != f"report--{expected}"
    assert standard_id({"type": "report", "name": "No date"}) is None


@pytest.mark.parametrize(
    "obj",
    [
        {"type": "relationship", "relationship_type": "uses"},
        {"type": "indicator", "name": "x", "pattern": "[url:value = 'x']"},
        {"type": "marking-definition", "name": "TLP:GREEN"},
        {"type": "course-of-action", "name": "Patch"},
        {"type": "x-mitre-tactic", "name": "Execution"},
        {"type": "malware", "description": "no name"},
        {"type": "malware", "name": "   "},
    ],
)
def test_standard_id_is_none_for_other_types_or_without_a_name(obj: dict) -> None:
    assert standard_id(obj) is None
    assert deterministic_id(obj) is None


def test_deterministic_id_picks_the_rule_for_the_object() -> None:
    ip = {"type": "ipv4-addr", "value": "91.200.148.232"}
    assert deterministic_id(ip) == stix2.IPv4Address(value="91.200.148.232").id
    malware = {"type": "malware", "name": "Emotet", "is_family": True}
    assert deterministic_id(malware) == standard_id(malware)


def test_deterministic_types_are_exactly_those_given_ids() -> None:
    """``DETERMINISTIC_TYPES`` lets normalisation skip every other type: none may get an id."""
    base = {
        "name": "x",
        "value": "x",
        "identity_class": "group",
        "country": "FR",
        "published": "2024-01-01T00:00:00Z",
        "hashes": {"MD5": "d41d8cd98f00b204e9800998ecf8427e"},
        "path": "/x",
        "number": 1,
        "key": "k",
        "subject": "s",
        "account_login": "a",
        "serial_number": "1",
        "start": "2024-01-01T00:00:00Z",
        "payload_bin": "eA==",
        "cpe": "c",
    }
    types = {*DETERMINISTIC_TYPES, "relationship", "indicator", "course-of-action", "process"}
    types |= {"sighting", "x-mitre-tactic", "note", "grouping", "marking-definition"}
    given = {t for t in types if deterministic_id({**base, "type": t}) is not None}
    assert given == set(DETERMINISTIC_TYPES)
    assert deterministic_id({**base, "type": ["malware"]}) is None
