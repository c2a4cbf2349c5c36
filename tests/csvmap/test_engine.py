"""The engine on broken rows, the mapper checks at save time, and the pattern builder."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from stix2patterns.validator import run_validator

from stixflow.csvmap.engine import Engine, Markings
from stixflow.csvmap.model import CsvMapperSpec, check
from stixflow.csvmap.patterns import PatternError, check_pattern, pattern_of
from stixflow.errors import InvalidInput
from tests.csvmap.support import mapper, plain_rows

FEODO = "csv/feodo_ipblocklist_2024-03-26_23-30-15.csv"


def test_broken_rows_are_reported_by_line_and_the_rest_imports(data_dir: Path) -> None:
    lines = (data_dir / FEODO).read_text(encoding="utf-8").splitlines(keepends=True)
    good = len(plain_rows(data_dir / FEODO, header=True))
    # line numbers (1-based) of the broken rows once inserted before the trailer
    broken = [
        '"2024-03-27 01:00:00","198.51.100.7","443","online"\n',  # 4 columns of 6
        '"27/03/2024 01:00","198.51.100.8","443","online","2024-04-01","Pikabot"\n',  # bad date
        '"2024-03-27 01:00:00","999.1.2.3","443","online","2024-04-01","Pikabot"\n',  # bad IP
    ]
    text = lines[:-1] + broken + lines[-1:]
    first_broken = len(lines)  # the trailer was the last line: broken rows start there
    rows = list(Engine(mapper("feodo")).rows(text))
    errors = [(row.line, row.error) for row in rows if row.error]
    assert [line for line, _ in errors] == [first_broken, first_broken + 1, first_broken + 2]
    assert "4 columns where 6 are expected" in errors[0][1]
    assert "bad date '27/03/2024 01:00'" in errors[1][1]
    assert "'999.1.2.3' is not an IPv4 address" in errors[2][1]
    assert sum(1 for row in rows if row.objects) == good


def test_empty_mandatory_cell_is_a_row_error() -> None:
    spec = CsvMapperSpec.model_validate(
        {
            "name": "ips",
            "representations": [
                {
                    "id": "ip",
                    "target": "ipv4-addr",
                    "attributes": [{"key": "value", "column": {"letter": "B"}}],
                }
            ],
        }
    )
    rows = list(Engine(spec).rows(io.StringIO("a,198.51.100.1\nb,\nc,198.51.100.2\n")))
    assert [(r.line, r.error) for r in rows if r.error] == [
        (2, "ip: empty mandatory cell for value")
    ]
    assert [r.objects[0]["value"] for r in rows if r.objects] == ["198.51.100.1", "198.51.100.2"]


def test_defaults_transforms_dates_and_time_zones() -> None:
    spec = CsvMapperSpec.model_validate(
        {
            "name": "viriback-like",
            "has_header": True,
            "representations": [
                {
                    "id": "url",
                    "target": "url",
                    "attributes": [
                        {
                            "key": "value",
                            "column": {
                                "header": "URL",
                                "transform": {"strip_prefix": "hxxp", "lower": False},
                            },
                        }
                    ],
                },
                {
                    "id": "mw",
                    "target": "malware",
                    "attributes": [
                        {
                            "key": "name",
                            "column": {"header": "Family", "transform": {"lower": True}},
                            "default": "unknown",
                        }
                    ],
                },
                {
                    "id": "ind",
                    "target": "indicator",
                    "attributes": [
                        {"key": "based-on", "based_on": ["url"]},
                        {
                            "key": "valid_from",
                            "column": {
                                "header": "FirstSeen",
                                "date_format": "%d-%m-%Y",
                                "timezone": "Europe/Paris",
                            },
                        },
                    ],
                },
            ],
        }
    )
    text = "Family,URL,IP,FirstSeen\n AgentTesla ,hxxps://x.example/a?b='c',1.2.3.4,02-01-2024\n"
    text += ",https://y.example/,,03-01-2024\n"
    rows = list(Engine(spec).rows(io.StringIO(text)))
    first, second = (sorted(r.objects, key=lambda o: o["type"]) for r in rows)
    assert first[1]["name"] == "agenttesla" and second[1]["name"] == "unknown"
    assert first[3]["value"] == "s://x.example/a?b='c'"
    assert first[0]["valid_from"] == "2024-01-01T23:00:00.000Z"
    assert not run_validator(first[0]["pattern"], stix_version="2.1")


def test_a_mapper_missing_a_mandatory_attribute_is_refused() -> None:
    spec = CsvMapperSpec.model_validate(
        {
            "name": "no pattern",
            "representations": [
                {
                    "id": "ind",
                    "target": "indicator",
                    "attributes": [{"key": "valid_from", "column": {"letter": "A"}}],
                },
                {
                    "id": "rel",
                    "target": "indicates",
                    "attributes": [{"key": "from", "based_on": ["ind"]}],
                },
            ],
        }
    )
    with pytest.raises(InvalidInput) as caught:
        check(spec)
    message = str(caught.value)
    assert "representation 'ind' (indicator): mandatory attribute pattern or based-on" in message
    assert "representation 'rel' (indicates): mandatory attribute to is not mapped" in message


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            {
                "id": "a",
                "target": "ipv4-addr",
                "attributes": [
                    {"key": "value", "column": {"letter": "A"}},
                    {"key": "nope", "default": "x"},
                ],
            },
            "ipv4-addr has no such attribute",
        ),
        ({"id": "a", "target": "Banana Split", "attributes": []}, "unknown target"),
        (
            {
                "id": "a",
                "target": "indicates",
                "attributes": [
                    {"key": "from", "based_on": ["a"]},
                    {"key": "to", "based_on": ["ghost"]},
                ],
            },
            "cannot reference itself",
        ),
        (
            {
                "id": "a",
                "target": "url",
                "attributes": [{"key": "value", "column": {"header": "url"}}],
            },
            "needs has_header: true",
        ),
    ],
)
def test_mapper_checks(body: dict, reason: str) -> None:
    spec = CsvMapperSpec.model_validate({"name": "bad", "representations": [body]})
    with pytest.raises(InvalidInput, match=reason):
        check(spec)


def test_markings_choice() -> None:
    amber, red = "marking-definition--amber", "marking-definition--red"
    spec = mapper("sslbl")
    row = ["2024-07-19 07:47:19", "854C68AB7AD70B6F95F76EC64B8A46C145997629", "AsyncRAT C&C"]
    engine = Engine(spec, markings=Markings(user_default=(amber,), user_choice=(red,)))
    indicator = next(o for o in engine.map_cells(row) if o["type"] == "indicator")
    assert indicator["object_marking_refs"] == [amber]
    assert indicator["pattern"] == (
        "[x509-certificate:hashes.'SHA-1' = '854c68ab7ad70b6f95f76ec64b8a46c145997629']"
    )


@pytest.mark.parametrize(
    "observable",
    [
        {"type": "url", "value": "http://x.example/it's\\here"},
        {"type": "domain-name", "value": "évil.example"},
        {"type": "ipv6-addr", "value": "2606:4700:3033::6815:1eb7"},
        {"type": "file", "hashes": {"MD5": "0" * 32, "SHA-256": "f" * 64}, "name": "a'b.exe"},
        {"type": "autonomous-system", "number": 64500},
        {"type": "email-addr", "value": "trucmuche@mail.com"},
    ],
)
def test_built_patterns_pass_the_oasis_validator(observable: dict) -> None:
    pattern = pattern_of([observable])
    assert not run_validator(pattern, stix_version="2.1"), pattern


def test_patterns_from_a_column_are_validated() -> None:
    check_pattern("[domain-name:value = 'x.example']")
    with pytest.raises(PatternError):
        check_pattern("[domain-name:value = x.example")
    spec = CsvMapperSpec.model_validate(
        {
            "name": "patterns",
            "representations": [
                {
                    "id": "i",
                    "target": "indicator",
                    "attributes": [{"key": "pattern", "column": {"letter": "A"}}],
                }
            ],
        }
    )
    rows = list(Engine(spec).rows(io.StringIO('"[url:value = \'http://a/\']"\n"[url:value = "\n')))
    assert rows[0].objects and rows[1].error and "not a valid STIX 2.1 pattern" in rows[1].error
