"""Generate a specialised Avro encoder for one schema as Python source.

The generated code writes the same bytes as fastavro 1.x for every value that fastavro
accepts. It raises `ValueRejectedError` for a value that does not fit the schema: a wrong
type, an int out of range, an unknown enum symbol, a string with a lone surrogate (which
UTF-8 cannot encode), or a decimal whose scale does not fit. fastavro writes wrong bytes
for some of these.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from datetime import time as time_of_day
from decimal import Decimal
from typing import Any
from uuid import UUID

from keybus.serde import runtime
from keybus.serde.defaults import PRIMITIVE_TYPES
from keybus.serde.schema import ParsedSchema
from keybus.serde.source import Source, logical_kind, resolve

__all__ = ["FieldAttribute", "encoder_source"]

FieldAttribute = Callable[[str, str], str]
"""Map (record fastavro name, Avro field name) to the attribute that contains the field."""

_INT = (-(2**31), 2**31 - 1)
_LONG = (-(2**63), 2**63 - 1)

_GLOBALS: dict[str, Any] = {
    "_Mapping": Mapping,
    "_Decimal": Decimal,
    "_UUID": UUID,
    "_datetime": datetime,
    "_date": date,
    "_time": time_of_day,
    "_UTC_EPOCH": runtime.EPOCH,
    "_ONE_MS": runtime.ONE_MILLISECOND,
    "_ONE_US": runtime.ONE_MICROSECOND,
    "_DAYS_SHIFT": runtime.DAYS_SHIFT,
    "_UTC": UTC,
    "_varint": runtime.varint,
    "_reject": runtime.reject,
    "_by_error": runtime.rejected_by_error,
    "_field_error": runtime.rejected_field_by_error,
    "_Rejected": runtime.ValueRejectedError,
    "_pack_f": runtime.PACK_FLOAT,
    "_pack_d": runtime.PACK_DOUBLE,
    "_naive": runtime.naive_timestamp,
    "_dec_bytes": runtime.decimal_to_bytes,
    "_dec_fixed": runtime.decimal_to_fixed,
    "_is_real": runtime.is_real,
    "_is_integral": runtime.is_integral,
    "_choose": runtime.choose_mapping_branch,
}
_ERRORS = "(TypeError, ValueError, KeyError, AttributeError, OverflowError)"


def encoder_source(
    schema: ParsedSchema, field_attribute: FieldAttribute | None = None
) -> tuple[str, dict[str, Any]]:
    """Return the source of `encode(datum, out)` for `schema` and the globals it needs.

    `encode` appends the Avro binary of `datum` to the bytearray `out`. Records are read
    as mappings, or, with `field_attribute`, as objects whose attributes hold the fields
    (generated models), with union branches of records chosen by `__avro_name__`.
    """
    writer = _EncoderWriter(schema, field_attribute)
    writer.write_top()
    return writer.source.text(), {**_GLOBALS, **writer.source.constants}


class _EncoderWriter:
    def __init__(self, schema: ParsedSchema, field_attribute: FieldAttribute | None) -> None:
        self.schema = schema
        self.named = schema.named_types
        self.field_attribute = field_attribute
        self.source = Source()
        self.records: dict[str, str] = {}
        self.pending: list[tuple[str, Mapping[str, Any]]] = []

    def write_top(self) -> None:
        self.source.add(0, "def encode(datum, out):")
        self.source.add(1, "append = out.append")
        self.source.add(1, "try:")
        self.value(self.schema.parsed, "datum", 2)
        expected = self.describe(self.schema.parsed)
        self.source.add(1, f"except {_ERRORS} as error:")
        self.source.add(2, f"raise _by_error(datum, {expected!r}, error) from error")
        while self.pending:
            name, record = self.pending.pop()
            self.record_function(name, record)

    def record_function(self, function: str, record: Mapping[str, Any]) -> None:
        source = self.source
        source.add(0, "")
        source.add(0, f"def {function}(d, out):")
        source.add(1, "append = out.append")
        if self.field_attribute is None:
            # A dict passes without the slower abstract-class check.
            source.add(1, "if type(d) is not dict and not isinstance(d, _Mapping):")
            expected = f"record {self.schema.avro_name(record['name'])} (a mapping)"
            source.add(2, f"_reject(d, {expected!r})")
        source.add(1, "f = None")
        source.add(1, "try:")
        for field in record["fields"]:
            source.add(2, f"f = {field['name']!r}")
            value = source.local("v")
            source.add(2, f"{value} = {self.field_access(record, field)}")
            self.value(field["type"], value, 2)
        if not record["fields"]:
            source.add(2, "pass")
        source.add(1, "except _Rejected as rejected:")
        source.add(2, "rejected.at_field(f)")
        source.add(2, "raise")
        # Read on the error path only: each field's attribute and its type for the message.
        fields = source.constant(
            {
                field["name"]: (self.attribute(record, field["name"]), self.describe(field["type"]))
                for field in record["fields"]
            },
            "_fields",
        )
        source.add(1, f"except {_ERRORS} as error:")
        source.add(2, f"rejected = _field_error(d, f, {fields}, error)")
        source.add(2, "rejected.at_field(f)")
        source.add(2, "raise rejected from error")

    def attribute(self, record: Mapping[str, Any], name: str) -> str | None:
        """Return the attribute that contains field `name` of a model, or None for mappings."""
        if self.field_attribute is None:
            return None
        return self.field_attribute(record["name"], name)

    def field_access(self, record: Mapping[str, Any], field: Mapping[str, Any]) -> str:
        name = field["name"]
        attribute = self.attribute(record, name)
        if attribute is not None:
            return f"d.{attribute}"
        if "default" in field:
            datum = _default_datum(field["default"], field["type"], self.named)
            return f"d.get({name!r}, {self.source.constant(datum)})"
        if _nullable(field["type"]):
            return f"d.get({name!r})"
        return f"d[{name!r}]"

    def record_call(self, record: Mapping[str, Any]) -> str:
        function = self.records.get(record["name"])
        if function is None:
            function = self.records[record["name"]] = self.source.local("_record")
            self.pending.append((function, record))
        return function

    def value(self, node: Any, var: str, indent: int) -> None:
        """Write the statements that encode the value in `var` as `node`."""
        node = resolve(node, self.named)
        if isinstance(node, list):
            self.union(node, var, indent)
            return
        if isinstance(node, str):
            self.primitive(node, var, indent)
            return
        kind = node["type"]
        logical = logical_kind(node)
        if logical is not None:
            self.logical(logical, node, var, indent)
        elif kind in ("record", "error"):
            self.source.add(indent, f"{self.record_call(node)}({var}, out)")
        elif kind == "enum":
            self.enum(node, var, indent)
        elif kind == "fixed":
            self.fixed(node, var, indent)
        elif kind == "array":
            self.array(node, var, indent)
        elif kind == "map":
            self.map(node, var, indent)
        else:
            self.value(kind, var, indent)

    def primitive(self, kind: str, var: str, indent: int) -> None:
        add = self.source.add
        if kind == "null":
            add(indent, f"if {var} is not None:")
            add(indent + 1, f"_reject({var}, 'null')")
        elif kind == "boolean":
            add(indent, f"if {var} is True:")
            add(indent + 1, "append(1)")
            add(indent, f"elif {var} is False:")
            add(indent + 1, "append(0)")
            add(indent, "else:")
            add(indent + 1, f"_reject({var}, 'boolean')")
        elif kind in ("int", "long"):
            self.integer(kind, var, indent)
        elif kind in ("float", "double"):
            pack = "_pack_f" if kind == "float" else "_pack_d"
            add(indent, f"if type({var}) is not float and not _is_real({var}):")
            add(indent + 1, f"_reject({var}, {kind!r})")
            add(indent, f"out += {pack}({var})")
        elif kind == "string":
            add(indent, f"if not isinstance({var}, str):")
            add(indent + 1, f"_reject({var}, 'string')")
            self.length_prefixed(f"{var}.encode()", indent)
        else:
            add(indent, f"if not isinstance({var}, (bytes, bytearray)):")
            add(indent + 1, f"_reject({var}, 'bytes')")
            self.length_prefixed(var, indent)

    def integer(self, kind: str, var: str, indent: int) -> None:
        low, high = _INT if kind == "int" else _LONG
        shift = 31 if kind == "int" else 63
        add = self.source.add
        add(indent, f"if type({var}) is not int or not {low} <= {var} <= {high}:")
        add(indent + 1, f"if not _is_integral({var}, {low}, {high}):")
        add(indent + 2, f"_reject({var}, '{kind} (from {low} to {high})')")
        add(indent + 1, f"{var} = int({var})")
        self.zigzag(f"({var} << 1) ^ ({var} >> {shift})", indent)

    def zigzag(self, expression: str, indent: int) -> None:
        number = self.source.local("z")
        add = self.source.add
        add(indent, f"{number} = {expression}")
        add(indent, f"if {number} < 128:")
        add(indent + 1, f"append({number})")
        add(indent, "else:")
        add(indent + 1, f"out += _varint({number})")

    def length_prefixed(self, expression: str, indent: int) -> None:
        data = self.source.local("b")
        self.source.add(indent, f"{data} = {expression}")
        self.zigzag(f"len({data}) << 1", indent)
        self.source.add(indent, f"out += {data}")

    def enum(self, node: Mapping[str, Any], var: str, indent: int) -> None:
        symbols = self.source.constant({s: i for i, s in enumerate(node["symbols"])}, "_symbols")
        index = self.source.local("i")
        expected = f"enum {self.schema.avro_name(node['name'])}"
        reason = f"it is not one of the symbols {_listed(node['symbols'])}"
        add = self.source.add
        add(indent, f"{index} = {symbols}.get({var}) if isinstance({var}, str) else None")
        add(indent, f"if {index} is None:")
        add(indent + 1, f"_reject({var}, {expected!r}, {reason!r})")
        self.zigzag(f"{index} << 1", indent)

    def fixed(self, node: Mapping[str, Any], var: str, indent: int) -> None:
        size = int(node["size"])
        add = self.source.add
        add(indent, f"if not isinstance({var}, bytes) or len({var}) != {size}:")
        expected = f"fixed {self.schema.avro_name(node['name'])} (bytes of length {size})"
        add(indent + 1, f"_reject({var}, {expected!r})")
        add(indent, f"out += {var}")

    def array(self, node: Mapping[str, Any], var: str, indent: int) -> None:
        item = self.source.local("item")
        add = self.source.add
        add(indent, f"if not isinstance({var}, (list, tuple)):")
        add(indent + 1, f"_reject({var}, 'array (a list or tuple)')")
        add(indent, f"if {var}:")
        self.zigzag(f"len({var}) << 1", indent + 1)
        add(indent + 1, "try:")
        add(indent + 2, f"for {item} in {var}:")
        self.value(node["items"], item, indent + 3)
        add(indent + 1, "except _Rejected as rejected:")
        add(indent + 2, f"rejected.at_item({var}, {item})")
        add(indent + 2, "raise")
        add(indent + 1, f"except {_ERRORS} as error:")
        expected = self.describe(node["items"])
        add(indent + 2, f"rejected = _by_error({item}, {expected!r}, error)")
        add(indent + 2, f"rejected.at_item({var}, {item})")
        add(indent + 2, "raise rejected from error")
        add(indent, "append(0)")

    def map(self, node: Mapping[str, Any], var: str, indent: int) -> None:
        key, item = self.source.local("key"), self.source.local("item")
        add = self.source.add
        add(indent, f"if not isinstance({var}, _Mapping):")
        add(indent + 1, f"_reject({var}, 'map (a mapping with string keys)')")
        add(indent, f"if {var}:")
        self.zigzag(f"len({var}) << 1", indent + 1)
        add(indent + 1, "try:")
        add(indent + 2, f"for {key}, {item} in {var}.items():")
        add(indent + 3, f"if not isinstance({key}, str):")
        add(indent + 4, f"_reject({key}, 'map key (a string)')")
        self.length_prefixed(f"{key}.encode()", indent + 3)
        self.value(node["values"], item, indent + 3)
        add(indent + 1, "except _Rejected as rejected:")
        add(indent + 2, f"rejected.at_key({key})")
        add(indent + 2, "raise")
        add(indent + 1, f"except {_ERRORS} as error:")
        expected = self.describe(node["values"])
        add(indent + 2, f"rejected = _by_error({item}, {expected!r}, error)")
        add(indent + 2, f"rejected.at_key({key})")
        add(indent + 2, "raise rejected from error")
        add(indent, "append(0)")

    def logical(self, kind: str, node: Mapping[str, Any], var: str, indent: int) -> None:
        add = self.source.add
        if kind in ("long-timestamp-millis", "long-timestamp-micros"):
            unit, per_second = ("_ONE_MS", 1000) if kind.endswith("millis") else ("_ONE_US", 10**6)
            add(indent, f"if isinstance({var}, _datetime):")
            add(indent + 1, f"if {var}.tzinfo is not None:")
            add(indent + 2, f"{var} = ({var} - _UTC_EPOCH) // {unit}")
            add(indent + 1, "else:")
            add(indent + 2, f"{var} = _naive({var}, {per_second})")
            self.primitive("long", var, indent)
        elif kind in ("long-local-timestamp-millis", "long-local-timestamp-micros"):
            unit = "_ONE_MS" if kind.endswith("millis") else "_ONE_US"
            add(indent, f"if isinstance({var}, _datetime):")
            add(indent + 1, f"{var} = ({var}.replace(tzinfo=_UTC) - _UTC_EPOCH) // {unit}")
            self.primitive("long", var, indent)
        elif kind == "int-date":
            add(indent, f"if isinstance({var}, _date):")
            add(indent + 1, f"{var} = {var}.toordinal() - _DAYS_SHIFT")
            add(indent, f"elif isinstance({var}, str):")
            add(indent + 1, f"{var} = _date.fromisoformat({var}).toordinal() - _DAYS_SHIFT")
            self.primitive("int", var, indent)
        elif kind in ("int-time-millis", "long-time-micros"):
            self.time_of_day(kind, var, indent)
        elif kind == "string-uuid":
            add(indent, f"if isinstance({var}, _UUID):")
            add(indent + 1, f"{var} = str({var})")
            self.primitive("string", var, indent)
        else:
            self.decimal(kind, node, var, indent)

    def time_of_day(self, kind: str, var: str, indent: int) -> None:
        add = self.source.add
        add(indent, f"if isinstance({var}, _time):")
        if kind == "int-time-millis":
            add(
                indent + 1,
                f"{var} = (({var}.hour * 60 + {var}.minute) * 60 + {var}.second) * 1000"
                f" + int({var}.microsecond / 1000)",
            )
            self.primitive("int", var, indent)
        else:
            add(
                indent + 1,
                f"{var} = (({var}.hour * 60 + {var}.minute) * 60 + {var}.second) * 1000000"
                f" + {var}.microsecond",
            )
            self.primitive("long", var, indent)

    def decimal(self, kind: str, node: Mapping[str, Any], var: str, indent: int) -> None:
        # int() keeps schema attributes from reaching the generated source as anything else.
        precision, scale = int(node.get("precision", 0)), int(node.get("scale", 0))
        expected = self.describe(node)
        size = int(node.get("size", 0))
        slow = (
            f"_dec_bytes({var}, {precision}, {scale}, {expected!r})"
            if kind == "bytes-decimal"
            else f"_dec_fixed({var}, {precision}, {scale}, {size}, {expected!r})"
        )
        ratio, unscaled, remainder = (self.source.local(p) for p in ("ratio", "q", "r"))
        add = self.source.add
        # The common case inline; the slow path raises the rejection that names the rule.
        add(
            indent,
            f"if type({var}) is _Decimal and {var}.is_finite()"
            f" and (not {var} or {var}.adjusted() < {precision - scale}):",
        )
        add(indent + 1, f"{ratio} = {var}.as_integer_ratio()")
        add(indent + 1, f"{unscaled}, {remainder} = divmod({ratio}[0] * {10**scale}, {ratio}[1])")
        add(indent + 1, f"if {remainder}:")
        add(indent + 2, slow)
        if kind == "bytes-decimal":
            length = f"(abs({unscaled}).bit_length() + 8) // 8"
            add(indent + 1, f"{var} = {unscaled}.to_bytes({length}, 'big', signed=True)")
        else:
            add(indent + 1, f"{var} = {slow}")
        add(indent, f"elif isinstance({var}, _Decimal):")
        add(indent + 1, f"{var} = {slow}")
        if kind == "bytes-decimal":
            self.primitive("bytes", var, indent)
        else:
            self.fixed(node, var, indent)

    def union(self, branches: list[Any], var: str, indent: int) -> None:
        dispatch = _UnionDispatch(self, branches, var)
        dispatch.write(indent)

    def describe(self, node: Any, depth: int = 0) -> str:
        """Return the Avro type of `node` as error messages show it, such as `array of int`."""
        if isinstance(node, str) and node not in PRIMITIVE_TYPES:
            node = self.named[node]
        if isinstance(node, list):
            return "union of " + " | ".join(self.describe(branch, depth + 1) for branch in node)
        if isinstance(node, str):
            return node
        kind = node["type"]
        if not isinstance(kind, str) or kind not in PRIMITIVE_TYPES | _COMPLEX:
            return self.describe(kind, depth)
        if "logicalType" in node and logical_kind(node) is not None:
            if node["logicalType"] == "decimal":
                return f"decimal({int(node.get('precision', 0))}, {int(node.get('scale', 0))})"
            return f"{node['logicalType']} ({kind})"
        if kind in ("record", "error", "enum", "fixed"):
            return f"{kind} {self.schema.avro_name(node['name'])}"
        if depth > 2:
            return kind
        inner = node["items"] if kind == "array" else node.get("values")
        if inner is None:
            return kind
        return f"{kind} of {self.describe(inner, depth + 1)}"


class _UnionDispatch:
    """Choose a union branch for a value as fastavro 1.x does: the first branch it fits.

    A `(name, value)` tuple names its branch. Python types tell most branches apart
    directly. Only a mapping that two or more record or map branches accept goes through
    fastavro's own validation, which also ranks records by shared field names.
    """

    def __init__(self, writer: _EncoderWriter, branches: list[Any], var: str) -> None:
        self.writer = writer
        self.branches = branches
        self.var = var
        self.resolved = [resolve(branch, writer.named) for branch in branches]

    def write(self, indent: int) -> None:
        if len(self.branches) == 2 and "null" in self.branches:
            self.write_nullable(indent)
        else:
            self.write_any(indent)

    def write_nullable(self, indent: int) -> None:
        """Write `[null, X]` unions with a fast path: None, or a value X checks itself."""
        source, var = self.writer.source, self.var
        null = self.branches.index("null")
        other = 1 - null
        source.add(indent, f"if {var} is None:")
        source.add(indent + 1, f"append({null << 1})")
        source.add(indent, f"elif type({var}) is not tuple:")
        source.add(indent + 1, f"append({other << 1})")
        self.writer.value(self.branches[other], var, indent + 1)
        source.add(indent, "else:")
        self.write_any(indent + 1)

    def write_any(self, indent: int) -> None:
        source, var = self.writer.source, self.var
        index = source.local("u")
        names = source.constant(self.branch_names(), "_branches")
        source.add(indent, f"if type({var}) is tuple:")
        source.add(indent + 1, f"{index} = {names}.get({var}[0], -1) if len({var}) == 2 else -1")
        source.add(indent + 1, f"if {index} < 0:")
        reason = "a (branch name, value) tuple must name one of its branches"
        source.add(indent + 2, f"_reject({var}, {self.describe()!r}, {reason!r})")
        source.add(indent + 1, f"{var} = {var}[1]")
        self.write_conditions(index, indent)
        source.add(indent, f"if {index} < 0:")
        source.add(indent + 1, f"_reject({var}, {self.describe()!r})")
        for position, branch in enumerate(self.branches):
            keyword = "if" if position == 0 else "elif"
            source.add(indent, f"{keyword} {index} == {position}:")
            source.add(indent + 1, f"append({position << 1})" if position < 64 else "pass")
            if position >= 64:
                source.add(indent + 1, f"out += _varint({position << 1})")
            self.writer.value(branch, var, indent + 1)

    def write_conditions(self, index: str, indent: int) -> None:
        source, var = self.writer.source, self.var
        mapping_branches = [i for i, node in enumerate(self.resolved) if self.takes_mapping(node)]
        ambiguous = len(mapping_branches) > 1 and self.writer.field_attribute is None
        source.add(indent, "else:")
        source.add(indent + 1, f"{index} = -1")
        first = True
        for position, node in enumerate(self.resolved):
            if ambiguous and position in mapping_branches:
                continue
            condition = self.condition(node)
            source.add(indent + 1, f"{'if' if first else 'elif'} {condition}:")
            source.add(indent + 2, f"{index} = {self.float_choice(position)}")
            first = False
        if ambiguous:
            candidates = source.constant([(i, self.branches[i]) for i in mapping_branches])
            named = source.constant(self.writer.named)
            source.add(indent + 1, f"{'if' if first else 'elif'} isinstance({var}, _Mapping):")
            source.add(indent + 2, f"{index} = _choose({var}, {candidates}, {named})")

    def float_choice(self, position: int) -> int:
        """Return the branch fastavro takes: a later double wins over a float."""
        if _kind(self.resolved[position]) != "float":
            return position
        for later in range(position + 1, len(self.resolved)):
            if _kind(self.resolved[later]) == "double":
                return later
        return position

    def takes_mapping(self, node: Any) -> bool:
        return _kind(node) in ("record", "error", "map")

    def branch_names(self) -> dict[str, int]:
        names: dict[str, int] = {}
        for position, (branch, node) in enumerate(zip(self.branches, self.resolved, strict=True)):
            if isinstance(node, dict) and node.get("type") in ("record", "error", "enum", "fixed"):
                names.setdefault(node["name"], position)
                names.setdefault(self.writer.schema.avro_name(node["name"]), position)
            else:
                names.setdefault(branch if isinstance(branch, str) else _kind(node), position)
        return names

    def condition(self, node: Any) -> str:
        var = self.var
        kind = _kind(node)
        logical = logical_kind(node)
        if kind in ("record", "error"):
            if self.writer.field_attribute is not None:
                name = self.writer.schema.avro_name(node["name"])
                return f"getattr(type({var}), '__avro_name__', None) == {name!r}"
            return f"isinstance({var}, _Mapping)"
        if logical is not None:
            return _LOGICAL_CONDITIONS[logical].format(v=var, **_node_values(node))
        if kind == "enum":
            symbols = self.writer.source.constant(frozenset(node["symbols"]), "_symbols")
            return f"isinstance({var}, str) and {var} in {symbols}"
        if kind == "fixed":
            return f"isinstance({var}, bytes) and len({var}) == {int(node['size'])}"
        return _CONDITIONS[kind].format(v=var)

    def describe(self) -> str:
        return self.writer.describe(self.branches)


_CONDITIONS = {
    "null": "{v} is None",
    "boolean": "isinstance({v}, bool)",
    "int": f"_is_integral({{v}}, {_INT[0]}, {_INT[1]})",
    "long": f"_is_integral({{v}}, {_LONG[0]}, {_LONG[1]})",
    "float": "_is_real({v})",
    "double": "_is_real({v})",
    "string": "isinstance({v}, str)",
    "bytes": "isinstance({v}, (bytes, bytearray))",
    "array": "isinstance({v}, list)",
    "map": "isinstance({v}, _Mapping)",
}
_LOGICAL_CONDITIONS = {
    "long-timestamp-millis": "isinstance({v}, _datetime) or " + _CONDITIONS["long"],
    "long-timestamp-micros": "isinstance({v}, _datetime) or " + _CONDITIONS["long"],
    "long-local-timestamp-millis": "isinstance({v}, _datetime) or " + _CONDITIONS["long"],
    "long-local-timestamp-micros": "isinstance({v}, _datetime) or " + _CONDITIONS["long"],
    "int-date": "isinstance({v}, (_date, str)) or " + _CONDITIONS["int"],
    "int-time-millis": "isinstance({v}, _time) or " + _CONDITIONS["int"],
    "long-time-micros": "isinstance({v}, _time) or " + _CONDITIONS["long"],
    "string-uuid": "isinstance({v}, (str, _UUID))",
    "bytes-decimal": "isinstance({v}, (_Decimal, bytes, bytearray))",
    "fixed-decimal": "isinstance({v}, _Decimal) or (isinstance({v}, bytes) and len({v}) == {size})",
}


def _listed(symbols: list[str], limit: int = 8) -> str:
    """Return enum symbols for a message, the first `limit` of them when there are more."""
    text = ", ".join(repr(symbol) for symbol in symbols[:limit])
    return text if len(symbols) <= limit else f"{text} and {len(symbols) - limit} more"


def _node_values(node: Mapping[str, Any]) -> dict[str, Any]:
    return {"size": int(node.get("size", 0))}


def _kind(node: Any) -> str:
    """Return the Avro type of a resolved node, looking through nested `type` keys."""
    while isinstance(node, dict):
        kind = node["type"]
        if isinstance(kind, str) and (kind in PRIMITIVE_TYPES or kind in _COMPLEX):
            return kind
        node = kind
    return "union" if isinstance(node, list) else str(node)


_COMPLEX = frozenset({"record", "error", "enum", "fixed", "array", "map"})


def _nullable(node: Any) -> bool:
    return isinstance(node, list) and "null" in node


def _default_datum(default: Any, node: Any, named: Mapping[str, Any]) -> Any:
    """Turn a JSON default into the value the encoder writes for a missing field."""
    node = resolve(node, named)
    if isinstance(node, list):
        return _default_datum(default, node[0], named) if node else default
    kind = _kind(node)
    if kind in ("bytes", "fixed") and isinstance(default, str):
        return default.encode("latin-1")
    if kind in ("record", "error") and isinstance(default, dict):
        record = node if isinstance(node, dict) and "fields" in node else resolve(node, named)
        return {
            field["name"]: _default_datum(default[field["name"]], field["type"], named)
            for field in record["fields"]
            if field["name"] in default
        }
    if kind == "array" and isinstance(default, list):
        items = node["items"] if isinstance(node, dict) else None
        return [_default_datum(item, items, named) for item in default]
    if kind == "map" and isinstance(default, dict):
        values = node["values"] if isinstance(node, dict) else None
        return {key: _default_datum(item, values, named) for key, item in default.items()}
    return default
