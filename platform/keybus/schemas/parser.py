"""Parse Avro schema JSON into the schema tree, enforcing the rules of the Avro specification."""

from __future__ import annotations

import json
import logging
from typing import Any, TypeVar

from keybus.schemas.attributes import (
    check_name,
    field_order,
    fill_named,
    name_of,
    optional_string,
    other_props,
    required,
    string_list,
)
from keybus.schemas.canonical import write_schema
from keybus.schemas.defaults import default_problem
from keybus.schemas.errors import InvalidSchemaError
from keybus.schemas.model import (
    PRIMITIVE_TYPES,
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

__all__ = ["SchemaParser"]

Named = TypeVar("Named", RecordNode, EnumNode, FixedNode)

logger = logging.getLogger(__name__)

# Attributes that are part of a schema's definition, never custom properties. The set is
# shared by all schema kinds, as in Avro Java 1.12 (`Schema.SCHEMA_RESERVED`), so a `doc`
# on a primitive or an array is dropped the way Java drops it.
SCHEMA_RESERVED = frozenset(
    {"doc", "fields", "items", "name", "namespace", "size", "symbols", "values", "type", "aliases"}
)
ENUM_RESERVED = SCHEMA_RESERVED | {"default"}
FIELD_RESERVED = frozenset({"default", "doc", "name", "order", "type", "aliases"})
HINT_REFERENCE = "Define the type before this point or pass it as a schema reference."


class SchemaParser:
    """Parse one schema into nodes, resolving names against `names` and adding new ones.

    Args:
        names: Named types already known by full name, for example from schema references;
            the types this schema defines are added to it.
        validate_defaults: Reject field defaults that do not match their type (for a union,
            its first branch). Enum defaults that are not symbols are always rejected.
    """

    def __init__(self, names: dict[str, NamedNode], *, validate_defaults: bool = True) -> None:
        self.names = names
        self.validate_defaults = validate_defaults
        self._fields_to_check: list[tuple[FieldNode, str]] = []
        self._repeats: list[tuple[SchemaNode, SchemaNode, str]] = []

    def parse(self, value: Any) -> SchemaNode:
        """Parse a decoded JSON value as a whole schema, then check field defaults."""
        node = self._parse(value, None, "")
        self._check_repeats()
        if self.validate_defaults:
            for field_node, path in self._fields_to_check:
                self._check_default(field_node, path)
        return node

    def _check_default(self, field_node: FieldNode, path: str) -> None:
        problem = default_problem(field_node.type, field_node.default)
        if problem is not None:
            raise InvalidSchemaError(
                f"Invalid schema at {path}: default {json.dumps(field_node.default)} of field "
                f"{field_node.name!r} is invalid: {problem}. A default must match the field "
                "type, and for a union its first branch; fix the default or reorder the union.",
                path=path,
            )

    def _parse(self, value: Any, namespace: str | None, path: str) -> SchemaNode:
        if isinstance(value, str):
            return self._resolve(value, namespace, path)
        if isinstance(value, list):
            return self._parse_union(value, namespace, path)
        if isinstance(value, dict):
            return self._parse_object(value, namespace, path)
        where = path or "the top level"
        raise InvalidSchemaError(
            f"Invalid schema at {where}: {json.dumps(value)} is not a schema. Write a type "
            "name, a type object with a 'type' attribute, or a union array.",
            path=path,
        )

    def _resolve(self, name: str, namespace: str | None, path: str) -> SchemaNode:
        if name in PRIMITIVE_TYPES:
            return PrimitiveNode(name)
        fullname = name if "." in name or not namespace else f"{namespace}.{name}"
        node = self.names.get(fullname)
        if node is None:
            # An unqualified name not found in the enclosing namespace falls back to the
            # null namespace, as Avro Java's `Schema.Names.get` does.
            node = self.names.get(name)
        if node is None:
            raise InvalidSchemaError(
                f"Invalid schema at {path or 'the top level'}: unknown type {name!r}. "
                + HINT_REFERENCE,
                path=path,
            )
        return node  # type: ignore[return-value]

    def _parse_union(self, value: list[Any], namespace: str | None, path: str) -> UnionNode:
        branches: list[SchemaNode] = []
        seen: dict[str, int] = {}
        for index, item in enumerate(value):
            branch_path = f"{path}<{index}>"
            branch = self._parse(item, namespace, branch_path)
            if isinstance(branch, UnionNode):
                raise InvalidSchemaError(
                    f"Invalid schema at {branch_path}: a union contains a union. "
                    "Merge the inner branches into the outer union.",
                    path=branch_path,
                )
            key = branch.fullname if isinstance(branch, NamedNode) else branch.type
            if key in seen:
                raise InvalidSchemaError(
                    f"Invalid schema at {branch_path}: union branches {seen[key]} and {index} "
                    f"are both {key!r}. A union holds at most one schema of each unnamed type "
                    "and each name; remove one.",
                    path=branch_path,
                )
            seen[key] = index
            branches.append(branch)
        return UnionNode(branches)

    def _parse_object(self, value: dict[str, Any], namespace: str | None, path: str) -> SchemaNode:
        type_name = value.get("type")
        where = path or "the top level"
        if not isinstance(type_name, str):
            raise InvalidSchemaError(
                f"Invalid schema at {where}: the object {json.dumps(value)[:80]} has no string "
                "'type' attribute. Set 'type' to a primitive or complex type name.",
                path=path,
            )
        if type_name in PRIMITIVE_TYPES:
            return PrimitiveNode(type_name, other_props(value, SCHEMA_RESERVED))
        if type_name in ("record", "error"):
            return self._parse_record(value, namespace, path)
        if type_name == "enum":
            return self._parse_enum(value, namespace, path)
        if type_name == "fixed":
            return self._parse_fixed(value, namespace, path)
        if type_name == "array":
            items = self._parse(required(value, "items", path), namespace, f"{path}[]")
            return ArrayNode(items, other_props(value, SCHEMA_RESERVED))
        if type_name == "map":
            values = self._parse(required(value, "values", path), namespace, f"{path}{{}}")
            return MapNode(values, other_props(value, SCHEMA_RESERVED))
        return self._resolve(type_name, namespace, path)

    def _define(self, node: Named, path: str) -> Named:
        """Register `node` by name and return it, or the earlier node a repeat defines again.

        Avro Java 1.12 accepts a name defined again with an equal definition, and the text
        Confluent's registry stores repeats the types a schema's references define. A
        repeat is compared with the first definition once the whole schema is parsed.
        """
        if node.name in PRIMITIVE_TYPES:
            raise InvalidSchemaError(
                f"Invalid schema at {path}: a {node.type} may not be named after the primitive "
                f"type {node.name!r}. Choose another name.",
                path=path,
            )
        existing = self.names.get(node.fullname)
        if existing is None:
            self.names[node.fullname] = node
            return node
        if type(existing) is not type(node):
            raise _defined_twice(path)
        self._repeats.append((node, existing, path))
        return existing

    def _check_repeats(self) -> None:
        for repeat, first, path in self._repeats:
            if write_schema(repeat) != write_schema(first):
                raise _defined_twice(path)

    def _parse_record(self, value: dict[str, Any], namespace: str | None, path: str) -> RecordNode:
        name, own_namespace = name_of(value, namespace, path)
        node = RecordNode(value["type"], name, own_namespace)
        fill_named(node, value, SCHEMA_RESERVED, path)
        record_path = node.fullname
        defined = self._define(node, record_path)
        fields = value.get("fields")
        if not isinstance(fields, list):
            raise InvalidSchemaError(
                f"Invalid schema at {record_path}: 'fields' must be an array of field objects, "
                f'not {json.dumps(fields)[:60]}. Write "fields": [...].',
                path=record_path,
            )
        for index, raw_field in enumerate(fields):
            field_node = self._parse_field(raw_field, own_namespace, record_path, index)
            if node.field_named(field_node.name) is not None:
                raise InvalidSchemaError(
                    f"Invalid schema at {record_path}: field {field_node.name!r} is declared "
                    "twice. Give each field of a record a distinct name.",
                    path=record_path,
                )
            node.fields.append(field_node)
        return defined

    def _parse_field(
        self, value: Any, namespace: str | None, record_path: str, index: int
    ) -> FieldNode:
        path = f"{record_path}.fields[{index}]"
        if not isinstance(value, dict):
            raise InvalidSchemaError(
                f"Invalid schema at {path}: a field must be an object with 'name' and 'type', "
                f"not {json.dumps(value)[:60]}.",
                path=path,
            )

        name = value.get("name")
        if not isinstance(name, str):
            raise InvalidSchemaError(
                f"Invalid schema at {path}: the field has no string 'name'. Name the field.",
                path=path,
            )

        path = f"{record_path}.{name}"
        check_name(name, "field name", path)
        if "type" not in value:
            raise InvalidSchemaError(
                f"Invalid schema at {path}: field {name!r} has no 'type'. Give the field a type.",
                path=path,
            )

        field_node = FieldNode(name, self._parse(value["type"], namespace, path))
        field_node.has_default = "default" in value
        field_node.default = value.get("default")
        field_node.order = field_order(value, path)
        field_node.aliases = string_list(value, "aliases", path)
        field_node.doc = optional_string(value, "doc", path)
        field_node.props = other_props(value, FIELD_RESERVED)

        for alias in field_node.aliases:
            check_name(alias, "field alias", path)
        if field_node.has_default:
            self._fields_to_check.append((field_node, path))
        return field_node

    def _parse_enum(self, value: dict[str, Any], namespace: str | None, path: str) -> EnumNode:
        name, own_namespace = name_of(value, namespace, path)
        node = EnumNode("enum", name, own_namespace)
        fill_named(node, value, ENUM_RESERVED, path)
        enum_path = node.fullname

        symbols = value.get("symbols")
        if not isinstance(symbols, list) or not all(isinstance(s, str) for s in symbols):
            raise InvalidSchemaError(
                f"Invalid schema at {enum_path}: 'symbols' must be an array of strings, not "
                f"{json.dumps(symbols)[:60]}.",
                path=enum_path,
            )

        for symbol in symbols:
            check_name(symbol, "enum symbol", enum_path)
        if len(set(symbols)) != len(symbols):
            raise InvalidSchemaError(
                f"Invalid schema at {enum_path}: enum symbols {symbols} contain a duplicate. "
                "List each symbol once.",
                path=enum_path,
            )
        node.symbols = list(symbols)

        default = value.get("default")
        if default is not None and default not in symbols:
            raise InvalidSchemaError(
                f"Invalid schema at {enum_path}: enum default {json.dumps(default)} is not one "
                f"of the symbols {symbols}. Set the default to one of them.",
                path=enum_path,
            )
        node.default = default

        return self._define(node, enum_path)

    def _parse_fixed(self, value: dict[str, Any], namespace: str | None, path: str) -> FixedNode:
        name, own_namespace = name_of(value, namespace, path)
        node = FixedNode("fixed", name, own_namespace)
        fill_named(node, value, SCHEMA_RESERVED, path)
        size = value.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise InvalidSchemaError(
                f"Invalid schema at {node.fullname}: fixed 'size' must be a non-negative "
                f"integer, not {json.dumps(size)}. Set the size in bytes.",
                path=node.fullname,
            )
        node.size = size
        return self._define(node, node.fullname)


def _defined_twice(path: str) -> InvalidSchemaError:
    return InvalidSchemaError(
        f"Invalid schema at {path}: the name {path!r} is defined twice with different "
        "definitions. Define a named type once and refer to it by its name afterwards.",
        path=path,
    )
