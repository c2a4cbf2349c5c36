"""OpenCTI's configuration file: ``{"openCTI_version", "type", "configuration"}``.

OpenCTI exports and imports CSV mappers, CSV feeds, TAXII feeds and TAXII Push ingesters as one
JSON document each. ``Fields`` reads a ``configuration`` while recording every key it does not
consume: those are reported to the user (``Report.unsupported``), never dropped silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from stixflow.errors import InvalidInput

#: The OpenCTI release whose file format the exported files follow.
OPENCTI_VERSION = "6.9.4"
#: Keys OpenCTI writes that mean nothing here (its own ids): known, read and not kept.
IGNORED = frozenset({"id"})


class FileType(StrEnum):
    """The ``type`` of an OpenCTI configuration file."""

    CSV_MAPPER = "csvMapper"
    CSV_FEED = "csvFeeds"
    TAXII_FEED = "taxiiFeeds"
    TAXII_PUSH = "taxiiPushCollections"


@dataclass
class Report:
    """What an import or export could not carry over, one ``path: reason`` line each."""

    unsupported: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, path: str, reason: str) -> None:
        self.unsupported.append(f"{path}: {reason}")


def empty(value: object) -> bool:
    return value is None or value == "" or value == [] or value == {}


class Fields:
    """One JSON object read key by key; ``done`` reports the keys nobody took."""

    def __init__(self, data: object, path: str, report: Report) -> None:
        if not isinstance(data, Mapping):
            raise InvalidInput(f"{path}: expected a JSON object")
        self.data = data
        self.path = path
        self.report = report
        self.taken: set[str] = set(IGNORED)

    def take(self, key: str, default: Any = None) -> Any:
        self.taken.add(key)
        value = self.data.get(key)
        return default if value is None else value

    def text(self, key: str, default: str = "") -> str:
        value = self.take(key, default)
        if not isinstance(value, str):
            raise InvalidInput(f"{self.path}.{key}: expected a string")
        return value

    def items(self, key: str) -> list[Any]:
        """A list value (empty when absent); InvalidInput for anything else."""
        value = self.take(key, [])
        if not isinstance(value, list):
            raise InvalidInput(f"{self.path}.{key}: expected a list")
        return value

    def child(self, key: str) -> Fields:
        return Fields(self.take(key, {}), f"{self.path}.{key}", self.report)

    def at(self, data: object, where: str) -> Fields:
        """Fields of ``data`` found at ``where`` inside this object (a list item)."""
        return Fields(data, f"{self.path}.{where}", self.report)

    def unsupported(self, key: str, reason: str) -> None:
        """A known key whose value stixflow cannot honour: reported when it says something."""
        value = self.take(key)
        if not empty(value) and value is not False:
            self.report.add(f"{self.path}.{key}", f"{reason} (value {value!r})")

    def done(self) -> None:
        for key, value in self.data.items():
            if key not in self.taken and not empty(value):
                self.report.add(f"{self.path}.{key}", "unknown OpenCTI field, not imported")


M = TypeVar("M", bound=BaseModel)


def build(model: type[M], path: str, **fields: Any) -> M:
    """``model(**fields)``; InvalidInput naming ``path`` and the problems when it is refused."""
    try:
        return model(**fields)
    except ValidationError as exc:
        said = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise InvalidInput(f"{path}: {said}") from exc


def read(document: bytes | Mapping[str, Any], expected: FileType) -> Mapping[str, Any]:
    """The ``configuration`` of an OpenCTI file of type ``expected`` (InvalidInput otherwise)."""
    if isinstance(document, bytes | bytearray):
        try:
            document = orjson.loads(document)
        except orjson.JSONDecodeError as exc:
            raise InvalidInput(f"not a JSON file: {exc}") from exc
    if not isinstance(document, Mapping) or "configuration" not in document:
        raise InvalidInput("not an OpenCTI configuration file (no 'configuration')")
    if document.get("type") != expected.value:
        raise InvalidInput(
            f"this is an OpenCTI {document.get('type')!r} file; expected {expected.value!r}"
        )
    configuration = document["configuration"]
    if not isinstance(configuration, Mapping):
        raise InvalidInput("configuration: expected a JSON object")
    return configuration


def write(kind: FileType, configuration: dict[str, Any]) -> dict[str, Any]:
    return {"openCTI_version": OPENCTI_VERSION, "type": kind.value, "configuration": configuration}
