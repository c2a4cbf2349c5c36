"""Run in pycti's own virtual environment: every knowledge call the census counts as served,
made through pycti's API client against a live stixflow. Prints one JSON object of results."""

import json
import os

from pycti import OpenCTIApiClient

api = OpenCTIApiClient(os.environ["OPENCTI_URL"], os.environ["OPENCTI_TOKEN"], "error")
out = {}


def ids(items):
    return sorted(i["standard_id"] for i in items)


tlp = api.marking_definition.read(
    filters={
        "mode": "and",
        "filters": [{"key": "definition", "values": ["TLP:CLEAR"]}],
        "filterGroups": [],
    }
)
out["marking_definition.read"] = tlp and tlp["definition"]
label = api.label.create(value="census-red", color="#ff0000")
out["label.create"] = [label["value"], label["color"]]
again = api.label.read_or_create_unchecked(value="census-red")
out["label.read_or_create_unchecked"] = again["id"] == label["id"]
ref = api.external_reference.create(
    source_name="census", url="https://example.org/c1", external_id="C-1"
)
out["external_reference.read"] = api.external_reference.read(id=ref["id"])["url"]

ip = api.stix_cyber_observable.create(
    observableData={"type": "ipv4-addr", "value": "198.51.100.7"}, x_opencti_score=40
)
out["stix_cyber_observable.create"] = ip["standard_id"]
api.stix_cyber_observable.add_label(id=ip["id"], label_name="census-blue")
api.stix_cyber_observable.add_label(id=ip["id"], label_id=label["id"])
api.stix_cyber_observable.add_external_reference(id=ip["id"], external_reference_id=ref["id"])
api.stix_cyber_observable.update_field(id=ip["id"], input={"key": "x_opencti_score", "value": "90"})
read = api.stix_cyber_observable.read(id=ip["id"])
out["stix_cyber_observable.read"] = {
    "value": read["observable_value"],
    "labels": sorted(lb["value"] for lb in read["objectLabel"]),
    "refs": [r["url"] for r in read["externalReferences"]],
    "score": read.get("x_opencti_score"),
}
found = api.stix_cyber_observable.read(
    filters={
        "mode": "and",
        "filters": [{"key": "value", "values": ["198.51.100.7"]}],
        "filterGroups": [],
    }
)
out["stix_cyber_observable.read(filters)"] = found and found["id"]
out["stix_cyber_observable.list"] = ids(api.stix_cyber_observable.list(types=["IPv4-Addr"]))
api.stix_cyber_observable.remove_label(id=ip["id"], label_name="census-blue")
out["stix_cyber_observable.remove_label"] = sorted(
    lb["value"] for lb in api.stix_cyber_observable.read(id=ip["id"])["objectLabel"]
)

