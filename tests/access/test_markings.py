"""Allowed markings: a TLP level allows the lower levels, under both TLP versions' ids."""

from __future__ import annotations

from stixflow.access.markings import expand_allowed
from stixflow.stix.markings import TLP1_MARKINGS, TLP_BY_NAME

TLP1 = {marking["name"]: marking["id"] for marking in TLP1_MARKINGS}
TLP2 = {name: marking["id"] for name, marking in TLP_BY_NAME.items() if name != "TLP:WHITE"}
STATEMENT = "marking-definition--c87a8dff-1bba-545f-98e7-cc5f2cb584d3"


def test_green_allows_clear_and_white_not_amber() -> None:
    allowed = expand_allowed([TLP2["TLP:GREEN"]])
    assert {TLP2["TLP:CLEAR"], TLP1["TLP:WHITE"], TLP1["TLP:GREEN"], TLP2["TLP:GREEN"]} <= allowed
    assert not {TLP1["TLP:AMBER"], TLP2["TLP:AMBER"], TLP2["TLP:RED"]} & allowed


def test_amber_does_not_allow_amber_strict_but_red_allows_all() -> None:
    assert TLP2["TLP:AMBER+STRICT"] not in expand_allowed([TLP1["TLP:AMBER"]])
    assert set(TLP1.values()) | set(TLP2.values()) <= expand_allowed([TLP1["TLP:RED"]])


def test_other_markings_are_allowed_one_by_one() -> None:
    assert expand_allowed([STATEMENT]) == {STATEMENT}
    assert expand_allowed([]) == frozenset()
