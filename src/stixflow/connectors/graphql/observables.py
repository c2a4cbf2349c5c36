"""Observables (OpenCTI's Stix-Cyber-Observable): ``stixCyberObservable(id)``,
``stixCyberObservables(types, filters…)``, ``stixCyberObservableAdd`` (one input per class,
``IPv4Addr: {value}``, ``StixFile: {hashes…}``) and ``stixCyberObservableEdit``."""

from __future__ import annotations

from typing import Any

from ariadne import MutationType
from graphql import GraphQLResolveInfo

from stixflow.connectors.graphql import entities, inputs, lookup, nodes, writes
from stixflow.connectors.graphql.context import context_of
from stixflow.connectors.graphql.entities import Entity
from stixflow.errors import InvalidInput

OBSERVABLE_TYPES = tuple(sorted(nodes.OBSERVABLE_TYPES))
#: The per-class inputs of ``stixCyberObservableAdd`` (the argument name is the class name).
CLASSES = (
    "AutonomousSystem", "Directory", "DomainName", "EmailAddr", "EmailMessage",
    "EmailMimePartType", "Artifact", "StixFile", "X509Certificate", "IPv4Addr", "IPv6Addr",
    "MacAddr", "Mutex", "NetworkTraffic", "Process", "Software", "Url", "UserAccount",
    "WindowsRegistryKey", "WindowsRegistryValueType", "CryptographicKey",
    "CryptocurrencyWallet", "Hostname", "Text", "UserAgent", "BankAccount", "PhoneNumber",
    "Credential", "TrackingNumber", "PaymentCard", "Persona", "MediaContent", "SSHKey",
    "AIPrompt", "IMEI", "ICCID", "IMSI",
)  # fmt: skip
ENTITIES = (
    Entity(
        "stixCyberObservable",
        "stixCyberObservables",
        OBSERVABLE_TYPES,
        "StixCyberObservablesOrdering",
        with_types=True,
    ),
)
EDIT_ROOTS = ("stixCyberObservableEdit",)
ADD_ARGS = ", ".join(f"{name}: {name}AddInput" for name in CLASSES)
SDL = (
    entities.sdl(ENTITIES, EDIT_ROOTS)
    + "\n\n"
    + "\n".join(f"scalar {name}AddInput" for name in CLASSES)
    + f"""

extend type Mutation {{
  stixCyberObservableAdd(type: String!, stix_id: StixId, x_opencti_score: Int,
    x_opencti_description: String, createIndicator: Boolean, createdBy: String,
    objectMarking: [String], objectLabel: [String], objectOrganization: [String],
    externalReferences: [String], update: Boolean, upsertOperations: [EditInput!],
    {ADD_ARGS}): StixNode
}}
"""
)

mutation = MutationType()


def _hashes(data: dict[str, Any]) -> dict[str, str]:
    found = data.pop("hashes", None)
    if isinstance(found, list):
        return {str(h["algorithm"]): str(h["hash"]) for h in found if h.get("hash")}
    return dict(found or {})


@mutation.field("stixCyberObservableAdd")
def resolve_observable_add(_: None, info: GraphQLResolveInfo, type: str, **args: Any) -> Any:
    context = context_of(info, *writes.WRITERS)
    name = type.replace("-", "").lower()  # "IPv4-Addr" -> the IPv4Addr input
    data = next((dict(args[c]) for c in CLASSES if c.lower() == name and args.get(c)), None)
    if data is None:
        raise InvalidInput(f"stixCyberObservableAdd: no {type} input given")
    hashes = _hashes(data)
    if hashes:
        data["hashes"] = hashes
    refs = {
        k: args.get(k) for k in ("createdBy", "objectMarking", "objectLabel", "externalReferences")
    }
    fields = {**data, **{k: v for k, v in refs.items() if v}}
    for key in ("x_opencti_score", "x_opencti_description"):
        if args.get(key) is not None:
            fields[key] = args[key]
    if args.get("stix_id"):
        fields["stix_id"] = args["stix_id"]
    obj = inputs.stix_of(context, lookup.stix_type(type), fields)
    return nodes.node(context, writes.write(context, [obj])[0])


BINDABLES = (*entities.bind(ENTITIES, EDIT_ROOTS), mutation)
