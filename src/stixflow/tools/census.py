"""How many of the OpenCTI catalog's connectors make only calls we serve.

Reads the census (``helper-api-census.tsv``: each ``helper.api.<area>.<method>`` call, and the
connector folders that make it) and our GraphQL schema. A call is served when every GraphQL
root field it needs is in the schema (``NEEDS``; ``GET /path``: an HTTP route of the API, for
``fetch_opencti_file``); calls pycti answers on its own side (id
generators, date formatting, the API URL) need none. A call missing from ``NEEDS`` is not
served. A connector is served when all its calls are; the catalog has ``CATALOG`` connectors
(those that make no call at all are served)::

    python -m stixflow.tools.census [path/to/helper-api-census.tsv]
"""

from __future__ import annotations

import csv
import sys
from collections import Counter, defaultdict
from pathlib import Path

from stixflow.api.routes.files import router as files_router
from stixflow.connectors.graphql import build_schema

ROUTERS = (files_router,)

CATALOG = 301
DEFAULT_CENSUS = (
    Path(__file__).resolve().parents[3].parent
    / "shared/peers/opencti-connectors/helper-api-census.tsv"
)
#: The GraphQL root fields each served call needs (``()``: answered inside pycti).
NEEDS: dict[str, tuple[str, ...]] = {
    "work.initiate_work": ("workAdd",),
    "work.to_processed": ("workEdit",),
    "work.to_received": ("workEdit",),
    "work.ping": ("workEdit",),
    "work.get_work": ("work",),
    "work.report_expectation": ("workEdit",),
    "connector.register": ("registerConnector",),
    "connector.ping": ("pingConnector",),
    "identity.create": ("organizationAdd", "individualAdd", "systemAdd", "identityAdd"),
    "identity.read": ("identity",),
    "identity.list": ("identities",),
    "marking_definition.read": ("markingDefinition", "markingDefinitions"),
    "label.create": ("labelAdd",),
    "label.read_or_create_unchecked": ("labels", "labelAdd"),
    "external_reference.create": ("externalReferenceAdd",),
    "external_reference.read": ("externalReference", "externalReferences"),
    "external_reference.delete": ("externalReferenceEdit",),
    "stix_cyber_observable.read": ("stixCyberObservable", "stixCyberObservables"),
    "stix_cyber_observable.list": ("stixCyberObservables",),
    "stix_cyber_observable.create": ("stixCyberObservableAdd",),
    "stix_cyber_observable.add_label": ("stixCyberObservableEdit", "labels", "labelAdd"),
    "stix_cyber_observable.remove_label": ("stixCyberObservableEdit", "labels"),
    "stix_cyber_observable.add_external_reference": ("stixCyberObservableEdit",),
    "stix_cyber_observable.update_field": ("stixCyberObservableEdit",),
    "stix_domain_object.read": ("stixDomainObject", "stixDomainObjects"),
    "stix_domain_object.list": ("stixDomainObjects",),
    "stix_domain_object.add_label": ("stixDomainObjectEdit", "labels", "labelAdd"),
    "stix_domain_object.remove_label": ("stixDomainObjectEdit", "labels"),
    "stix_domain_object.add_external_reference": ("stixDomainObjectEdit",),
    "stix_domain_object.remove_external_reference": ("stixDomainObjectEdit",),
    "stix_domain_object.update_field": ("stixDomainObjectEdit",),
    "stix_domain_object.get_by_stix_id_or_name": ("stixDomainObjects",),
    "stix_core_object.read": ("stixCoreObject", "stixCoreObjects"),
    "stix_core_relationship.create": ("stixCoreRelationshipAdd",),
    "stix_core_relationship.list": ("stixCoreRelationships",),
    "stix2.get_stix_bundle_or_object_from_entity_id": (
        "stixCoreObject",
        "stixDomainObject",
        "stixCyberObservable",
        "stixNestedRefRelationships",
    ),
    "malware.read": ("malware", "malwares"),
    "malware.list": ("malwares",),
    "malware.create": ("malwareAdd",),
    "attack_pattern.read": ("attackPattern", "attackPatterns"),
    "attack_pattern.list": ("attackPatterns",),
    "attack_pattern.create": ("attackPatternAdd",),
    "indicator.read": ("indicator", "indicators"),
    "indicator.list": ("indicators",),
    "indicator.create": ("indicatorAdd",),
    "vulnerability.read": ("vulnerability", "vulnerabilities"),
    "vulnerability.list": ("vulnerabilities",),
    "intrusion_set.read": ("intrusionSet", "intrusionSets"),
    "report.read": ("report", "reports"),
    "report.list": ("reports",),
    "note.create": ("noteAdd",),
    "note.list": ("notes",),
    "location.create": ("locationAdd",),
    "location.list": ("locations",),
    "incident.read": ("incident", "incidents"),
    "incident.list": ("incidents",),
    "case_incident.create": ("caseIncidentAdd",),
    "case_incident.list": ("caseIncidents",),
    "threat_actor_group.list": ("threatActorsGroup",),
    "channel.list": ("channels",),
    "case_rft.list": ("caseRfts",),
    "fetch_opencti_file": ("GET /storage/get/{file_id:path}",),
    "stix_cyber_observable.upload_artifact": ("artifactImport",),
    "stix_cyber_observable.add_file": ("stixCyberObservableEdit",),
    "stix_domain_object.add_file": ("stixDomainObjectEdit",),
    "external_reference.add_file": ("externalReferenceEdit",),
    "stix_domain_object.push_entity_export": ("stixDomainObjectEdit",),
    "stix_domain_object.push_list_export": ("stixDomainObjectsExportPush",),
    "stix_cyber_observable.push_list_export": ("stixCyberObservablesExportPush",),
    "stix_core_object.push_list_export": ("stixCoreObjectsExportPush",),
    "vocabulary.create": ("vocabularyAdd",),
    "vocabulary.list": ("vocabularies",),
    "vocabulary.read": ("vocabulary", "vocabularies"),
    "work.get_connector_works": ("works",),
    "stix_nested_ref_relationship.create": ("stixRefRelationshipAdd",),
    "marking_definition.create": ("markingDefinitionAdd",),
    "kill_chain_phase.create": ("killChainPhaseAdd",),
    "indicator.update_field": ("indicatorFieldPatch",),
    "stix2.import_bundle_from_json": (
        "vocabularyCategories",
        "identityAdd",
        "malwareAdd",
        "stixCyberObservableAdd",
        "stixCoreRelationshipAdd",
    ),
    "stix_core_object.push_analysis": ("stixCoreObjectEdit",),
    "opencti_stix_object_or_stix_relationship.list": ("stixObjectOrStixRelationships",),
    # answered inside pycti: no platform call
    "stix2.prepare_id_filters_export": (),
    "stix2.format_date": (),
    "stix2.put_attribute_in_extension": (),
    "get_attribute_in_extension": (),
    "api_url": (),
    "api_url.replace": (),
    "api_token": (),
    "stix2.get_reader": (),
    "attack_pattern.generate_id": (),
    "indicator.generate_id": (),
    "location.generate_id": (),
    "note.generate_id": (),
    "report.generate_id": (),
    "vulnerability.generate_id": (),
    "channel.generate_id": (),
    "stix_core_relationship.generate_id": (),
}


