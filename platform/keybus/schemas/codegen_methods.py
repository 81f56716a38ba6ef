"""Render the `to_avro` and `from_avro` methods of generated record models as straight-line code."""

from __future__ import annotations

import keyword
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from keybus.events.model import Event
from keybus.serde.defaults import PRIMITIVE_TYPES

if TYPE_CHECKING:
    from keybus.schemas.codegen_module import ModuleRenderer, NamedType

__all__ = ["python_name", "render_from_avro", "render_to_avro"]

_RESERVED_ATTRIBUTES = frozenset(dir(Event)) | {"aggregate_id", "event_type", "topic"}
_RESERVED_LOCALS = frozenset({"cls", "self", "datum", "item", "key", "value"})

Converter = Callable[["ModuleRenderer", Any, str, int], str | None]


def render_to_avro(renderer: ModuleRenderer, named: NamedType) -> list[str]:
    """Render `to_avro`, which turns the model into the values fastavro writes."""
    renderer.need("typing", "Any")
    body: list[str] = []
    entries: list[str] = []
    for field_node in named.definition["fields"]:
        attribute = python_name(field_node["name"])
        local = _local(attribute)
        expression = _encode(renderer, field_node["type"], f"self.{attribute}", 0)
        if expression is None:
            entries.append(f'            "{field_node["name"]}": self.{attribute},')
        else:
            body += _assignment(local, expression)
            entries.append(f'            "{field_node["name"]}": {local},')
    return [
        "    def to_avro(self) -> dict[str, Any]:",
        '        """Return the record as the values fastavro writes."""',
        *body,
        "        return {",
        *entries,
        "        }",
    ]


def render_from_avro(renderer: ModuleRenderer, named: NamedType) -> list[str]:
    """Render `from_avro`, which builds the model from values fastavro read."""
    renderer.need("typing", "Any")
    renderer.need("typing", "Self")
    renderer.need("collections.abc", "Mapping")
    body: list[str] = []
    arguments: list[str] = []
    for field_node in named.definition["fields"]:
        attribute = python_name(field_node["name"])
        local = _local(attribute)
        expression = _decode(renderer, field_node["type"], f'datum["{field_node["name"]}"]', 0)
        if expression is None:
            arguments.append(f'                "{attribute}": datum["{field_node["name"]}"],')
        else:
            body += _assignment(local, expression)
            arguments.append(f'                "{attribute}": {local},')
    return [
        "    @classmethod",
        "    def from_avro(cls, datum: Mapping[str, Any]) -> Self:",
        '        """Build the record from values fastavro read; they are valid by construction."""',
        *body,
        "        return cls.from_trusted(",
        "            {",
        *arguments,
        "            }",
        "        )",
    ]


def python_name(avro_name: str) -> str:
    """Return the attribute name for an Avro field, avoiding keywords and model attributes."""
    if keyword.iskeyword(avro_name) or avro_name in _RESERVED_ATTRIBUTES:
        return f"{avro_name}_"
    if avro_name.startswith("model_"):
        return f"{avro_name}_"
    return avro_name


def _assignment(local: str, expression: str) -> list[str]:
    """Return the assignment lines, wrapped in parentheses as ruff formats a long one."""
    line = f"        {local} = {expression}"
    if len(line) <= 100:
        return [line]
    return [f"        {local} = (", f"            {expression}", "        )"]


def _local(attribute: str) -> str:
    return f"{attribute}_" if attribute in _RESERVED_LOCALS else attribute


def _encode(renderer: ModuleRenderer, node: Any, value: str, depth: int) -> str | None:
    """Return an expression converting `value` for fastavro, or None when it passes as is."""
    if isinstance(node, list):
        return _union(renderer, node, value, depth, convert=_encode, helper="encode_union")
    definition = renderer.definition(node)
    if definition is not None:
        return f"{value}.to_avro()" if definition["type"] in ("record", "error") else None
    return _container(renderer, node, value, depth, _encode)


def _decode(renderer: ModuleRenderer, node: Any, value: str, depth: int) -> str | None:
    """Return an expression building model values from fastavro's, or None when equal."""
    if isinstance(node, list):
        return _union(renderer, node, value, depth, convert=_decode, helper="decode_union")
    definition = renderer.definition(node)
    if definition is not None:
        name = renderer.annotation(node)
        if definition["type"] in ("record", "error"):
            return f"{name}.from_avro({value})"
        return f"{name}({value})" if definition["type"] == "enum" else None
    return _container(renderer, node, value, depth, _decode)


def _union(
    renderer: ModuleRenderer,
    branches: list[Any],
    value: str,
    depth: int,
    *,
    convert: Converter,
    helper: str,
) -> str | None:
    others = [branch for branch in branches if branch != "null"]
    records = [b for b in others if (renderer.definition(b) or {}).get("type") == "record"]
    if len(records) >= 2:
        renderer.need("keybus.events", helper)
        if helper == "encode_union":
            return f"encode_union({value})"
        constant = _branch_map(renderer, records)
        return f"decode_union({value}, {constant})"
    if len(others) != 1:
        return None
    inner = convert(renderer, others[0], value, depth)
    if inner is None or "null" not in branches:
        return inner
    return f"None if {value} is None else {inner}"


def _branch_map(renderer: ModuleRenderer, records: list[Any]) -> str:
    names = [renderer.annotation(record) for record in records]
    constant = "_" + "_".join(name.upper() for name in names) + "_BRANCHES"
    renderer.branch_maps[constant] = names
    renderer.need("keybus.events", "AvroRecord")
    return constant


def _container(
    renderer: ModuleRenderer, node: Any, value: str, depth: int, convert: Converter
) -> str | None:
    if not isinstance(node, dict) or isinstance(node, str) or node.get("type") in PRIMITIVE_TYPES:
        return None
    item = "item" if depth == 0 else f"item{depth}"
    if node["type"] == "array":
        inner = convert(renderer, node["items"], item, depth + 1)
        return None if inner is None else f"[{inner} for {item} in {value}]"
    if node["type"] == "map":
        inner = convert(renderer, node["values"], item, depth + 1)
        return None if inner is None else f"{{key: {inner} for key, {item} in {value}.items()}}"
    return None
