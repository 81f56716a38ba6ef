"""Check field default values against their schema, as the Avro specification defines them."""

from __future__ import annotations

import json
import logging
from typing import Any

from keybus.schemas.model import (
    ArrayNode,
    EnumNode,
    FixedNode,
    MapNode,
    PrimitiveNode,
    RecordNode,
    SchemaNode,
    UnionNode,
)

__all__ = ["default_problem"]

logger = logging.getLogger(__name__)

INT_RANGE = range(-(2**31), 2**31)
LONG_RANGE = range(-(2**63), 2**63)
# JSON has no literal for these, so Avro Java 1.12 accepts them as strings in float and
# double defaults.
NON_FINITE = frozenset({"NaN", "Infinity", "-Infinity"})


def default_problem(node: SchemaNode, value: Any) -> str | None:
    """Return why `value` is not a valid default for `node`, or None when it is.

    A union default matches the union's first branch. Bytes and fixed defaults are strings
    whose code points are 0-255, one per byte. An enum default is one of the symbols and a
    fixed default has exactly `size` characters, which Avro Java 1.12 does not check.
    """
    if isinstance(node, UnionNode):
        if not node.branches:
            return "an empty union has no value"
        return default_problem(node.branches[0], value)
    if isinstance(node, PrimitiveNode):
        return _primitive_problem(node.type, value)
    if isinstance(node, EnumNode):
        if isinstance(value, str) and value in node.symbols:
            return None
        return f"expected one of the symbols {node.symbols} of enum {node.fullname}"
    if isinstance(node, FixedNode):
        if isinstance(value, str) and len(value) == node.size and _is_byte_string(value):
            return None
        return f"expected a string of {node.size} characters U+0000-U+00FF for {node.fullname}"
    if isinstance(node, ArrayNode):
        return _array_problem(node, value)
    if isinstance(node, MapNode):
        return _map_problem(node, value)
    return _record_problem(node, value)


def _primitive_problem(type_name: str, value: Any) -> str | None:
    is_integer = isinstance(value, int) and not isinstance(value, bool)
    is_number = (
        is_integer or isinstance(value, float) or (isinstance(value, str) and value in NON_FINITE)
    )
    valid = {
        "null": value is None,
        "boolean": isinstance(value, bool),
        "int": is_integer and value in INT_RANGE,
        "long": is_integer and value in LONG_RANGE,
        "float": is_number,
        "double": is_number,
        "string": isinstance(value, str),
        "bytes": isinstance(value, str) and _is_byte_string(value),
    }[type_name]
    if valid:
        return None
    expected = {
        "null": "null",
        "boolean": "true or false",
        "int": "an integer in the 32-bit range",
        "long": "an integer in the 64-bit range",
        "float": 'a number, "NaN", "Infinity" or "-Infinity"',
        "double": 'a number, "NaN", "Infinity" or "-Infinity"',
        "string": "a string",
        "bytes": "a string of characters U+0000-U+00FF",
    }[type_name]
    return f"expected {expected} for type {type_name}"


def _array_problem(node: ArrayNode, value: Any) -> str | None:
    if not isinstance(value, list):
        return "expected a JSON array"
    for index, item in enumerate(value):
        problem = default_problem(node.items, item)
        if problem is not None:
            return f"item {index} ({json.dumps(item)}): {problem}"
    return None


def _map_problem(node: MapNode, value: Any) -> str | None:
    if not isinstance(value, dict):
        return "expected a JSON object"
    for key, item in value.items():
        problem = default_problem(node.values, item)
        if problem is not None:
            return f"value of key {key!r}: {problem}"
    return None


def _record_problem(node: RecordNode, value: Any) -> str | None:
    if not isinstance(value, dict):
        return f"expected a JSON object for record {node.fullname}"
    for field_node in node.fields:
        if field_node.name in value:
            problem = default_problem(field_node.type, value[field_node.name])
            if problem is not None:
                return f"field {field_node.name!r} of {node.fullname}: {problem}"
        elif not field_node.has_default:
            return f"field {field_node.name!r} of {node.fullname} is missing and has no default"
    return None


def _is_byte_string(value: str) -> bool:
    return all(ord(char) <= 0xFF for char in value)
