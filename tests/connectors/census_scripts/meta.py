"""Run in pycti's own virtual environment: vocabularies, markings, kill chain phases, nested
references, indicator patches and a connector's works, through pycti. Prints one JSON object."""

import json
import os

from pycti import OpenCTIApiClient

api = OpenCTIApiClient(os.environ["OPENCTI_URL"], os.environ["OPENCTI_TOKEN"], "error")
out = {}

vocab = api.vocabulary.create(name="census-type", category="report_types_ov", description="x")
api.vocabulary.create(name="census-type", category="report_types_ov")
out["vocabulary.create"] = [vocab["name"], vocab["category"]["key"]]
out["vocabulary.list"] = [
    v["name"]
    for v in api.vocabulary.list(
        filters={
            "mode": "and",
            "filters": [{"key": "category", "values": ["report_types_ov"]}],
            "filterGroups": [],
        }
    )
]
out["vocabulary.read"] = api.vocabulary.read(id=vocab["id"])["name"]

pap = api.marking_definition.create(
    definition_type="PAP", definition="PAP:GREEN", x_opencti_order=2
)
out["marking_definition.create"] = [pap["definition_type"], pap["definition"]]
again = api.marking_definition.read(
    filters={
        "mode": "and",
        "filters": [{"key": "definition", "values": ["PAP:GREEN"]}],
        "filterGroups": [],
    }
)
out["marking_definition.read(PAP)"] = again["id"] == pap["id"]

phase = api.kill_chain_phase.create(kill_chain_name="mitre-attack", phase_name="execution")
ap = api.attack_pattern.create(name="Census Exec", killChainPhases=[phase["id"]])
out["kill_chain_phase.create"] = api.attack_pattern.read(id=ap["id"])["kill_chain_phases"]

domain = api.stix_cyber_observable.create(
    observableData={"type": "domain-name", "value": "census.example"}
)
ip = api.stix_cyber_observable.create(observableData={"type": "ipv4-addr", "value": "192.0.2.44"})
api.stix_nested_ref_relationship.create(
    fromId=domain["id"], toId=ip["id"], relationship_type="resolves-to"
)
read = api.stix_cyber_observable.read(id=domain["id"])
out["stix_nested_ref_relationship.create"] = read["resolves_to_refs"] == [ip["standard_id"]]

indicator = api.indicator.create(
    name="census",
    pattern="[domain-name:value = 'census.example']",
    pattern_type="stix",
    x_opencti_main_observable_type="Domain-Name",
)
api.indicator.update_field(id=indicator["id"], input={"key": "x_opencti_score", "value": "75"})
out["indicator.update_field"] = api.indicator.read(id=indicator["id"])["x_opencti_score"]

connector_id = os.environ["CONNECTOR_ID"]
work_id = api.work.initiate_work(connector_id, "census run")
out["work.get_connector_works"] = [
    [w["id"] == work_id, w["name"]] for w in api.work.get_connector_works(connector_id)
]
print(json.dumps(out))
