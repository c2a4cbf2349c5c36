"""Domain objects (OpenCTI's Stix-Domain-Object and its classes): reads and lists per class
(``malware``/``malwares``, ``indicator``/``indicators``…), the generic ``stixDomainObject(s)``
and ``stixCoreObject(s)``, the creates connectors make, and ``stixDomainObjectEdit`` /
``stixCoreObjectEdit``."""

from __future__ import annotations

from typing import Any

from ariadne import MutationType
from graphql import GraphQLResolveInfo

from stixflow.connectors.graphql import edits, entities, inputs
from stixflow.connectors.graphql.entities import Entity

SDO_TYPES = (
    "attack-pattern", "campaign", "course-of-action", "grouping", "identity", "incident",
    "indicator", "infrastructure", "intrusion-set", "location", "malware", "malware-analysis",
    "note", "observed-data", "opinion", "report", "threat-actor", "tool", "vulnerability",
    "x-opencti-case-incident", "x-opencti-case-rft", "x-opencti-channel", "x-mitre-data-source",
    "x-mitre-data-component", "x-mitre-tactic", "x-mitre-matrix", "x-mitre-collection",
)  # fmt: skip


def _entity(one: str, many: str, stix_type: str, ordering: str, add: str | None = None, **kw):  # type: ignore[no-untyped-def]
    build = kw.pop("build", None) or (inputs.builder(stix_type) if add else None)
    return Entity(
        one=one,
        many=many,
        types=(stix_type,),
        ordering=ordering,
        add=add,
        add_input=f"{add[0].upper()}{add[1:-3]}AddInput" if add else None,
        build=build,
        **kw,
    )


ENTITIES = (
    Entity("stixDomainObject", "stixDomainObjects", SDO_TYPES, "StixDomainObjectsOrdering", True),
    Entity("stixCoreObject", "stixCoreObjects", (), "StixCoreObjectsOrdering", True),
    Entity("stixObjectOrStixRelationship", "stixObjectOrStixRelationships", ()),
    _entity("malware", "malwares", "malware", "MalwaresOrdering", "malwareAdd"),
    _entity(
        "attackPattern",
        "attackPatterns",
        "attack-pattern",
        "AttackPatternsOrdering",
        "attackPatternAdd",
    ),
    _entity("indicator", "indicators", "indicator", "IndicatorsOrdering", "indicatorAdd"),
    _entity(
        "vulnerability",
        "vulnerabilities",
        "vulnerability",
        "VulnerabilitiesOrdering",
        "vulnerabilityAdd",
    ),
    _entity(
        "intrusionSet", "intrusionSets", "intrusion-set", "IntrusionSetsOrdering", "intrusionSetAdd"
    ),
    _entity("report", "reports", "report", "ReportsOrdering", "reportAdd"),
    _entity("note", "notes", "note", "NotesOrdering", "noteAdd"),
    _entity("incident", "incidents", "incident", "IncidentsOrdering", "incidentAdd"),
    _entity("tool", "tools", "tool", "ToolsOrdering", "toolAdd"),
    _entity("campaign", "campaigns", "campaign", "CampaignsOrdering", "campaignAdd"),
    _entity(
        "threatActorGroup",
        "threatActorsGroup",
        "threat-actor",
        "ThreatActorsOrdering",
        "threatActorGroupAdd",
    ),
    _entity("channel", "channels", "x-opencti-channel", "ChannelsOrdering", "channelAdd"),
    _entity("caseRft", "caseRfts", "x-opencti-case-rft", "CaseRftsOrdering"),
    _entity(
        "caseIncident",
        "caseIncidents",
        "x-opencti-case-incident",
        "CaseIncidentsOrdering",
        "caseIncidentAdd",
        build=inputs.case_builder,
    ),
    _entity("identity", "identities", "identity", "IdentitiesOrdering", with_types=True),
    _entity(
        "location",
        "locations",
        "location",
        "LocationsOrdering",
        "locationAdd",
        build=inputs.location_builder,
        with_types=True,
    ),
)
EDIT_ROOTS = ("stixDomainObjectEdit", "stixCoreObjectEdit")

SDL = entities.sdl(ENTITIES, EDIT_ROOTS)
BINDABLES = entities.bind(ENTITIES, EDIT_ROOTS)


FIELD_PATCH_SDL = """
extend type Mutation {
  indicatorFieldPatch(id: ID!, input: [EditInput]!, commitMessage: String,
                      references: [String]): StixNode
}
"""
SDL = SDL + "\n\n" + FIELD_PATCH_SDL
_patches = MutationType()


@_patches.field("indicatorFieldPatch")
def resolve_indicator_patch(
    _: None, info: GraphQLResolveInfo, id: str, input: list[Any], **rest: Any
) -> Any:
    """``indicatorFieldPatch``: ``stixDomainObjectEdit { fieldPatch }`` of an indicator."""
    return edits.field_patch({"id": id}, info, input)


BINDABLES = (*BINDABLES, _patches)
