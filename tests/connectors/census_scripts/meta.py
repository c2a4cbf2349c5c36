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
api.work.to_received(work_id, "received")
api.work.ping(work_id)
api.work.report_expectation(work_id, None)
api.work.to_processed(work_id, "done")
work = api.work.get_work(work_id)
out["work.get_work"] = [work["name"], work["status"]]

# answered inside pycti, no platform call: they work against stixflow all the same
out["client_side"] = {
    "stix2.format_date": api.stix2.format_date("2024-05-01T10:00:00Z"),
    "stix2.get_reader": api.stix2.get_reader("Attack-Pattern")(id=ap["id"])["name"],
    "stix2.put_attribute_in_extension": api.stix2.put_attribute_in_extension(
        {"type": "indicator"},
        "extension-definition--ea279b3e-5c71-4632-ac08-831c66a786ba",
        "score",
        50,
    )["extensions"]["extension-definition--ea279b3e-5c71-4632-ac08-831c66a786ba"]["score"],
    "get_attribute_in_extension": api.get_attribute_in_extension(
        "score",
        {
            "extensions": {
                "extension-definition--ea279b3e-5c71-4632-ac08-831c66a786ba": {"score": 7}
            }
        },
    ),
    "api_url": api.api_url,
    "api_token": api.api_token == os.environ["OPENCTI_TOKEN"],
    "generate_id": [
        api.attack_pattern.generate_id("Exec", "T1059").split("--")[0],
        api.indicator.generate_id("[ipv4-addr:value = '1.2.3.4']").split("--")[0],
        api.location.generate_id("France", "Country").split("--")[0],
        api.note.generate_id(None, "content").split("--")[0],
        api.report.generate_id("R", "2024-01-01T00:00:00Z").split("--")[0],
        api.vulnerability.generate_id("CVE-2024-1").split("--")[0],
        api.channel.generate_id("c").split("--")[0],
        api.stix_core_relationship.generate_id("uses", "malware--x", "tool--y").split("--")[0],
    ],
}
print(json.dumps(out))