author = api.identity.create(type="Organization", name="Census Org")
malware = api.malware.create(
    name="CensusBot", is_family=True, createdBy=author["id"], objectMarking=[tlp["id"]]
)
out["malware.create"] = malware["standard_id"]
out["malware.read"] = api.malware.read(id=malware["id"])["name"]
out["malware.list"] = [m["name"] for m in api.malware.list(search="CensusBot")]
ap = api.attack_pattern.create(name="Census Technique", x_mitre_id="T9999")
out["attack_pattern.read"] = api.attack_pattern.read(
    filters={
        "mode": "and",
        "filters": [{"key": "x_mitre_id", "values": ["T9999"]}],
        "filterGroups": [],
    }
)["name"]
out["attack_pattern.list"] = [a["name"] for a in api.attack_pattern.list()]
indicator = api.indicator.create(
    name="census ip",
    pattern="[ipv4-addr:value = '198.51.100.7']",
    pattern_type="stix",
    x_opencti_main_observable_type="IPv4-Addr",
)
out["indicator.read"] = api.indicator.read(id=indicator["id"])["pattern"]
out["indicator.list"] = [i["name"] for i in api.indicator.list()]
rel = api.stix_core_relationship.create(
    fromId=indicator["id"], toId=malware["id"], relationship_type="indicates"
)
out["stix_core_relationship.create"] = rel["entity_type"]
out["stix_core_relationship.list"] = [
    r["relationship_type"] for r in api.stix_core_relationship.list(fromId=indicator["id"])
]
api.stix_domain_object.add_label(id=malware["id"], label_name="census-green")
api.stix_domain_object.add_external_reference(id=malware["id"], external_reference_id=ref["id"])
api.stix_domain_object.update_field(id=malware["id"], input={"key": "description", "value": "seen"})
sdo = api.stix_domain_object.read(id=malware["id"])
out["stix_domain_object.read"] = {
    "labels": [lb["value"] for lb in sdo["objectLabel"]],
    "refs": [r["source_name"] for r in sdo["externalReferences"]],
    "description": sdo["description"],
    "author": sdo["createdBy"]["name"],
    "markings": [m["definition"] for m in sdo["objectMarking"]],
}
api.stix_domain_object.remove_label(id=malware["id"], label_name="census-green")
api.stix_domain_object.remove_external_reference(id=malware["id"], external_reference_id=ref["id"])
sdo = api.stix_domain_object.read(id=malware["id"])
out["stix_domain_object.remove_*"] = [sdo["objectLabel"], sdo["externalReferences"]]
out["stix_domain_object.list"] = sorted(
    s["name"] for s in api.stix_domain_object.list(types=["Malware", "Attack-Pattern"])
)
out["stix_domain_object.get_by_stix_id_or_name"] = api.stix_domain_object.get_by_stix_id_or_name(
    types=["Malware"], name="CensusBot"
)["id"]
out["stix_core_object.read"] = api.stix_core_object.read(id=ip["id"])["entity_type"]
bundle = api.stix2.get_stix_bundle_or_object_from_entity_id(
    entity_type="Malware", entity_id=malware["id"]
)
out["stix2.get_stix_bundle_or_object_from_entity_id"] = sorted(o["type"] for o in bundle["objects"])
note = api.note.create(content="census note", objects=[malware["id"]])
out["note.list"] = [n["content"] for n in api.note.list()]
loc = api.location.create(type="Country", name="Censusland")
out["location.list"] = [loc["name"] for loc in api.location.list(types=["Country"])]
out["identity.read"] = api.identity.read(id=author["id"])["name"]
out["stix_domain_object.list(types)"] = [
    sorted(e["name"] for e in api.stix_domain_object.list(types=["Malware", "Organization"])),
    sorted(
        e["name"]
        for e in api.stix_domain_object.list(types=["Stix-Domain-Object"], search="Census")
    ),
]
out["identity.list"] = [i["name"] for i in api.identity.list(types=["Organization"])]
vuln = api.vulnerability.create(name="CVE-2099-0001", description="census")
out["vulnerability.read"] = api.vulnerability.read(id=vuln["id"])["name"]
out["vulnerability.list"] = [v["name"] for v in api.vulnerability.list()]
intrusion = api.intrusion_set.create(name="Census Set")
out["intrusion_set.read"] = api.intrusion_set.read(id=intrusion["id"])["name"]
report = api.report.create(
    name="Census report", published="2024-01-01T00:00:00Z", objects=[malware["id"]]
)
out["report.read"] = api.report.read(id=report["id"])["object_refs"]
out["report.list"] = [r["name"] for r in api.report.list()]
incident = api.incident.create(name="Census incident", description="x")
out["incident.read"] = api.incident.read(id=incident["id"])["name"]
out["incident.list"] = [i["name"] for i in api.incident.list()]
case = api.case_incident.create(name="Census case", description="x")
out["case_incident.list"] = [c["name"] for c in api.case_incident.list()]
out["threat_actor_group.list"] = api.threat_actor_group.list()
out["channel.list"] = api.channel.list()
out["case_rft.list"] = api.case_rft.list()
id_filters = api.stix2.prepare_id_filters_export(
    [malware["id"], rel["id"], indicator["id"]],
    access_filter={
        "mode": "or",
        "filters": [{"key": "entity_type", "values": ["Malware", "indicates"]}],
        "filterGroups": [],
    },
)
out["opencti_stix_object_or_stix_relationship.list"] = sorted(
    e["entity_type"] for e in api.opencti_stix_object_or_stix_relationship.list(filters=id_filters)
)
api.external_reference.delete(ref["id"])
out["external_reference.delete"] = api.external_reference.read(id=ref["id"])
print(json.dumps(out))
