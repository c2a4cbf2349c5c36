"""Entities inside entities (a relationship's ``from``/``to``, an author) answer what pycti and
the connectors select on them: OpenCTI's names and dates, and their labels as entities."""

from __future__ import annotations

import orjson
from fastapi.testclient import TestClient

from stixflow.runtime import Runtime
from tests.support import bundle, drain, malware, relationship, sdo

#: scoring-calculator's selection (its client_api.py), plus pycti's default fields on the ends
RELATIONSHIPS = """
query Related($filters: FilterGroup) {
  stixCoreRelationships(first: 200, orderBy: created_at, orderMode: desc, filters: $filters) {
    edges { node { ... on StixCoreRelationship {
      id relationship_type
      from { ... on StixDomainObject { id entity_type objectLabel { id value color } } }
      to {
        ... on BasicObject { id entity_type parent_types }
        ... on StixObject { standard_id spec_version created_at updated_at }
        ... on Malware { name }
        ... on StixDomainObject { objectLabel { id value color } }
      }
    } } }
  }
}
"""


def test_the_ends_of_a_relationship_carry_their_labels(
    client: TestClient, runtime: Runtime
) -> None:
    author = {**sdo("identity", "ACME CERT", identity_class="organization"), "labels": ["trusted"]}
    family = malware("Emotet", labels=["[Scoring] High priority"], created_by_ref=author["id"])
    indicator = sdo(
        "indicator",
        "Emotet C2",
        pattern="[ipv4-addr:value = '203.0.113.7']",
        pattern_type="stix",
        valid_from="2024-01-01T00:00:00Z",
    )
    link = relationship(indicator["id"], family["id"], "indicates")
    sent = bundle(author, family, indicator, link)
    drain(runtime, client.post("/api/bundles", content=orjson.dumps(sent)).json()["work_id"])

    filters = {
        "mode": "and",
        "filters": [{"key": "fromId", "values": [indicator["id"]], "operator": "eq"}],
        "filterGroups": [],
    }
    answer = client.post(
        "/graphql", json={"query": RELATIONSHIPS, "variables": {"filters": filters}}
    )
    body = answer.json()
    assert not body.get("errors"), body
    (edge,) = body["data"]["stixCoreRelationships"]["edges"]
    ends = edge["node"]["from"], edge["node"]["to"]
    assert [end["entity_type"] for end in ends] == ["Indicator", "Malware"]
    assert ends[0]["objectLabel"] == []
    (label,) = ends[1]["objectLabel"]
    assert label["value"] == "[Scoring] High priority" and label["id"].startswith("label--")
    assert label["color"]
    assert ends[1]["spec_version"] == "2.1"
    assert ends[1]["created_at"] == family["created"]
    assert ends[1]["updated_at"] == family["modified"]

    read = client.post(
        "/graphql",
        json={
            "query": "query M($id: String!) { malware(id: $id) "
            "{ createdBy { ... on Identity { name objectLabel { value } } } } }",
            "variables": {"id": family["id"]},
        },
    ).json()
    assert read["data"]["malware"]["createdBy"]["objectLabel"][0]["value"] == "trusted"
