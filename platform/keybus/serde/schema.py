"""Parse Avro schemas once: check defaults, resolve names as Java Avro does, cache the result."""

from __future__ import annotations

import copy
import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import fastavro

from keybus.errors import clause
from keybus.registry.client import normalized_json
from keybus.serde.defaults import PRIMITIVE_TYPES, default_violation
from keybus.serde.errors import InvalidSchemaError

__all__ = ["ParsedSchema", "named_definitions", "parse_schema"]

logger = logging.getLogger(__name__)

_NAMED_KINDS = frozenset({"record", "error", "enum", "fixed"})


@dataclass(frozen=True, eq=False)
class ParsedSchema:
    """An Avro schema checked against the specification and parsed for fastavro.

    Attributes:
        schema: the schema as JSON values, as written.
        text: compact JSON text of `schema`, the form registered and compared.
        fingerprint: SHA-256 of the normalized JSON; equal for equal schemas spelled
            with other key order or `{"type": "string"}` for `"string"`.
        name: the full name of a top-level named type, else None.
        parsed: fastavro's parsed schema.
        named_types: fastavro's named types by their fastavro name.
        fastavro_names: Avro full name to fastavro name, for null-namespace names that
            fastavro needs spelled with a leading dot.
        has_record_unions: True when some union has two or more record branches, so
            that plain dicts need a branch chosen before encoding.
    """

    schema: Any
    text: str
    fingerprint: str
    name: str | None
    parsed: Any
    named_types: Mapping[str, Any]
    fastavro_names: Mapping[str, str] = field(default_factory=dict)
    has_record_unions: bool = False

    def avro_name(self, fastavro_name: str) -> str:
        """Return the Avro full name behind a name fastavro reports."""
        return fastavro_name.lstrip(".")

    def fastavro_name(self, avro_name: str) -> str:
        """Return the name fastavro uses for the Avro full name `avro_name`."""
        return self.fastavro_names.get(avro_name, avro_name)


def parse_schema(schema: str | Mapping[str, Any] | list[Any]) -> ParsedSchema:
    """Parse and check an Avro schema given as JSON text or JSON values.

    Raises:
        InvalidSchemaError: the text is not JSON, a name is unknown, or a default does
            not match its field's type (or, for a union, its first branch).
    """
    text = schema if isinstance(schema, str) else json.dumps(schema, separators=(",", ":"))
    return _parse_text(text)


@lru_cache(maxsize=1024)
def _parse_text(text: str) -> ParsedSchema:
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidSchemaError(
            f"Schema is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}. "
            "Fix the JSON syntax of the schema."
        ) from exc

    resolver = _NameResolver()
    resolver.collect(loaded, "")
    fastavro_form = resolver.rewrite(loaded, "")
    named: dict[str, Any] = {}
    try:
        parsed = fastavro.parse_schema(fastavro_form, named_schemas=named)
    except Exception as exc:  # fastavro raises several unrelated types for bad schemas
        raise _invalid_schema_error(text, loaded, exc) from exc

    return ParsedSchema(
        schema=loaded,
        text=json.dumps(loaded, separators=(",", ":")),
        fingerprint=hashlib.sha256(normalized_json(loaded).encode()).hexdigest(),
        name=_top_name(loaded, ""),
        parsed=parsed,
        named_types=named,
        fastavro_names=resolver.fastavro_names(),
        has_record_unions=resolver.has_record_unions,
    )


def _invalid_schema_error(text: str, loaded: Any, exc: Exception) -> InvalidSchemaError:
    """Build the error for a schema fastavro rejected, with the registry parser's diagnosis.

    fastavro's messages are often a bare name, such as "in" for an unknown type. The
    registry's parser names the place in the schema, the rule and the fix, so its message
    is used whenever it also rejects the schema.
    """
    # Imported here because keybus.schemas imports this module for its catalog.
    from keybus.schemas.avro import parse_avro  # noqa: PLC0415
    from keybus.schemas.errors import InvalidSchemaError as RegistrySchemaError  # noqa: PLC0415
    from keybus.schemas.parser import HINT_REFERENCE  # noqa: PLC0415

    name = _top_name(loaded, "")
    try:
        parse_avro(text)
    except RegistrySchemaError as diagnosis:
        message = diagnosis.message
        if message.endswith(HINT_REFERENCE):
            message = message.removesuffix(HINT_REFERENCE) + _HINT_SELF_CONTAINED
        return InvalidSchemaError(message, schema_name=name, path=diagnosis.path)
    return InvalidSchemaError(
        f"Schema {name or text[:80]!r} is invalid: {type(exc).__name__}: {clause(exc)}. Fix it "
        "to follow the Avro specification.",
        schema_name=name,
    )


