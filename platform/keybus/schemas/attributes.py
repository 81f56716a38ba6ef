"""Read the attributes of Avro schema JSON objects: names, namespaces, aliases and docs."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from keybus.schemas.errors import InvalidSchemaError
from keybus.schemas.model import NamedNode

__all__ = [
    "FIELD_ORDERS",
    "check_name",
    "check_namespace",
    "field_order",
    "fill_named",
    "load_json",
    "name_of",
    "optional_string",
    "other_props",
    "required",
    "string_list",
]

logger = logging.getLogger(__name__)

FIELD_ORDERS = frozenset({"ascending", "descending", "ignore"})
# Letters beyond ASCII count, as Avro Java 1.12 accepts any letter its Character.isLetter
# accepts in names.
NAME_PATTERN = re.compile(r"[^\W\d]\w*")


def load_json(text: str) -> Any:
    """Decode strict JSON: NaN and Infinity literals and repeated object keys are invalid."""

    def reject_constant(token: str) -> Any:
        raise ValueError(f"{token} is not a JSON value")

    def reject_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise ValueError(f"object key {key!r} appears twice")
            result[key] = value
        return result

    try:
        return json.loads(text, parse_constant=reject_constant, object_pairs_hook=reject_repeats)
    except ValueError as exc:
        raise InvalidSchemaError(
            f"Invalid schema: the text is not valid JSON ({exc}). Fix the JSON syntax."
        ) from exc


def is_valid_name(name: str) -> bool:
    """Return whether `name` is a letter or '_' followed by letters, digits and '_'."""
    return NAME_PATTERN.fullmatch(name) is not None


def check_name(name: str, role: str, path: str) -> None:
    if not is_valid_name(name):
        raise InvalidSchemaError(
            f"Invalid schema at {path}: {role} {name!r} is not a valid Avro name. A name "
            "starts with a letter or '_' and contains only letters, digits and '_'.",
            path=path,
        )


def check_namespace(namespace: str, path: str) -> None:
    for part in namespace.split("."):
        if not is_valid_name(part):
            raise InvalidSchemaError(
                f"Invalid schema at {path}: namespace {namespace!r} is not a dot-separated "
                "list of Avro names. Use only letters, digits and '_' between the dots.",
                path=path,
            )


def name_of(value: dict[str, Any], namespace: str | None, path: str) -> tuple[str, str | None]:
    """Return (name, namespace) of a named type, where "" and null mean the null namespace."""
    name = value.get("name")
    kind = value.get("type")
    where = path or "the top level"
    if not isinstance(name, str):
        raise InvalidSchemaError(
            f"Invalid schema at {where}: the {kind} has no string 'name'. Name the type.",
            path=path,
        )

    declared = value.get("namespace")
    if isinstance(declared, str) and declared:
        # Checked even where a dotted name overrides it, so a malformed attribute never
        # sits unnoticed in a stored schema.
        check_namespace(declared, where)

    space: str | None
    if "." in name:
        space, _, simple = name.rpartition(".")
    elif "namespace" in value:
        space = value["namespace"]
        if space is not None and not isinstance(space, str):
            raise InvalidSchemaError(
                f"Invalid schema at {where}: 'namespace' of {name!r} must be a string, not "
                f"{json.dumps(space)}.",
                path=path,
            )
        simple = name
    else:
        space, simple = namespace, name

    check_name(simple, f"{kind} name", where)
    if space:
        check_namespace(space, where)
    return simple, space or None


def fill_named(node: NamedNode, value: dict[str, Any], reserved: frozenset[str], path: str) -> None:
    node.doc = optional_string(value, "doc", path)
    node.props = other_props(value, reserved)
    for alias in string_list(value, "aliases", path):
        if "." in alias:
            space, _, simple = alias.rpartition(".")
            check_namespace(space, path or node.fullname)
        else:
            simple = alias
        check_name(simple, "alias", path or node.fullname)
        qualified = alias if "." in alias or not node.namespace else f"{node.namespace}.{alias}"
        node.aliases.append(qualified)


def required(value: dict[str, Any], key: str, path: str) -> Any:
    if key not in value:
        raise InvalidSchemaError(
            f"Invalid schema at {path or 'the top level'}: the {value.get('type')} has no "
            f"{key!r} attribute. Add it.",
            path=path,
        )
    return value[key]


def other_props(value: dict[str, Any], reserved: frozenset[str]) -> dict[str, Any]:
    return {key: item for key, item in value.items() if key not in reserved}


def optional_string(value: dict[str, Any], key: str, path: str) -> str | None:
    item = value.get(key)
    if item is not None and not isinstance(item, str):
        raise InvalidSchemaError(
            f"Invalid schema at {path or 'the top level'}: {key!r} must be a string, not "
            f"{json.dumps(item)[:60]}.",
            path=path,
        )
    return item


def string_list(value: dict[str, Any], key: str, path: str) -> list[str]:
    items = value.get(key)
    if items is None:
        return []
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise InvalidSchemaError(
            f"Invalid schema at {path or 'the top level'}: {key!r} must be an array of "
            f"strings, not {json.dumps(items)[:60]}.",
            path=path,
        )
    return list(items)


def field_order(value: dict[str, Any], path: str) -> str:
    order = value.get("order", "ascending")
    if order not in FIELD_ORDERS:
        raise InvalidSchemaError(
            f"Invalid schema at {path}: field order {json.dumps(order)} is not one of "
            "'ascending', 'descending' or 'ignore'.",
            path=path,
        )
    return str(order)
