"""OpenCTI CSV mappers (``type: csvMapper``) to and from stixflow's ``CsvMapperSpec``.

OpenCTI names targets by its entity types (``IPv4-Addr``, ``Threat-Actor-Group``,
``Individual``) and keys by its attribute names (``createdBy``, ``objectMarking``,
``objectLabel``); columns are letters with an optional ``configuration`` (``separator``,
``pattern_date`` in moment.js tokens, ``timezone``); ``column_based`` applies a representation only
where a column holds a value. Entity types that are one STIX type with a fixed property
(``Individual`` is an ``identity`` of class ``individual``) become the STIX type plus that
property as a default, and come back as the entity type on export.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from stixflow.csvmap import catalog
from stixflow.csvmap.engine import fixed_marking
from stixflow.csvmap.model import (
    USER_CHOICE,
    USER_DEFAULT,
    Attribute,
    Column,
    CsvMapperSpec,
    Filter,
    Representation,
)
from stixflow.errors import InvalidInput
from stixflow.opencti import dates
from stixflow.opencti.files import Fields, FileType, Report, build, read, write

#: OpenCTI entity type → (STIX type, properties that entity type fixes).
ENTITY_TYPES: dict[str, tuple[str, dict[str, str]]] = {
    "Attack-Pattern": ("attack-pattern", {}),
    "Campaign": ("campaign", {}),
    "Indicator": ("indicator", {}),
    "Infrastructure": ("infrastructure", {}),
    "Intrusion-Set": ("intrusion-set", {}),
    "Malware": ("malware", {}),
    "Threat-Actor-Group": ("threat-actor", {}),
    "Tool": ("tool", {}),
    "Vulnerability": ("vulnerability", {}),
    "Individual": ("identity", {"identity_class": "individual"}),
    "Organization": ("identity", {"identity_class": "organization"}),
    "Sector": ("identity", {"identity_class": "class"}),
    "System": ("identity", {"identity_class": "system"}),
    "Country": ("location", {"x_opencti_location_type": "Country"}),
    "City": ("location", {"x_opencti_location_type": "City"}),
    "Region": ("location", {"x_opencti_location_type": "Region"}),
    "Administrative-Area": ("location", {"x_opencti_location_type": "Administrative-Area"}),
    "Autonomous-System": ("autonomous-system", {}),
    "Credential": ("credential", {}),
    "Directory": ("directory", {}),
    "Domain-Name": ("domain-name", {}),
    "Email-Addr": ("email-addr", {}),
    "IPv4-Addr": ("ipv4-addr", {}),
    "IPv6-Addr": ("ipv6-addr", {}),
    "Mac-Addr": ("mac-addr", {}),
    "Mutex": ("mutex", {}),
    "Software": ("software", {}),
    "StixFile": ("file", {}),
    "Url": ("url", {}),
    "X509-Certificate": ("x509-certificate", {}),
}
#: OpenCTI attribute names that differ from the STIX property.
KEYS = {"createdBy": "created_by", "objectMarking": "object_marking_refs", "objectLabel": "labels"}
OPENCTI_KEYS = {stix: opencti for opencti, stix in KEYS.items()}


def import_mapper(document: bytes | dict[str, Any], report: Report) -> CsvMapperSpec:
    """The stixflow mapper of an OpenCTI ``csvMapper`` file (or of its ``configuration``)."""
    if isinstance(document, dict) and "representations" in document:
        configuration: Any = document
    else:
        configuration = read(document, FileType.CSV_MAPPER)
    return mapper_from(configuration, "configuration", report)


def mapper_from(configuration: Any, path: str, report: Report) -> CsvMapperSpec:
    fields = Fields(configuration, path, report)
    skip = fields.take("skipLineChar")
    representations = [
        rep
        for i, item in enumerate(fields.items("representations"))
        if (rep := _representation(Fields(item, f"{path}.representations[{i}]", report)))
    ]
    spec = {
        "name": fields.text("name"),
        "has_header": bool(fields.take("has_header", False)),
        "separator": fields.text("separator", ","),
        "skip_line_char": skip or None,
        "strict_columns": False,  # OpenCTI maps rows whatever their column count
        "representations": representations,
    }
    fields.unsupported("user_chosen_markings", "markings chosen per use: use 'user-choice'")
    fields.done()
    try:
        return CsvMapperSpec.model_validate(spec)
    except ValidationError as exc:
        raise InvalidInput(f"{path}: not a mapper stixflow can run: {exc}") from exc


def _representation(fields: Fields) -> Representation | None:
    kind = fields.text("type", "entity")
    target_fields = fields.child("target")
    entity_type = target_fields.text("entity_type")
    based = target_fields.take("column_based")
    target_fields.done()
    fixed: dict[str, str] = {}
    if kind == "relationship":
        target = entity_type
    elif entity_type in ENTITY_TYPES:
        target, fixed = ENTITY_TYPES[entity_type]
    else:
        fields.report.add(f"{fields.path}.target.entity_type", f"{entity_type!r} is not supported")
        fields.take("attributes")
        fields.done()
        return None
    attributes = [
        attribute
        for i, item in enumerate(fields.items("attributes"))
        if (attribute := _attribute(fields.at(item, f"attributes[{i}]"), target))
    ]
    attributes += [build(Attribute, fields.path, key=k, default=v) for k, v in fixed.items()]
    rep = build(
        Representation,
        fields.path,
        id=fields.text("id"),
        target=target,
        attributes=attributes,
        filter=_filter(based, f"{fields.path}.target.column_based", fields.report),
    )
    fields.done()
    return rep


def _filter(based: Any, path: str, report: Report) -> Filter | None:
    if not based:
        return None
    fields = Fields(based, path, report)
    operator = fields.text("operator", "eq")
    column = fields.text("column_reference")
    value = fields.text("value")
    fields.done()
    if operator not in ("eq", "not_eq"):
        raise InvalidInput(f"{path}.operator: {operator!r} is not eq or not_eq")
    return build(
        Filter, path, column=build(Column, path, letter=column), operator=operator, value=value
    )


def _attribute(fields: Fields, target: str) -> Attribute | None:
    opencti_key = fields.text("key")
    key = KEYS.get(opencti_key, opencti_key)
    column = _column(fields.take("column"), f"{fields.path}.column", fields.report)
    based_on = _based_on(fields.take("based_on"), f"{fields.path}.based_on", fields.report)
    defaults = [_default(v) for v in fields.items("default_values")]
    if key == "object_marking_refs":
        defaults = _markings(defaults, f"{fields.path}.default_values", fields.report)
    fields.unsupported("ref", "reference settings are not supported")
    fields.done()
    if catalog.attribute_kind(target, key) is None:
        fields.report.add(f"{fields.path}.key", f"{target} has no attribute {opencti_key!r}")
        return None
    if column is None and not based_on and not defaults:
        return None  # an attribute OpenCTI lists without a value: nothing to map
    default: str | list[str] | None = None
    if defaults:
        default = defaults if len(defaults) > 1 or key == "object_marking_refs" else defaults[0]
    return build(
        Attribute, fields.path, key=key, column=column, based_on=based_on or None, default=default
    )


def _based_on(data: Any, path: str, report: Report) -> list[str] | None:
    if not data:
        return None
    fields = Fields(data, path, report)
    refs = [str(ref) for ref in fields.items("representations")]
    fields.done()
    return refs or None


def _markings(refs: list[str], path: str, report: Report) -> list[str]:
    """Marking defaults stixflow can resolve (TLP names, STIX ids, user-default/user-choice);
    OpenCTI's internal ids of markings are reported, not kept."""
    kept = []
    for ref in refs:
        if ref not in (USER_DEFAULT, USER_CHOICE):
            try:
                fixed_marking(ref)
            except InvalidInput:
                report.add(path, f"marking {ref!r} is not a TLP name or a STIX marking id")
                continue
        kept.append(ref)
    return kept