_HINT_SELF_CONTAINED = (
    "Use a primitive type, or define the named type at its first use in this schema, "
    "because publish_dict() and AvroSerializer take no schema references. For a catalog "
    "event, Catalog.load(root).event(event_type).schema from keybus.schemas is the schema "
    "with those types inlined."
)


def named_definitions(schema: Any) -> dict[str, dict[str, Any]]:
    """Return every named type a schema defines, by full name, with all names spelled in full.

    The returned definitions have no `namespace` key: their `name` and every reference
    inside them are full names, resolved as Java Avro resolves them.
    """
    resolver = _NameResolver()
    resolver.collect(schema, "")
    qualified = resolver.rewrite(schema, "", spell_null_namespace=False)
    found: dict[str, dict[str, Any]] = {}
    _gather(qualified, found)
    return found


def _gather(node: Any, found: dict[str, dict[str, Any]]) -> None:
    if isinstance(node, list):
        for branch in node:
            _gather(branch, found)
        return
    if not isinstance(node, dict):
        return
    if node.get("type") in _NAMED_KINDS and "name" in node:
        found[node["name"]] = node
    for field_node in node.get("fields", []):
        _gather(field_node.get("type"), found)
    for key in ("items", "values", "type"):
        if isinstance(node.get(key), dict | list):
            _gather(node[key], found)


def _top_name(node: Any, namespace: str) -> str | None:
    if isinstance(node, dict) and node.get("type") in _NAMED_KINDS and "name" in node:
        return _full_name(node["name"], _definition_namespace(node, namespace))
    return None


def _definition_namespace(node: Mapping[str, Any], enclosing: str) -> str:
    if "namespace" not in node:
        return enclosing
    # An empty or null namespace means the null namespace, not "inherit" (Avro spec, Names).
    return node["namespace"] or ""


def _full_name(name: str, namespace: str) -> str:
    if "." in name or not namespace:
        return name
    return f"{namespace}.{name}"


def _check_shape(node: Mapping[str, Any], key: str, kind: type, expected: str) -> None:
    """Raise InvalidSchemaError when `node[key]` is present but not of the JSON type `kind`."""
    if key in node and not isinstance(node[key], kind):
        name = node.get("name")
        owner = f"{node.get('type')} {name!r}" if isinstance(name, str) else f"a {node.get('type')}"
        value = repr(node[key])
        excerpt = value if len(value) <= 80 else value[:77] + "..."
        raise InvalidSchemaError(
            f"Schema attribute {key!r} of {owner} is {excerpt}; it must be {expected}.",
            schema_name=name if isinstance(name, str) else None,
        )


def _namespace_of(full_name: str) -> str:
    return full_name.rpartition(".")[0]


