"""OpenCTI fixture files and the equivalence a round trip must keep."""

from __future__ import annotations

import copy
import json
from typing import Any

from tests.conftest import DATA

FIXTURES = DATA / "opencti-fixtures"
CSV_FEED = "csvFeed/test-csv-feed.json"
TAXII_FEED = "taxiiFeed/test-taxii-feed.json"
TAXII_PUSH = "taxiiPush/test-taxii-push.json"
#: Each ingester fixture with the stixflow kind it imports as.
INGESTER_FILES = {CSV_FEED: "csv", TAXII_FEED: "taxii", TAXII_PUSH: "taxii-push"}


def fixture(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return loaded


def inline_mapper_file() -> dict[str, Any]:
    """The csvMapper file inside the CSV feed fixture (OpenCTI's csvMapper fixture folder holds
    only a CSV file)."""
    return copy.deepcopy(fixture(CSV_FEED)["configuration"]["csv_mapper"])


def comparable(document: dict[str, Any]) -> dict[str, Any]:
    """What a round trip keeps: everything but the release number and OpenCTI's own ids
    (the importing platform gives its own); an empty authentication type is "none"; a TAXII
    API root is the same URL with or without its final slash."""
    document = copy.deepcopy(document)
    document.pop("openCTI_version", None)
    configuration = document["configuration"]
    configuration.pop("id", None)
    if configuration.get("authentication_type") == "":
        configuration["authentication_type"] = "none"
    if document.get("type") == "taxiiFeeds":
        configuration["uri"] = configuration["uri"].rstrip("/")
    if isinstance(configuration.get("csv_mapper"), dict):
        configuration["csv_mapper"] = comparable(configuration["csv_mapper"])
    return document
