"""Render one generated bindings module: enums, fixed aliases, records and events of a namespace."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from keybus.errors import KeybusError
from keybus.schemas.catalog import CatalogEvent
from keybus.schemas.codegen_methods import python_name, render_from_avro, render_to_avro
from keybus.serde.defaults import PRIMITIVE_TYPES

__all__ = [
    "DEFAULT_PACKAGE",
    "CodegenError",
    "ModuleRenderer",
    "NamedType",
    "module_name",
    "namespace_of",
    "python_name",
    "short_name",
]

DEFAULT_PACKAGE = "keybus.catalog"
"""The import name of the bindings generated from this repository's catalog."""

_PRIMITIVE_ANNOTATIONS = {
    "null": "None",
    "boolean": "AvroBoolean",
    "int": "AvroInt",
    "long": "AvroLong",
    "float": "AvroFloat",
    "double": "AvroDouble",
    "bytes": "AvroBytes",
    "string": "AvroString",
}
_LOGICAL_ANNOTATIONS = {
    "uuid": ("UUID", "uuid"),
    "timestamp-millis": ("AwareDatetime", "pydantic"),
    "timestamp-micros": ("AwareDatetime", "pydantic"),
    "local-timestamp-millis": ("datetime", "datetime"),
    "local-timestamp-micros": ("datetime", "datetime"),
    "date": ("date", "datetime"),
    "time-millis": ("time", "datetime"),
    "time-micros": ("time", "datetime"),
}
_ENVELOPE_DEFAULTS = {
    "event_id": "Field(default_factory=uuid4)",
    "occurred_at": "Field(default_factory=utc_now)",
}
_DOC_WIDTH = 84


class CodegenError(KeybusError):
    """The catalog uses an Avro construct the binding generator cannot express."""


@dataclass(frozen=True)
class NamedType:
    """One named type to generate, with its catalog entry when it is an event."""

    full_name: str
    definition: dict[str, Any]
    event: CatalogEvent | None


def namespace_of(full_name: str) -> str:
    """Return the namespace part of a full name."""
    return full_name.rpartition(".")[0]


def short_name(full_name: str) -> str:
    """Return the name without its namespace."""
    return full_name.rpartition(".")[2]


def module_name(namespace: str) -> str:
    """Return the module path, relative to the package, of a namespace's bindings."""
    return namespace or "default_namespace"


