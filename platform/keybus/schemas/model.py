"""The parsed Avro schema tree that validation, canonical text and the checker share."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "PRIMITIVE_TYPES",
    "ArrayNode",
    "EnumNode",
    "FieldNode",
    "FixedNode",
    "MapNode",
    "NamedNode",
    "PrimitiveNode",
    "RecordNode",
    "SchemaNode",
    "UnionNode",
    "describe",
]

logger = logging.getLogger(__name__)

PRIMITIVE_TYPES = frozenset(
    {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
)

# Nodes compare by identity (eq=False): a recursive record refers to itself, and the
# checker memoizes reader/writer pairs by identity the way Avro Java does.


@dataclass(eq=False)
class PrimitiveNode:
    """One of the eight primitive types, with its properties (logicalType and custom ones)."""

    type: str
    props: dict[str, Any] = field(default_factory=dict)


@dataclass(eq=False)
class NamedNode:
    """Fields every named type (record, error, enum, fixed) carries."""

    type: str
    name: str
    namespace: str | None
    aliases: list[str] = field(default_factory=list)
    doc: str | None = None
    props: dict[str, Any] = field(default_factory=dict)

    @property
    def fullname(self) -> str:
        """Return the name qualified by its namespace, or the bare name in the null namespace."""
        return f"{self.namespace}.{self.name}" if self.namespace else self.name


@dataclass(eq=False)
class FieldNode:
    """One record field, where `has_default` separates an absent default from an explicit null."""

    name: str
    type: SchemaNode
    has_default: bool = False
    default: Any = None
    order: str = "ascending"
    aliases: list[str] = field(default_factory=list)
    doc: str | None = None
    props: dict[str, Any] = field(default_factory=dict)


@dataclass(eq=False)
class RecordNode(NamedNode):
    """A record or error type, whose `fields` are filled after it is registered by name."""

    fields: list[FieldNode] = field(default_factory=list)

    def field_named(self, name: str) -> FieldNode | None:
        """Return the field called `name`, or None."""
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        return None


@dataclass(eq=False)
class EnumNode(NamedNode):
    """An enum type, whose `default` is the symbol a reader uses for unknown writer symbols."""

    symbols: list[str] = field(default_factory=list)
    default: str | None = None


@dataclass(eq=False)
class FixedNode(NamedNode):
    """A fixed type of `size` bytes."""

    size: int = 0


@dataclass(eq=False)
class ArrayNode:
    """An array of `items`."""

    items: SchemaNode
    props: dict[str, Any] = field(default_factory=dict)
    type: str = "array"


@dataclass(eq=False)
class MapNode:
    """A map from string keys to `values`."""

    values: SchemaNode
    props: dict[str, Any] = field(default_factory=dict)
    type: str = "map"


@dataclass(eq=False)
class UnionNode:
    """A union of `branches`, in declaration order (the order is part of the encoding)."""

    branches: list[SchemaNode]
    type: str = "union"


SchemaNode = PrimitiveNode | RecordNode | EnumNode | FixedNode | ArrayNode | MapNode | UnionNode


def describe(node: SchemaNode) -> str:
    """Describe a schema in a few words for messages, for example `array<string>`."""
    if isinstance(node, PrimitiveNode):
        logical = node.props.get("logicalType")
        return f"{node.type} ({logical})" if isinstance(logical, str) else node.type
    if isinstance(node, RecordNode):
        return f"{node.type} {node.fullname}"
    if isinstance(node, EnumNode):
        return f"enum {node.fullname} {node.symbols}"
    if isinstance(node, FixedNode):
        return f"fixed {node.fullname} ({node.size} bytes)"
    if isinstance(node, ArrayNode):
        return f"array<{describe(node.items)}>"
    if isinstance(node, MapNode):
        return f"map<{describe(node.values)}>"
    return "union [" + ", ".join(describe(branch) for branch in node.branches) + "]"