class _NameResolver:
    """Walk a schema as Java Avro does: collect named types, then write a fastavro form.

    Java Avro resolves an unqualified reference in the enclosing namespace first and
    then in the null namespace; fastavro only tries the enclosing one. The fastavro form
    therefore spells every name in full, and null-namespace names as `.Name` when the
    schema mixes namespaces, so that fastavro never prefixes them.
    """

    def __init__(self) -> None:
        self.definitions: dict[str, tuple[Mapping[str, Any], str]] = {}
        self.has_record_unions = False
        self._mixed = False

    def collect(self, node: Any, namespace: str) -> None:
        if isinstance(node, list):
            records = 0
            for branch in node:
                self.collect(branch, namespace)
                records += self._is_record(branch, namespace)
            self.has_record_unions = self.has_record_unions or records >= 2
        elif isinstance(node, dict):
            self._collect_dict(node, namespace)

    def _collect_dict(self, node: Mapping[str, Any], namespace: str) -> None:
        kind = node.get("type")
        if kind in _NAMED_KINDS and "name" in node:
            _check_shape(node, "name", str, 'a string such as "Order"')
            if "namespace" in node and node["namespace"] is not None:
                _check_shape(node, "namespace", str, 'a string such as "com.example"')
            full = _full_name(node["name"], _definition_namespace(node, namespace))
            self.definitions[full] = (node, namespace)
            namespace = _namespace_of(full)
        if kind in ("record", "error"):
            _check_shape(node, "fields", list, "a list of field objects")
        for field_node in node.get("fields", []) if kind in ("record", "error") else []:
            if not isinstance(field_node, dict):
                raise InvalidSchemaError(
                    f"Record {node.get('name')!r} has a field {field_node!r} that is not an "
                    'object. Write each field as {"name": ..., "type": ...}.',
                    schema_name=str(node.get("name")),
                )
            self.collect(field_node.get("type"), namespace)
            if "default" in field_node:
                self._check_default(node, field_node, namespace)
        if kind == "enum" and "default" in node and node["default"] not in node.get("symbols", []):
            raise InvalidSchemaError(
                f"Enum {node.get('name')} has default {node['default']!r}, which is not one of "
                f"its symbols {node.get('symbols')}. Use one of the symbols as the default.",
                schema_name=str(node.get("name")),
            )
        for key in ("items", "values"):
            if key in node:
                self.collect(node[key], namespace)
        if isinstance(kind, dict | list):
            self.collect(kind, namespace)

    def _check_default(
        self, record: Mapping[str, Any], field_node: Mapping[str, Any], namespace: str
    ) -> None:
        def lookup(name: str) -> Mapping[str, Any]:
            return self.definitions[self.resolve(name, namespace)][0]

        try:
            reason = default_violation(field_node["default"], field_node.get("type"), lookup)
        except KeyError as exc:
            reason = f"type {exc} is not defined"
        if reason is not None:
            record_name = _full_name(str(record.get("name")), namespace)
            raise InvalidSchemaError(
                f"Field '{field_node.get('name')}' of {record_name} has an invalid default "
                f"{field_node['default']!r}: {clause(reason)}. Give a default of the field's type "
                "(for a union, of its first branch) or remove the default.",
                schema_name=record_name,
            )

    def resolve(self, name: str, namespace: str) -> str:
        """Return the full name a reference means at a position in `namespace`."""
        qualified = _full_name(name, namespace)
        if qualified in self.definitions or "." in name:
            return qualified
        return name

    def _is_record(self, node: Any, namespace: str) -> bool:
        if isinstance(node, dict):
            return node.get("type") in ("record", "error")
        if isinstance(node, str) and node not in PRIMITIVE_TYPES:
            definition = self.definitions.get(self.resolve(node, namespace))
            return definition is not None and definition[0].get("type") in ("record", "error")
        return False

    def rewrite(self, node: Any, namespace: str, *, spell_null_namespace: bool = True) -> Any:
        namespaces = {_namespace_of(name) for name in self.definitions}
        self._mixed = spell_null_namespace and "" in namespaces and len(namespaces) > 1
        return self._rewrite(copy.deepcopy(node), namespace)

    def _spell(self, full_name: str) -> str:
        return f".{full_name}" if self._mixed and "." not in full_name else full_name

    def fastavro_names(self) -> dict[str, str]:
        return {name: self._spell(name) for name in self.definitions if self._spell(name) != name}

    def _rewrite(self, node: Any, namespace: str) -> Any:
        if isinstance(node, list):
            return [self._rewrite(branch, namespace) for branch in node]
        if isinstance(node, str):
            if node in PRIMITIVE_TYPES:
                return node
            return self._spell(self.resolve(node, namespace))
        if not isinstance(node, dict):
            return node
        kind = node.get("type")
        if kind in _NAMED_KINDS and "name" in node:
            full = _full_name(node["name"], _definition_namespace(node, namespace))
            node["name"] = self._spell(full)
            node.pop("namespace", None)
            namespace = _namespace_of(full)
        for field_node in node.get("fields", []) if kind in ("record", "error") else []:
            field_node["type"] = self._rewrite(field_node.get("type"), namespace)
        for key in ("items", "values"):
            if key in node:
                node[key] = self._rewrite(node[key], namespace)
        if isinstance(kind, dict | list) or (isinstance(kind, str) and kind not in _KINDS):
            node["type"] = self._rewrite(kind, namespace)
        return node


_KINDS = PRIMITIVE_TYPES | _NAMED_KINDS | {"array", "map"}