def _default(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("name") or value.get("id") or "")
    return str(value)


def _column(data: Any, path: str, report: Report) -> Column | None:
    if not data:
        return None
    fields = Fields(data, path, report)
    letter = fields.text("column_name")
    options = fields.take("configuration") or {}
    config = Fields(options, f"{path}.configuration", report)
    separator = config.text("separator") or None
    pattern = config.text("pattern_date") or None
    timezone = config.text("timezone") or None
    config.done()
    fields.done()
    return build(
        Column,
        path,
        letter=letter,
        separator=separator,
        date_format=dates.to_strptime(pattern) if pattern else None,
        timezone=timezone,
    )


# -- export -----------------------------------------------------------------------------------


def export_mapper(spec: CsvMapperSpec, report: Report) -> dict[str, Any]:
    """An OpenCTI ``csvMapper`` file; what OpenCTI cannot express is reported."""
    return write(FileType.CSV_MAPPER, mapper_to(spec, "mapper", report))


def mapper_to(spec: CsvMapperSpec, path: str, report: Report) -> dict[str, Any]:
    if spec.quote != '"':
        report.add(f"{path}.quote", "OpenCTI reads double quotes only")
    if spec.description:
        report.add(f"{path}.description", "an OpenCTI mapper has no description")
    return {
        "name": spec.name,
        "has_header": spec.has_header,
        "separator": spec.separator,
        "representations": [
            _representation_to(rep, f"{path}.{rep.id}", report) for rep in spec.representations
        ],
        "skipLineChar": spec.skip_line_char or "",
    }