def read_census(path: Path) -> dict[str, set[str]]:
    """Connector folder -> the calls it makes."""
    calls: dict[str, set[str]] = defaultdict(set)
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            for folder in row["connector_folders"].split(","):
                calls[folder].add(row["call"])
    return calls


def served_calls(roots: set[str]) -> set[str]:
    return {call for call, needs in NEEDS.items() if all(n in roots for n in needs)}


def served_roots() -> set[str]:
    """Our GraphQL root fields, and our HTTP routes as ``METHOD /path``."""
    schema = build_schema()
    roots = set(schema.query_type.fields)
    if schema.mutation_type is not None:
        roots |= set(schema.mutation_type.fields)
    for router in ROUTERS:
        for route in router.routes:
            for method in getattr(route, "methods", None) or ():
                roots.add(f"{method} {getattr(route, 'path', '')}")
    return roots


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else DEFAULT_CENSUS
    roots = served_roots()
    served = served_calls(roots)
    calls = read_census(path)
    failing = {folder: made - served for folder, made in calls.items() if made - served}
    print(f"connectors fully served: {CATALOG - len(failing)} / {CATALOG}")
    by_type = Counter(folder.split("/")[0] for folder in calls)
    failing_by_type = Counter(folder.split("/")[0] for folder in failing)
    for kind in sorted(by_type):
        making = by_type[kind]
        print(f"  {kind}: {making - failing_by_type[kind]} / {making} that make calls")
    missing = Counter(call for made in failing.values() for call in made)
    print("calls not served (connectors):")
    for call, count in missing.most_common():
        print(f"  {call}: {count}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
