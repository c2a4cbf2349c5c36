"""Built-in marking definitions (STIX 2.1 section 7.2). Module-level dicts: copy before changing.

* TLP 1.0: the four marking definitions the STIX 2.1 specification predefines (section 7.2.1.4),
  with their fixed ids.
* TLP 2.0: the five marking definitions published by OASIS in cti-stix-common-objects
  (``extension-definition-specifications/tlp-2.0``), which carry the level in the property
  extension ``extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d``.
* Statement markings (section 7.2.1.3) with an id derived from the statement text, the way
  OpenCTI derives marking ids (``{"definition_type", "definition"}``), so the same copyright
  line from two feeds is one marking.

``TLP_BY_NAME`` maps the TLP 2.0 names to the TLP 2.0 definitions, plus ``TLP:WHITE`` (a name
only TLP 1.0 has) to its 1.0 definition. Both versions name a level ``TLP:GREEN`` (and AMBER,
RED); ``TLP_NAME_BY_ID`` maps the id of every TLP marking in use, of either version, to one
TLP 2.0 name, so that access checks can treat TLP 1.0 GREEN and TLP 2.0 GREEN as one level.
"""

from __future__ import annotations

import uuid

from stixflow.stix.ids import NAMESPACE, canonical_json
from stixflow.stix.timestamps import to_millis

TLP2_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
STATEMENT_CREATED = "1970-01-01T00:00:00.000Z"

_TLP1_CREATED = "2017-01-20T00:00:00.000Z"
_TLP2_CREATED = "2022-10-01T00:00:00.000Z"
_TLP1_IDS = {
    "white": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
    "green": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
    "amber": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
    "red": "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
}
_TLP2_IDS = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
#: OpenCTI's own TLP:AMBER+STRICT (it predates the OASIS object); OpenCTI uses the TLP 1.0 ids
#: for CLEAR (the WHITE id), GREEN, AMBER and RED.
_OPENCTI_AMBER_STRICT_ID = "marking-definition--826578e1-40ad-459f-bc73-ede076f81f37"


def _tlp1(level: str) -> dict:
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": _TLP1_IDS[level],
        "created": _TLP1_CREATED,
        "definition_type": "tlp",
        "name": f"TLP:{level.upper()}",
        "definition": {"tlp": level},
    }


def _tlp2(level: str) -> dict:
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": _TLP2_IDS[level],
        "created": _TLP2_CREATED,
        "name": f"TLP:{level.upper()}",
        "extensions": {
            TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": level},
        },
    }


TLP1_MARKINGS: list[dict] = [_tlp1(level) for level in _TLP1_IDS]
TLP2_MARKINGS: list[dict] = [_tlp2(level) for level in _TLP2_IDS]
BUILT_IN_MARKINGS: list[dict] = TLP1_MARKINGS + TLP2_MARKINGS

TLP_BY_NAME: dict[str, dict] = {
    **{marking["name"]: marking for marking in TLP2_MARKINGS},
    "TLP:WHITE": TLP1_MARKINGS[0],
}

TLP_NAME_BY_ID: dict[str, str] = {
    **{_TLP1_IDS[level]: f"TLP:{level.upper()}" for level in ("green", "amber", "red")},
    _TLP1_IDS["white"]: "TLP:CLEAR",
    **{_TLP2_IDS[level]: f"TLP:{level.upper()}" for level in _TLP2_IDS},
    _OPENCTI_AMBER_STRICT_ID: "TLP:AMBER+STRICT",
}


def statement_marking(statement: str, *, created: str | None = None) -> dict:
    """A statement marking definition whose id depends on the statement text only.

    ``created`` defaults to ``STATEMENT_CREATED`` (the Unix epoch) so that the same statement
    always yields the same object; a given value is written with millisecond precision.
    Raises ValueError for an empty statement or a malformed ``created``.
    """
    if not isinstance(statement, str) or not statement.strip():
        raise ValueError("a statement marking needs a non-empty statement")
    created_value = STATEMENT_CREATED if created is None else to_millis(created)
    if created_value is None:
        raise ValueError(f"created {created!r} is not a STIX timestamp (YYYY-MM-DDTHH:MM:SS[.s]Z)")
    contributing = {"definition_type": "statement", "definition": statement}
    marking_uuid = uuid.uuid5(NAMESPACE, canonical_json(contributing))
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": f"marking-definition--{marking_uuid}",
        "created": created_value,
        "definition_type": "statement",
        "definition": {"statement": statement},
    }
