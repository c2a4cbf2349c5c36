"""Upgrade STIX 2.0 objects to STIX 2.1.

The changes a 2.0 object needs to be valid 2.1 (STIX 2.1 Appendix "Changes from STIX 2.0"):

* ``spec_version: "2.1"`` on every object (2.0 only had it on the bundle);
* the 2.0 ``labels`` of malware, tool, threat-actor, report and indicator were their type
  vocabularies; 2.1 has ``*_types`` for that. The values are copied to the ``*_types``
  property and ``labels`` is kept too (in 2.1 it is a common property, valid on every SDO);
* malware gets ``is_family: true`` (2.0 malware described families) and indicators get
  ``pattern_type: "stix"`` (2.0 only had STIX patterns);
* a 2.0 ``identity_class`` given as a one-item list (a common producer mistake, e.g. in the Unit 42
  playbooks) becomes the string it holds;
* ``created`` and ``modified`` are written ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (2.1 requires at least
  millisecond precision; one fixed precision also makes the strings order correctly).
"""

from __future__ import annotations

from stixflow.errors import InvalidObject
from stixflow.stix.ids import SCO_TYPES
from stixflow.stix.timestamps import to_millis

#: Types whose 2.0 ``labels`` are the 2.1 ``*_types`` open vocabulary.
TYPES_PROPERTY = {
    "malware": "malware_types",
    "tool": "tool_types",
    "threat-actor": "threat_actor_types",
    "report": "report_types",
    "indicator": "indicator_types",
}


def is_v20(obj: dict) -> bool:
    """True for a STIX 2.0 object: no ``spec_version`` and not laid out as a 2.1 SCO.

    In 2.1 ``spec_version`` is optional on SCOs only, so an object without it is taken as 2.1
    when it looks like one: a known SCO type with an ``id``, or any type with an ``id`` and
    neither ``created`` nor ``modified`` (a custom SCO), except marking definitions.
    """
    if "spec_version" in obj:
        return obj["spec_version"] == "2.0"
    object_type = obj.get("type")
    if "id" in obj and object_type in SCO_TYPES:
        return False
    has_dates = "created" in obj or "modified" in obj
    return has_dates or object_type == "marking-definition"


def to_v21(obj: dict) -> dict:
    """A new dict holding ``obj`` as STIX 2.1; 2.1 objects come back as an equal copy.

    Nested values are shared with ``obj`` (neither is mutated). Raises InvalidObject when
    ``obj`` has no usable ``type``.
    """
    object_type = obj.get("type")
    if not isinstance(object_type, str) or not object_type:
        raise InvalidObject(_object_id(obj), "cannot upgrade an object without a type")
    if not is_v20(obj):
        return dict(obj)
    # "type" and "spec_version" first, then the rest in their order ("type" keeps its value)
    upgraded = {"type": object_type, "spec_version": "2.1", **obj}
    upgraded["spec_version"] = "2.1"
    _normalise_dates(upgraded)
    _labels_to_types(upgraded, object_type)
    if object_type == "malware":
        upgraded.setdefault("is_family", True)
    elif object_type == "identity":
        _unwrap_identity_class(upgraded)
    elif object_type == "indicator":
        upgraded.setdefault("pattern_type", "stix")
    return upgraded


def _object_id(obj: dict) -> str | None:
    value = obj.get("id")
    return value if isinstance(value, str) else None


def _normalise_dates(obj: dict) -> None:
    for key in ("created", "modified"):
        value = obj.get(key)
        if isinstance(value, str):
            obj[key] = to_millis(value) or value


def _labels_to_types(obj: dict, object_type: str) -> None:
    types_property = TYPES_PROPERTY.get(object_type)
    labels = obj.get("labels")
    if types_property is None or types_property in obj:
        return
    if isinstance(labels, list) and labels:
        obj[types_property] = list(labels)


def _unwrap_identity_class(obj: dict) -> None:
    value = obj.get("identity_class")
    if isinstance(value, list) and value and isinstance(value[0], str):
        obj["identity_class"] = value[0]
