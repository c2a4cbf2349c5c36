"""Granular markings (STIX 2.1 §7.2.3): what ``redact`` cuts for a reader, and what it hides."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from stixflow.stix.granular import hiding_markings, parse_selector, redact
from tests.support import TLP_AMBER, TLP_GREEN

GREEN = frozenset({TLP_GREEN})
RED = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"


def marked(*entries: tuple[str, list[str]], **props: Any) -> dict[str, Any]:
    return {
        "type": "malware",
        "spec_version": "2.1",
        "id": "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b",
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z",
        "name": "Emotet",
        "is_family": True,
        "description": "secret",
        "labels": ["a", "b", "c"],
        "external_references": [
            {"source_name": "blog", "url": "https://secret.example"},
            {"source_name": "mitre"},
        ],
        "granular_markings": [{"marking_ref": ref, "selectors": sel} for ref, sel in entries],
        **props,
    }


def test_selectors_parse_to_paths() -> None:
    assert parse_selector("external_references.[0].url") == ("external_references", 0, "url")
    assert parse_selector("description") == ("description",)
    for bad in ("", "[0]", "labels[1]", "labels.", 3, None):
        assert parse_selector(bad) is None


def test_marked_property_list_item_and_nested_value_are_cut() -> None:
    obj = marked((TLP_AMBER, ["description", "labels.[1]", "external_references.[0].url"]))
    before = copy.deepcopy(obj)
    seen = redact(obj, GREEN)
    assert seen is not None
    assert "description" not in seen and "granular_markings" not in seen
    assert seen["labels"] == ["a", "c"]
    assert seen["external_references"] == [{"source_name": "blog"}, {"source_name": "mitre"}]
    assert obj == before  # the stored object is not touched


def test_nothing_is_cut_for_a_reader_allowed_the_marking_or_for_everything() -> None:
    obj = marked((TLP_AMBER, ["description"]))
    assert redact(obj, frozenset({TLP_AMBER})) is obj
    assert redact(obj, None) is obj
    plain = marked()
    del plain["granular_markings"]
    assert redact(plain, frozenset()) is plain


def test_kept_markings_follow_their_parts_and_markings_of_cut_parts_go() -> None:
    obj = marked(
        (TLP_AMBER, ["labels.[1]", "external_references.[0]"]),
        (TLP_GREEN, ["labels.[2]", "external_references.[1].source_name", "labels.[1]"]),
        ("", []),
    )
    obj["granular_markings"][2] = {"lang": "fr", "selectors": ["description"]}
    seen = redact(obj, GREEN)
    assert seen is not None
    assert seen["labels"] == ["a", "c"]
    assert seen["external_references"] == [{"source_name": "mitre"}]
    assert seen["granular_markings"] == [
        {
            "marking_ref": TLP_GREEN,
            "selectors": ["labels.[1]", "external_references.[0].source_name"],
        },
        {"lang": "fr", "selectors": ["description"]},
    ]


def test_a_list_emptied_by_cuts_is_removed() -> None:
    seen = redact(marked((TLP_AMBER, ["labels.[0]", "labels.[1]", "labels.[2]"])), GREEN)
    assert seen is not None and "labels" not in seen


@pytest.mark.parametrize("selector", ["name", "id", "type", "modified", "is_family"])
def test_a_marked_required_property_hides_the_object(selector: str) -> None:
    obj = marked((TLP_AMBER, [selector]))
    assert redact(obj, GREEN) is None
    assert TLP_AMBER in hiding_markings(obj)
    assert redact(obj, frozenset({TLP_AMBER, TLP_GREEN})) is obj


def test_required_properties_depend_on_the_type() -> None:
    indicator = {
        "type": "indicator",
        "id": "indicator--31b940d4-6f7f-459a-80ea-9c1f17b5891b",
        "name": "optional here",
        "pattern": "[ipv4-addr:value = '203.0.113.1']",
        "granular_markings": [{"marking_ref": TLP_AMBER, "selectors": ["name"]}],
    }
    seen = redact(indicator, GREEN)
    assert seen is not None and "name" not in seen
    indicator["granular_markings"][0]["selectors"] = ["pattern"]
    assert redact(indicator, GREEN) is None


def test_object_markings_still_hide_whatever_the_granular_ones() -> None:
    obj = marked((TLP_GREEN, ["description"]), object_marking_refs=[TLP_AMBER])
    assert redact(obj, GREEN) is None
    assert hiding_markings(obj) == [TLP_AMBER]


def test_an_unreadable_selector_hides_the_object() -> None:
    obj = marked((TLP_AMBER, ["labels[1]"]))
    assert redact(obj, GREEN) is None
    assert TLP_AMBER in hiding_markings(obj)


def test_selectors_naming_nothing_cut_nothing() -> None:
    obj = marked((TLP_AMBER, ["labels.[7]", "x_absent"]))
    seen = redact(obj, GREEN)
    assert seen is not None and seen["labels"] == ["a", "b", "c"] and "description" in seen
    assert "granular_markings" not in seen


def test_a_reader_allowed_nothing_loses_every_marked_part() -> None:
    obj = marked((TLP_AMBER, ["description"]), (TLP_GREEN, ["labels.[0]"]), (RED, ["labels.[2]"]))
    seen = redact(obj, frozenset())
    assert seen is not None and seen["labels"] == ["b"] and "description" not in seen
