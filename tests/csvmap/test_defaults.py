"""Defaults of every attribute type, as JSON gives them, on a real CSV (Feodo Tracker)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from stixflow.csvmap.engine import Engine
from stixflow.csvmap.model import CsvMapperSpec, check
from stixflow.errors import InvalidInput
from tests.csvmap.test_engine import FEODO

MAPPER: dict[str, Any] = {
    "name": "feodo with typed defaults",
    "has_header": True,
    "skip_line_char": "#",
    "representations": [
        {
            "id": "malware",
            "target": "malware",
            "attributes": [
                {"key": "name", "column": {"header": "malware"}},
                {"key": "is_family", "default": False},
                {"key": "confidence", "default": 75},
                {"key": "malware_types", "default": ["bot", "remote-access-trojan"]},
                {"key": "labels", "default": "c2"},
            ],
        },
        {
            "id": "asn",
            "target": "autonomous-system",
            "attributes": [{"key": "number", "default": 64500}, {"key": "name", "default": "x"}],
        },
    ],
}


def spec(mapper: dict[str, Any]) -> CsvMapperSpec:
    return CsvMapperSpec.model_validate(mapper)


def test_boolean_number_and_list_defaults_are_taken_as_their_type(data_dir: Path) -> None:
    mapper = spec(MAPPER)
    check(mapper)
    lines = (data_dir / FEODO).read_text(encoding="utf-8").splitlines(keepends=True)
    rows = [row for row in Engine(mapper).rows(lines) if row.objects]
    assert rows
    malware = next(o for o in rows[0].objects if o["type"] == "malware")
    assert malware["is_family"] is False  # not the engine's own default (true)
    assert malware["confidence"] == 75
    assert malware["malware_types"] == ["bot", "remote-access-trojan"]
    assert malware["labels"] == ["c2"]
    asn = next(o for o in rows[0].objects if o["type"] == "autonomous-system")
    assert asn["number"] == 64500


@pytest.mark.parametrize(
    ("representation", "attribute", "reason"),
    [
        (0, {"key": "is_family", "default": "maybe"}, "'maybe' is not a boolean"),
        (0, {"key": "confidence", "default": "high"}, "'high' is not a whole number"),
        (0, {"key": "is_family", "default": [True, False]}, "takes one default value"),
        (1, {"key": "number", "default": 1.5}, "'1.5' is not a whole number"),
    ],
)
def test_a_default_of_the_wrong_type_is_refused_with_a_reason(
    representation: int, attribute: dict[str, Any], reason: str
) -> None:
    mapper = copy.deepcopy(MAPPER)
    attributes = mapper["representations"][representation]["attributes"]
    attributes[:] = [a for a in attributes if a["key"] != attribute["key"]] + [attribute]
    with pytest.raises(InvalidInput) as refused:
        check(spec(mapper))
    assert reason in str(refused.value)
    assert "string" not in str(refused.value).lower()  # no pydantic type talk
