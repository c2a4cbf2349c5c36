"""Validation for OpenCTI's entity selections.

pycti asks for an entity with a selection of several hundred fields and inline fragments on
every OpenCTI entity class (``... on IPv4Addr { value }``). Our schema types those entities as
one scalar, ``StixNode`` (an OpenCTI entity as JSON): its resolver answers every field the entity
holds, whatever the selection. Two of graphql-core's rules are replaced so that a selection
under a ``StixNode`` field is accepted; everything else (unknown root fields, arguments,
variables, input types) is checked as usual, so a call we do not serve is an error naming it.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    NamedTypeNode,
    Node,
    ScalarLeafsRule,
    get_named_type,
    specified_rules,
    validate,
)
from graphql.validation.rules.known_type_names import KnownTypeNamesRule

OPAQUE_TYPES = frozenset({"StixNode"})


def _opaque(type_: Any) -> bool:
    named = get_named_type(type_) if type_ is not None else None
    return named is not None and named.name in OPAQUE_TYPES


class OpaqueScalarLeafsRule(ScalarLeafsRule):
    """``ScalarLeafsRule``, except that a ``StixNode`` field may carry a selection."""

    def enter_field(self, node: FieldNode, *args: Any) -> None:
        if not _opaque(self.context.get_type()):
            super().enter_field(node, *args)


class OpaqueKnownTypeNamesRule(KnownTypeNamesRule):
    """``KnownTypeNamesRule``, except for type conditions inside a ``StixNode`` selection."""

    def enter_named_type(
        self, node: NamedTypeNode, key: Any, parent: Node, path: Any, ancestors: list[Node]
    ) -> None:
        inside_field = any(isinstance(a, FieldNode) for a in ancestors)
        if inside_field and self.context.get_parent_type() is None:
            return
        super().enter_named_type(node, key, parent, path, ancestors)


REPLACED = {ScalarLeafsRule: OpaqueScalarLeafsRule, KnownTypeNamesRule: OpaqueKnownTypeNamesRule}
VALIDATION_RULES = tuple(REPLACED.get(rule, rule) for rule in specified_rules)


def validator(schema: GraphQLSchema, document: DocumentNode, **_: Any) -> list[GraphQLError]:
    """graphql-core's validation with the two rules above in place of the standard ones."""
    return validate(schema, document, rules=VALIDATION_RULES)
