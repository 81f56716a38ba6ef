"""Generate a specialised Avro decoder for one schema as Python source.

The generated code returns the values fastavro 1.x returns from `schemaless_reader` with
`return_record_name=True` and `return_record_name_override=True`: records as dicts,
logical types converted, and a record inside a union with two or more record branches as
a `(full name, dict)` tuple. With bindings, records become model instances and enum
symbols enum members instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from datetime import time as time_of_day
from decimal import Decimal
from typing import Any, Protocol
from uuid import UUID

from keybus.serde import runtime
from keybus.serde.schema import ParsedSchema
from keybus.serde.source import Source, logical_kind, resolve

__all__ = ["DecodeBindings", "RecordBinding", "decoder_source"]

# Type names fastavro never reads as a reference to a named type.
_AVRO_TYPES = frozenset(
    {
        "boolean",
        "bytes",
        "double",
        "float",
        "int",
        "long",
        "null",
        "string",
        "fixed",
        "enum",
        "record",
        "error",
        "array",
        "map",
        "union",
        "request",
        "error_union",
    }
)

_GLOBALS: dict[str, Any] = {
    "_tail": runtime.read_varint_tail,
    "_truncated": runtime.truncated,
    "_unpack_f": runtime.UNPACK_FLOAT,
    "_unpack_d": runtime.UNPACK_DOUBLE,
    "_UTC_EPOCH": runtime.EPOCH,
    "_NAIVE_EPOCH": runtime.EPOCH_NAIVE,
    "_DAYS_SHIFT": runtime.DAYS_SHIFT,
    "_ONE_MS": runtime.ONE_MILLISECOND,
    "_ONE_US": runtime.ONE_MICROSECOND,
    "_from_ordinal": date.fromordinal,
    "_time": time_of_day,
    "_UUID": UUID,
    "_from_bytes": int.from_bytes,
    "_Decimal": Decimal,
    "_new": object.__new__,
}


@dataclass(frozen=True)
class RecordBinding:
    """How to build one record type's values: a constructor taking attribute values.

    Attributes:
        build: called with a dict of attribute name to value; returns the record.
        attributes: Avro field name to attribute name, for fields that differ.
        pydantic_model: a pydantic model class that `build` fills without validation,
            as `AvroRecord.from_trusted` does. The decoder then sets the instance's
            `__dict__` and fields-set itself, which saves a call per record.
    """

    build: Callable[[dict[str, Any]], Any]
    attributes: Mapping[str, str] = field(default_factory=dict)
    pydantic_model: type | None = None


class DecodeBindings(Protocol):
    """The model classes a decoder builds instead of dicts and strings."""

    def record(self, avro_name: str) -> RecordBinding | None:
        """Return the binding of a record type, or None to decode it as a dict."""

    def enum(self, avro_name: str, symbols: list[str]) -> tuple[Any, ...] | None:
        """Return the members of an enum type by symbol index, or None for strings."""


def decoder_source(
    schema: ParsedSchema, bindings: DecodeBindings | None = None
) -> tuple[str, dict[str, Any]]:
    """Return the source of `decode(data)` for `schema` and the globals it needs."""
    writer = _DecoderWriter(schema, bindings)
    writer.write_top()
    return writer.source.text(), {**_GLOBALS, **writer.source.constants}


class _DecoderWriter:
    def __init__(self, schema: ParsedSchema, bindings: DecodeBindings | None) -> None:
        self.schema = schema
        self.named = schema.named_types
        self.bindings = bindings
        self.source = Source()
        self.records: dict[str, str] = {}
        self.pending: list[tuple[str, Mapping[str, Any]]] = []

    def write_top(self) -> None:
        add = self.source.add
        add(0, "def decode(data, pos=0):")
        add(1, "buf = data if type(data) is bytes else bytes(data)")
        add(1, "end = len(buf)")
        self.value(self.schema.parsed, "value", 1)
        add(1, "return value")
        while self.pending:
            name, record = self.pending.pop()
            self.record_function(name, record)

    def record_function(self, function: str, record: Mapping[str, Any]) -> None:
        add = self.source.add
        add(0, "")
        add(0, f"def {function}(buf, pos, end):")
        entries = []
        names = []
        binding = (
            self.bindings.record(self.schema.avro_name(record["name"])) if self.bindings else None
        )
        for field_node in record["fields"]:
            var = self.source.local("f")
            self.value(field_node["type"], var, 1)
            name = field_node["name"]
            if binding is not None:
                name = binding.attributes.get(name, name)
            names.append(name)
            entries.append(f"{name!r}: {var}")
        values = "{" + ", ".join(entries) + "}"
        if binding is None:
            add(1, f"return {values}, pos")
        elif binding.pydantic_model is None:
            build = self.source.constant(binding.build, "_build")
            add(1, f"return {build}({values}), pos")
        else:
            self.construct(binding.pydantic_model, values, frozenset(names))

    def construct(self, model: type, values: str, names: frozenset[str]) -> None:
        """Build a pydantic model without validation: the same attributes `from_trusted` sets.

        The slots are set through their descriptors, which skips the attribute look-up by
        name that `object.__setattr__` makes for each of them.
        """
        add = self.source.add
        constant = self.source.constant
        setters = [constant(_slot_setter(model, slot), "_set") for slot in _PYDANTIC_SLOTS]
        add(1, f"m = _new({constant(model, '_model')})")
        add(1, f"{setters[0]}(m, {values})")
        add(1, f"{setters[1]}(m, set({constant(names, '_fields')}))")
        add(1, f"{setters[2]}(m, None)")
        add(1, f"{setters[3]}(m, None)")
        add(1, "return m, pos")

    def record_call(self, record: Mapping[str, Any]) -> str:
        function = self.records.get(record["name"])
        if function is None:
            function = self.records[record["name"]] = self.source.local("_record")
            self.pending.append((function, record))
        return function

    def long(self, target: str, indent: int) -> None:
        """Write the statements that read one zigzag varint into `target`."""
        add = self.source.add
        add(indent, f"{target} = buf[pos]")
        add(indent, "pos += 1")
        add(indent, f"if {target} >= 128:")
        add(indent + 1, f"{target}, pos = _tail(buf, pos, {target})")
        add(indent, f"{target} = ({target} >> 1) ^ -({target} & 1)")

    def span(self, target: str, indent: int) -> None:
        """Read a length-prefixed byte string into `target` as bytes."""
        size = self.source.local("n")
        self.long(size, indent)
        self.slice(target, size, indent)

    def slice(self, target: str, size: str, indent: int) -> None:
        add = self.source.add
        add(indent, f"if {size} < 0 or pos + {size} > end:")
        add(indent + 1, f"_truncated(pos + {size}, end)")
        add(indent, f"{target} = buf[pos:pos + {size}]")
        add(indent, f"pos += {size}")

    def value(self, node: Any, target: str, indent: int) -> None:
        """Write the statements that read one value of `node` into `target`."""
        node = resolve(node, self.named)
        if isinstance(node, list):
            self.union(node, target, indent)
        elif isinstance(node, str):
            self.primitive(node, target, indent)
        elif logical_kind(node) is not None:
            self.logical(logical_kind(node) or "", node, target, indent)
        elif node["type"] in ("record", "error"):
            self.source.add(indent, f"{target}, pos = {self.record_call(node)}(buf, pos, end)")
        elif node["type"] == "enum":
            self.enum(node, target, indent)
        elif node["type"] == "fixed":
            self.slice(target, str(int(node["size"])), indent)
        elif node["type"] == "array":
            self.array(node, target, indent)
        elif node["type"] == "map":
            self.map(node, target, indent)
        else:
            self.value(node["type"], target, indent)

    def primitive(self, kind: str, target: str, indent: int) -> None:
        add = self.source.add
        if kind == "null":
            add(indent, f"{target} = None")
        elif kind == "boolean":
            add(indent, f"{target} = buf[pos] != 0")
            add(indent, "pos += 1")
        elif kind in ("int", "long"):
            self.long(target, indent)
        elif kind in ("float", "double"):
            size = 4 if kind == "float" else 8
            unpack = "_unpack_f" if kind == "float" else "_unpack_d"
            add(indent, f"{target} = {unpack}(buf, pos)[0]")
            add(indent, f"pos += {size}")
        elif kind == "string":
            self.span(target, indent)
            add(indent, f"{target} = {target}.decode()")
        else:
            self.span(target, indent)

    def enum(self, node: Mapping[str, Any], target: str, indent: int) -> None:
        members = None
        if self.bindings is not None:
            members = self.bindings.enum(self.schema.avro_name(node["name"]), node["symbols"])
        symbols = self.source.constant(tuple(members or node["symbols"]), "_symbols")
        self.long(target, indent)
        self.source.add(indent, f"if {target} < 0:")
        self.source.add(indent + 1, f"raise IndexError('enum index ' + str({target}))")
        self.source.add(indent, f"{target} = {symbols}[{target}]")

    def blocks(self, indent: int) -> tuple[str, int]:
        """Open the loop over the blocks of an array or map; return the count variable."""
        count = self.source.local("count")
        add = self.source.add
        add(indent, "while True:")
        self.long(count, indent + 1)
        add(indent + 1, f"if {count} == 0:")
        add(indent + 2, "break")
        add(indent + 1, f"if {count} < 0:")
        add(indent + 2, f"{count} = -{count}")
        self.long(self.source.local("block_size"), indent + 2)
        return count, indent + 1

    def array(self, node: Mapping[str, Any], target: str, indent: int) -> None:
        item = self.source.local("item")
        self.source.add(indent, f"{target} = []")
        count, inner = self.blocks(indent)
        self.source.add(inner, f"for _ in range({count}):")
        self.value(node["items"], item, inner + 1)
        self.source.add(inner + 1, f"{target}.append({item})")

    def map(self, node: Mapping[str, Any], target: str, indent: int) -> None:
        key, item = self.source.local("key"), self.source.local("item")
        self.source.add(indent, f"{target} = {{}}")
        count, inner = self.blocks(indent)
        self.source.add(inner, f"for _ in range({count}):")
        self.primitive("string", key, inner + 1)
        self.value(node["values"], item, inner + 1)
        self.source.add(inner + 1, f"{target}[{key}] = {item}")

    def union(self, branches: list[Any], target: str, indent: int) -> None:
        index = self.source.local("u")
        add = self.source.add
        self.long(index, indent)
        labels = _union_labels(branches, self)
        for position, branch in enumerate(branches):
            add(indent, f"{'if' if position == 0 else 'elif'} {index} == {position}:")
            self.value(branch, target, indent + 1)
            if labels[position] is not None:
                add(indent + 1, f"{target} = ({labels[position]!r}, {target})")
        add(indent, "else:")
        add(indent + 1, f"raise IndexError('union branch ' + str({index}))")

    def logical(self, kind: str, node: Mapping[str, Any], target: str, indent: int) -> None:
        add = self.source.add
        if kind in ("bytes-decimal", "fixed-decimal"):
            if kind == "bytes-decimal":
                self.span(target, indent)
            else:
                self.slice(target, str(int(node["size"])), indent)
            context = self.source.constant(runtime.decimal_context(node["precision"]), "_context")
            scale = int(node.get("scale", 0))
            add(
                indent,
                f"{target} = _Decimal(_from_bytes({target}, 'big', signed=True))"
                f".scaleb({-scale}, {context})",
            )
            return
        if kind == "string-uuid":
            self.primitive("string", target, indent)
            add(indent, f"{target} = _UUID({target})")
            return
        self.long(target, indent)
        add(indent, f"{target} = " + _LOGICAL_READS[kind].format(v=target))


# Multiplying a one-unit timedelta gives the same value as timedelta(microseconds=...) and
# the same OverflowError out of range, in about half the time of the call with a keyword
# (Python 3.11).
_LOGICAL_READS = {
    "long-timestamp-millis": "_UTC_EPOCH + _ONE_MS * {v}",
    "long-local-timestamp-millis": "_NAIVE_EPOCH + _ONE_MS * {v}",
    "long-timestamp-micros": "_UTC_EPOCH + _ONE_US * {v}",
    "long-local-timestamp-micros": "_NAIVE_EPOCH + _ONE_US * {v}",
    "int-date": "_from_ordinal({v} + _DAYS_SHIFT)",
    "int-time-millis": (
        "_time(int({v} / 3600000), int({v} / 60000) % 60, int({v} / 1000) % 60,"
        " int({v} % 1000) * 1000)"
    ),
    "long-time-micros": (
        "_time(int({v} / 3600000000), int({v} / 60000000) % 60, int({v} / 1000000) % 60,"
        " {v} % 1000000)"
    ),
}


_PYDANTIC_SLOTS = (
    "__dict__",
    "__pydantic_fields_set__",
    "__pydantic_extra__",
    "__pydantic_private__",
)


def _slot_setter(model: type, slot: str) -> Callable[[Any, Any], None]:
    """Return the function that sets `slot` on instances of `model` without its __setattr__."""
    for cls in model.__mro__:
        descriptor = cls.__dict__.get(slot)
        if descriptor is not None and hasattr(descriptor, "__set__"):
            setter: Callable[[Any, Any], None] = descriptor.__set__
            return setter

    def set_slot(instance: Any, value: Any) -> None:
        object.__setattr__(instance, slot, value)

    return set_slot


def _union_labels(branches: list[Any], writer: _DecoderWriter) -> list[str | None]:
    """Return the name fastavro pairs with each branch's value, or None for a plain value.

    fastavro counts every reference to a named type as a record branch, and returns
    plain values when the union has exactly one record branch by that count.
    """
    labels: list[str | None] = []
    for branch in branches:
        kind = branch["type"] if isinstance(branch, dict) else branch
        if isinstance(branch, dict) and kind == "record":
            labels.append(writer.schema.avro_name(branch["name"]))
        elif isinstance(kind, str) and kind not in _AVRO_TYPES:
            labels.append(writer.schema.avro_name(writer.named[kind]["name"]))
        else:
            labels.append(None)
    if sum(label is not None for label in labels) == 1:
        return [None] * len(branches)
    if writer.bindings is not None:
        return [
            None if _binds_record(branch, writer) else label
            for branch, label in zip(branches, labels, strict=True)
        ]
    return labels


def _binds_record(branch: Any, writer: _DecoderWriter) -> bool:
    """Tell whether a bound branch already decodes to a model, which names its own type."""
    node = resolve(branch, writer.named)
    if not isinstance(node, dict) or node.get("type") not in ("record", "error"):
        return False
    assert writer.bindings is not None
    return writer.bindings.record(writer.schema.avro_name(node["name"])) is not None
