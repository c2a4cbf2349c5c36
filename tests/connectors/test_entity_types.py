"""OpenCTI's entity type names: what a listen job says and what enrichment scopes match."""

from __future__ import annotations

import pytest

from stixflow.connectors.enrichment import in_scope
from stixflow.connectors.entity_types import entity_type
from stixflow.connectors.model import Connector, ConnectorType


@pytest.mark.parametrize(
    ("obj", "name"),
    [
        ({"type": "malware"}, "Malware"),
        ({"type": "attack-pattern"}, "Attack-Pattern"),
        ({"type": "course-of-action"}, "Course-Of-Action"),
        ({"type": "ipv4-addr"}, "IPv4-Addr"),
        ({"type": "domain-name"}, "Domain-Name"),
        ({"type": "file"}, "StixFile"),
        ({"type": "url"}, "Url"),
        ({"type": "identity", "identity_class": "organization"}, "Organization"),
        ({"type": "identity", "identity_class": "class"}, "Sector"),
        ({"type": "identity"}, "Identity"),
        ({"type": "location", "x_opencti_location_type": "Country"}, "Country"),
        ({"type": "location"}, "Location"),
    ],
)
def test_opencti_names(obj: dict[str, str], name: str) -> None:
    assert entity_type(obj) == name


def enricher(*scope: str) -> Connector:
    return Connector(
        id="e", name="e", type=ConnectorType.INTERNAL_ENRICHMENT, scope=list(scope), auto=False,
        only_contextual=False, user_id=None, state="", state_reset=False, state_updated_at=None,
        info={}, last_seen_at=None, broker_user=None, broker_secret=None, created_at="",
        updated_at="",
    )  # fmt: skip


def test_scopes_take_either_name_in_any_case() -> None:
    assert in_scope(enricher("StixFile"), {"type": "file"})
    assert in_scope(enricher("file"), {"type": "file"})
    assert in_scope(enricher("ipv4-addr", "Domain-Name"), {"type": "domain-name"})
    assert in_scope(
        enricher("Organization"), {"type": "identity", "identity_class": "organization"}
    )
    assert not in_scope(
        enricher("Organization"), {"type": "identity", "identity_class": "individual"}
    )
    assert not in_scope(enricher("Indicator"), {"type": "malware"})
    assert not in_scope(enricher(), {"type": "malware"})
