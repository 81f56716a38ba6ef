"""Write the schema tree back as text: the registry's canonical form and its normalized form."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from keybus.schemas.model import (
    ArrayNode,
    EnumNode,
    FieldNode,
    FixedNode,
    MapNode,
    NamedNode,
    PrimitiveNode,
    RecordNode,
    SchemaNode,
    UnionNode,
)

__all__ = ["write_schema"]

logger = logging.getLogger(__name__)


def write_schema(node: SchemaNode, known: Iterable[str] = (), *, normalize: bool = False) -> str:
    """Write `node` as compact JSON in the layout Avro Java's `Schema.toString` uses.

    A Confluent registry stores and returns this layout. A primitive without properties
    becomes a bare name. Attributes come in a fixed order, and custom properties keep their
    original order. A namespace is written only where it differs from the enclosing
    record's, and an explicit `""` marks the null namespace inside a named one. A named type
    is defined at its first use and referred to by name afterwards.

    Args:
        node: The schema to write.
        known: Full names written as references without a definition: the named types a
            schema takes from its schema references.
        normalize: Also sort custom properties by key and write every type reference by its
            full name, so that spellings differing only in JSON member order write the same.
    """
    writer = _Writer(set(known), normalize)
    return _to_json(writer.write(node, None))


def _to_json(value: Any) -> str:
    """Encode compact JSON, writing floating point numbers as Java's `Double.toString` does."""
    if isinstance(value, dict):
        members = (f"{_to_json(key)}:{_to_json(item)}" for key, item in value.items())
        return "{" + ",".join(members) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_to_json(item) for item in value) + "]"
    if isinstance(value, float):
        return _java_double(value)
    return json.dumps(value, ensure_ascii=False)


def _java_double(value: float) -> str:
    """Write a finite double the way Java does: `100.0`, `1.0E10`, `1.5E-7`.

    NOTE: the digits are the shortest that read back as the same double, as Java 19 and
    later print them. Java 17 prints more digits for some values, for example 1e23 as
    9.999999999999999E22, so a registry on Java 17 can store such a default differently.
    """
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    sign, digits, exponent = Decimal(repr(value)).as_tuple()
    text = "".join(str(digit) for digit in digits).rstrip("0") or "0"
    scientific_exponent = len(digits) + int(exponent) - 1
    prefix = "-" if sign else ""
    if 1e-3 <= abs(value) < 1e7:
        plain = format(Decimal(repr(abs(value))), "f")
        return prefix + (plain if "." in plain else plain + ".0")
    mantissa = text[0] + "." + (text[1:] or "0")
    return f"{prefix}{mantissa}E{scientific_exponent}"


class _Writer:
    def __init__(self, known: set[str], normalize: bool) -> None:
        self.known = known
        self.normalize = normalize

    def write(self, node: SchemaNode, space: str | None) -> Any:
        if isinstance(node, PrimitiveNode):
            if not node.props:
                return node.type
            return {"type": node.type, **self._props(node.props)}
        if isinstance(node, ArrayNode):
            return {
                "type": "array",
                "items": self.write(node.items, space),
                **self._props(node.props),
            }
        if isinstance(node, MapNode):
            return {
                "type": "map",
                "values": self.write(node.values, space),
                **self._props(node.props),
            }
        if isinstance(node, UnionNode):
            return [self.write(branch, space) for branch in node.branches]
        if node.fullname in self.known:
            return self._reference(node, space)
        self.known.add(node.fullname)
        return self._define(node, space)

    def _reference(self, node: NamedNode, space: str | None) -> str:
        # Avro Java writes the simple name also for a null-namespace type inside a named
        # namespace; its reader then falls back from the enclosing namespace to the null one.
        if node.namespace is None or (node.namespace == space and not self.normalize):
            return node.name
        return node.fullname

    def _define(self, node: NamedNode, space: str | None) -> dict[str, Any]:
        result: dict[str, Any] = {"type": node.type, "name": node.name}
        if node.namespace is not None and node.namespace != space:
            result["namespace"] = node.namespace
        elif node.namespace is None and space is not None:
            result["namespace"] = ""
        if node.doc is not None:
            result["doc"] = node.doc
        if isinstance(node, RecordNode):
            result["fields"] = [self._field(item, node.namespace) for item in node.fields]
        elif isinstance(node, EnumNode):
            result["symbols"] = list(node.symbols)
            if node.default is not None:
                result["default"] = node.default
        elif isinstance(node, FixedNode):
            result["size"] = node.size
        result.update(self._props(node.props))
        if node.aliases:
            result["aliases"] = [_qualify(alias, node.namespace) for alias in node.aliases]
        return result

    def _field(self, node: FieldNode, space: str | None) -> dict[str, Any]:
        result: dict[str, Any] = {"name": node.name, "type": self.write(node.type, space)}
        if node.doc is not None:
            result["doc"] = node.doc
        if node.has_default:
            result["default"] = _sorted_json(node.default) if self.normalize else node.default
        if node.order != "ascending":
            result["order"] = node.order
        if node.aliases:
            result["aliases"] = list(node.aliases)
        result.update(self._props(node.props))
        return result

    def _props(self, props: dict[str, Any]) -> dict[str, Any]:
        if not self.normalize:
            return props
        return {key: _sorted_json(props[key]) for key in sorted(props)}


def _qualify(alias: str, namespace: str | None) -> str:
    space, _, simple = alias.rpartition(".")
    return simple if (space or None) == namespace else alias


def _sorted_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted_json(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted_json(item) for item in value]
    return value