def _entity_type(rep: Representation) -> tuple[str, set[str]]:
    """The OpenCTI entity type of ``rep`` and the attribute keys that type stands for."""
    fixed = {a.key: a.default for a in rep.attributes if a.column is None and not a.based_on}
    for entity_type, (target, props) in ENTITY_TYPES.items():
        if target == rep.target and props and all(fixed.get(k) == v for k, v in props.items()):
            return entity_type, set(props)
    for entity_type, (target, _fixed) in ENTITY_TYPES.items():
        if target == rep.target:
            return entity_type, set()
    raise InvalidInput(f"representation {rep.id!r}: OpenCTI has no entity type for {rep.target}")


def _representation_to(rep: Representation, path: str, report: Report) -> dict[str, Any]:
    if rep.is_relationship:
        entity_type, implied = rep.target, set()
    else:
        entity_type, implied = _entity_type(rep)
    based = None
    if rep.filter is not None:
        based = {
            "column_reference": _letter(rep.filter.column, f"{path}.filter", report),
            "operator": rep.filter.operator,
            "value": rep.filter.value,
        }
    attributes = [
        _attribute_to(a, f"{path}.{a.key}", report) for a in rep.attributes if a.key not in implied
    ]
    return {
        "id": rep.id,
        "type": "relationship" if rep.is_relationship else "entity",
        "target": {"entity_type": entity_type, "column_based": based},
        "attributes": attributes,
    }


def _letter(column: Column, path: str, report: Report) -> str | None:
    if column.header is not None:
        report.add(path, f"column named {column.header!r}: OpenCTI names columns by letter")
        return None
    if column.transform.strip_prefix or column.transform.lower or not column.transform.trim:
        report.add(path, "OpenCTI has no cell transform")
    return column.letter


def _attribute_to(attribute: Attribute, path: str, report: Report) -> dict[str, Any]:
    column = None
    if attribute.column is not None:
        configuration: dict[str, Any] = {}
        if attribute.column.separator:
            configuration["separator"] = attribute.column.separator
        if attribute.column.date_format:
            configuration["pattern_date"] = dates.to_moment(attribute.column.date_format)
        if attribute.column.timezone:
            configuration["timezone"] = attribute.column.timezone
        column = {
            "column_name": _letter(attribute.column, path, report),
            "configuration": configuration or None,
        }
    return {
        "key": OPENCTI_KEYS.get(attribute.key, attribute.key),
        "column": column,
        "default_values": attribute.defaults or None,
        "based_on": {"representations": attribute.based_on} if attribute.based_on else None,
    }
