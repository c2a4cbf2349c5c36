"""Capabilities: what a user may do. Groups carry them; ``BYPASS`` implies every other one."""

from __future__ import annotations

from enum import StrEnum


class Capability(StrEnum):
    KNOWLEDGE = "KNOWLEDGE"  # read the knowledge base
    KNOWLEDGE_UPDATE = "KNOWLEDGE_UPDATE"  # write / import
    EXPLORE = "EXPLORE"  # exports
    TAXIIAPI = "TAXIIAPI"  # access data sharing: TAXII collections, live streams
    INGESTION = "INGESTION"  # manage ingesters (one's own) and CSV mappers
    INGESTION_ADMIN = "INGESTION_ADMIN"  # administer every ingester (access/ownership.py)
    CONNECTORAPI = "CONNECTORAPI"  # connectors register and push data
    CONNECTOR_STATE = "CONNECTOR_STATE"  # manage connector state: reset
    SETTINGS = "SETTINGS"  # users, groups, organizations, markings
    BYPASS = "BYPASS"  # administrator: everything


def grants(held: frozenset[str], wanted: str) -> bool:
    return Capability.BYPASS in held or wanted in held
