"""Check field and enum defaults against the Avro specification's rules."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["PRIMITIVE_TYPES", "default_violation"]

PRIMITIVE_TYPES = frozenset(
    {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
)
_INT_RANGE = (-(2**31), 2**31 - 1)
_LONG_RANGE = (-(2**63), 2**63 - 1)

NamedLookup = Callable[[str], Mapping[str, Any]]
"""Resolve a name reference, as written at the default's position, to its definition."""


def default_violation(value: Any, schema: Any, lookup: NamedLookup) -> str | None:
    """Say why `value` is not a valid default for `schema`, or return None when it is.

    The rules follow the Avro specification (*Complex Types*, default values): a
    default is a JSON value of the field's type, and a union's default belongs to its
    first branch.
    """
    if isinstance(schema, list):
        if not schema:
            return "an empty union has no valid default"
        reason = default_violation(value, schema[0], lookup)
        if reason is None:
            return None
        return f"a union default must match the first branch {_describe(schema[0])}: {reason}"
    if isinstance(schema, str):
        if schema in PRIMITIVE_TYPES:
            return _primitive_violation(value, schema)
        return default_violation(value, lookup(schema), lookup)
    return _complex_violation(value, schema, lookup)


def _primitive_violation(value: Any, type_name: str) -> str | None:
    if type_name == "null":
        ok = value is None
    elif type_name == "boolean":
        ok = isinstance(value, bool)
    elif type_name in ("int", "long"):
        low, high = _INT_RANGE if type_name == "int" else _LONG_RANGE
        ok = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
    elif type_name in ("float", "double"):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    else:
        ok = isinstance(value, str)
    if ok:
        return None
    return f"{value!r} is not a JSON value of type {type_name}"


def _complex_violation(value: Any, schema: Mapping[str, Any], lookup: NamedLookup) -> str | None:
    kind = schema.get("type")
    if kind in ("record", "error"):
        return _record_violation(value, schema, lookup)
    if kind == "enum":
        symbols = schema.get("symbols", [])
        if isinstance(value, str) and value in symbols:
            return None
        return f"{value!r} is not a symbol of enum {schema.get('name')} {symbols}"
    if kind == "fixed":
        size = schema.get("size")
        if isinstance(value, str) and len(value) == size:
            return None
        return f"{value!r} is not a string of {size} characters for fixed {schema.get('name')}"
    if kind == "array":
        if not isinstance(value, list):
            return f"{value!r} is not a JSON array"
        return _first_violation(value, schema.get("items"), lookup)
    if kind == "map":
        if not isinstance(value, dict):
            return f"{value!r} is not a JSON object"
        return _first_violation(list(value.values()), schema.get("values"), lookup)
    return default_violation(value, kind, lookup)


def _first_violation(values: list[Any], schema: Any, lookup: NamedLookup) -> str | None:
    for item in values:
        reason = default_violation(item, schema, lookup)
        if reason is not None:
            return reason
    return None


def _record_violation(value: Any, schema: Mapping[str, Any], lookup: NamedLookup) -> str | None:
    if not isinstance(value, dict):
        return f"{value!r} is not a JSON object for record {schema.get('name')}"
    for field in schema.get("fields", []):
        name = field.get("name")
        if name in value:
            reason = default_violation(value[name], field.get("type"), lookup)
        elif "default" in field:
            reason = None
        else:
            reason = f"field '{name}' is missing and has no default"
        if reason is not None:
            return reason
    return None


def _describe(schema: Any) -> str:
    if isinstance(schema, Mapping):
        return str(schema.get("name") or schema.get("type"))
    return repr(schema)