class ModuleRenderer:
    """Render the classes of one namespace and collect the imports they need."""

    def __init__(self, namespace: str, types: Mapping[str, NamedType], package: str) -> None:
        self.namespace = namespace
        self.types = types
        self.package = package
        self.imports: dict[str, set[str]] = {}
        self.exports: list[str] = []
        self.branch_maps: dict[str, list[str]] = {}

    def need(self, module: str, name: str) -> str:
        self.imports.setdefault(module, set()).add(name)
        return name

    def header(self) -> str:
        doc = (
            f'"""Generated bindings of Avro namespace {self.namespace or "(null)"}; do not edit."""'
        )
        lines = [doc, "", "from __future__ import annotations", ""]
        stdlib = sorted(m for m in self.imports if not m.startswith(("keybus", "pydantic")))
        for group in (
            stdlib,
            ["pydantic"],
            sorted(m for m in self.imports if m.startswith("keybus")),
        ):
            present = [m for m in group if m in self.imports]
            lines += [_import_line(m, self.imports[m]) for m in present]
            if present:
                lines.append("")
        lines.append("__all__ = [")
        lines += [f'    "{name}",' for name in sorted(self.exports)]
        lines.append("]")
        return "\n".join(lines)

    def footer(self) -> str:
        blocks = []
        for constant, members in sorted(self.branch_maps.items()):
            lines = [f"{constant}: dict[str, type[AvroRecord]] = {{"]
            lines += [f"    {member}.__avro_name__: {member}," for member in members]
            blocks.append("\n".join([*lines, "}"]))
        return "\n\n" + "\n\n".join(blocks) + "\n" if blocks else ""

    def render(self, named: NamedType) -> str:
        kind = named.definition["type"]
        self.exports.append(short_name(named.full_name))
        if kind == "enum":
            return self._enum(named)
        if kind == "fixed":
            return self._fixed(named)
        return self._record(named)

    def _enum(self, named: NamedType) -> str:
        self.need("enum", "StrEnum")
        lines = [f"class {short_name(named.full_name)}(StrEnum):", *self._doc(named, 4), ""]
        lines += [f'    {symbol} = "{symbol}"' for symbol in named.definition["symbols"]]
        return "\n".join(lines) + "\n"

    def _fixed(self, named: NamedType) -> str:
        self.need("typing", "Annotated")
        self.need("pydantic", "Field")
        size = named.definition["size"]
        text = (
            f"{short_name(named.full_name)} = Annotated[bytes, Field(strict=True, "
            f"min_length={size}, max_length={size})]\n"
        )
        doc = named.definition.get("doc") or f"Avro fixed {named.full_name} of {size} bytes."
        return text + f'"""{doc}"""\n'

    def _record(self, named: NamedType) -> str:
        class_name = short_name(named.full_name)
        base = "Event" if named.event is not None else "AvroRecord"
        self.need("keybus.events", base)
        self.need("typing", "ClassVar")
        lines = [f"class {class_name}({base}):", *self._doc(named, 4), ""]
        lines.append(f'    __avro_name__: ClassVar[str] = "{named.full_name}"')
        if named.event is not None:
            lines += self._event_attributes(named.event)
        lines.append("")
        for field_node in named.definition["fields"]:
            lines += self._field(named, field_node)
        lines += ["", *self._to_avro(named), "", *self._from_avro(named)]
        return "\n".join(lines) + "\n"

    def _event_attributes(self, event: CatalogEvent) -> list[str]:
        self.need("typing", "Any")
        self.need("keybus.events", "packaged_schema")
        return [
            "    __avro_schema__: ClassVar[dict[str, Any]] = packaged_schema(",
            f'        "{self.package}", "{event.event_type}"',
            "    )",
            f'    __topic__: ClassVar[str] = "{event.topic}"',
            f'    __aggregate_id_field__: ClassVar[str] = "{event.aggregate_id_field}"',
        ]

    def _doc(self, named: NamedType, indent: int) -> list[str]:
        doc = named.definition.get("doc") or f"Avro {named.definition['type']} {named.full_name}."
        return _docstring(doc, indent)

    def _field(self, named: NamedType, field_node: Mapping[str, Any]) -> list[str]:
        avro_name = field_node["name"]
        attribute = python_name(avro_name)
        annotation = self.annotation(field_node["type"])
        default = self._default(named, field_node)
        if attribute != avro_name:
            self.need("pydantic", "Field")
            inner = default.removeprefix("Field(").removesuffix(")") if default else ""
            if default and not default.startswith("Field("):
                inner = f"default={default}"
            args = ", ".join(a for a in (inner, f'alias="{avro_name}"') if a)
            default = f"Field({args})"
        line = f"    {attribute}: {annotation}" + (f" = {default}" if default else "")
        lines = [line]
        if field_node.get("doc"):
            lines += _docstring(str(field_node["doc"]), 4)
        return lines

    def annotation(self, node: Any) -> str:
        """Return the Python annotation that validates values of Avro type `node`."""
        if isinstance(node, list):
            branches = [self.annotation(branch) for branch in node if branch != "null"]
            joined = " | ".join(branches)
            records = [b for b in node if (self.definition(b) or {}).get("type") == "record"]
            if len(records) >= 2:
                self.need("typing", "Annotated")
                self.need("keybus.events", "record_union")
                names = ", ".join(self.annotation(record) for record in records)
                joined = f"Annotated[{joined}, record_union({names})]"
            return f"{joined} | None" if "null" in node else joined
        if isinstance(node, str):
            if node in _PRIMITIVE_ANNOTATIONS:
                name = _PRIMITIVE_ANNOTATIONS[node]
                return name if name == "None" else self.need("keybus.events", name)
            return self._type_name(node)
        if "name" in node and node["type"] in ("record", "error", "enum", "fixed"):
            return self._type_name(node["name"])
        return self._complex_annotation(node)

    def _complex_annotation(self, node: Mapping[str, Any]) -> str:
        kind, logical = node["type"], node.get("logicalType")
        if logical == "decimal":
            self.need("typing", "Annotated")
            self.need("pydantic", "Field")
            self.need("decimal", "Decimal")
            scale = node.get("scale", 0)
            return (
                f"Annotated[Decimal, Field(max_digits={node['precision']}, decimal_places={scale})]"
            )
        if logical in _LOGICAL_ANNOTATIONS:
            name, module = _LOGICAL_ANNOTATIONS[logical]
            return self.need(module, name)
        if kind == "array":
            self.need("typing", "Any")
            return f"list[{self.annotation(node['items'])}]"
        if kind == "map":
            return f"dict[str, {self.annotation(node['values'])}]"
        if isinstance(kind, str | list | dict):
            return self.annotation(kind)
        raise CodegenError(f"Avro type {node!r} has no binding. Simplify the schema.")

    def _type_name(self, full_name: str) -> str:
        if full_name not in self.types:
            raise CodegenError(f"Type {full_name} is referenced but not defined in the catalog.")
        name = short_name(full_name)
        if namespace_of(full_name) != self.namespace:
            self.need(f"{self.package}.{module_name(namespace_of(full_name))}", name)
        return name

    def definition(self, node: Any) -> Mapping[str, Any] | None:
        """Return the named definition `node` refers to, or None for other types."""
        if isinstance(node, str) and node not in PRIMITIVE_TYPES:
            return self.types[node].definition
        if isinstance(node, dict) and node.get("type") in ("record", "error", "enum", "fixed"):
            return node
        return None

    def _default(self, named: NamedType, field_node: Mapping[str, Any]) -> str | None:
        if named.event is not None and field_node["name"] in _ENVELOPE_DEFAULTS:
            self.need("pydantic", "Field")
            if field_node["name"] == "event_id":
                self.need("uuid", "uuid4")
            else:
                self.need("keybus.events", "utc_now")
            return _ENVELOPE_DEFAULTS[field_node["name"]]
        if "default" not in field_node:
            return None
        node = field_node["type"]
        return self.default_literal(
            field_node["default"], node[0] if isinstance(node, list) else node
        )

    def default_literal(self, value: Any, node: Any) -> str:
        """Return Python source for the Avro JSON default `value` of type `node`."""
        definition = self.definition(node)
        kind = definition["type"] if definition else _kind(node)
        if value is None or (isinstance(value, bool | int | float) and kind != "decimal"):
            return repr(value)
        if kind == "enum":
            return f"{self._type_name(_name(node))}.{value}"
        if kind in ("bytes", "fixed"):
            return repr(str(value).encode("latin-1"))
        if kind == "decimal":
            scale = node.get("scale", 0)
            unscaled = int.from_bytes(str(value).encode("latin-1"), "big", signed=True)
            return f'Decimal("{Decimal(unscaled).scaleb(-scale)}")'
        if isinstance(value, str):
            return repr(value)
        self.need("pydantic", "Field")
        if value in ([], {}):
            return f"Field(default_factory={type(value).__name__})"
        if kind == "record":
            model = self._type_name(_name(node))
            return f"Field(default_factory=lambda: {model}.model_validate({json.dumps(value)}))"
        return f"Field(default_factory=lambda: {value!r})"

    def _to_avro(self, named: NamedType) -> list[str]:
        return render_to_avro(self, named)

    def _from_avro(self, named: NamedType) -> list[str]:
        return render_from_avro(self, named)


def _kind(node: Any) -> str:
    if isinstance(node, str):
        return node
    if isinstance(node, dict):
        return str(node.get("logicalType") or node.get("type"))
    return "union"


def _name(node: Any) -> str:
    return node if isinstance(node, str) else str(node["name"])


def _import_line(module: str, names: set[str]) -> str:
    joined = ", ".join(sorted(names, key=lambda n: (not n[0].isupper(), n)))
    line = f"from {module} import {joined}"
    if len(line) <= 100:
        return line
    inner = "\n".join(f"    {n}," for n in sorted(names, key=lambda n: (not n[0].isupper(), n)))
    return f"from {module} import (\n{inner}\n)"


def _docstring(text: str, indent: int) -> list[str]:
    pad = " " * indent
    one_line = f'{pad}"""{text}"""'
    if len(one_line) <= 100:
        return [one_line]
    wrapped = textwrap.wrap(text, _DOC_WIDTH - indent)
    return [f'{pad}"""{wrapped[0]}', *(f"{pad}{line}" for line in wrapped[1:]), f'{pad}"""']
