"""Compatibility verdicts for a table of schema pairs at all seven levels; nothing faked.

Each row gives an old and a new schema and whether the change is backward compatible (the
new schema reads data written with the old one) and forward compatible (the old schema
reads data written with the new one). The verdict at every level follows from those two.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from keybus.schemas import CompatibilityLevel, check_compatibility, parse_avro


def record(fields: list[Any], name: str = "com.example.Item", **extra: Any) -> dict[str, Any]:
    return {"type": "record", "name": name, "fields": fields, **extra}


def field(name: str, type_: Any, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, **extra}


def one(type_: Any, **extra: Any) -> dict[str, Any]:
    """Return a record whose only field `value` has `type_`."""
    return record([field("value", type_, **extra)])


def enum(symbols: list[str], name: str = "Status", **extra: Any) -> dict[str, Any]:
    return {"type": "enum", "name": name, "symbols": symbols, **extra}


def fixed(size: int, name: str = "Hash", **extra: Any) -> dict[str, Any]:
    return {"type": "fixed", "name": name, "size": size, **extra}


def decimal(precision: int, scale: int) -> dict[str, Any]:
    return {"type": "bytes", "logicalType": "decimal", "precision": precision, "scale": scale}


def node(fields: list[Any]) -> dict[str, Any]:
    return record(
        [field("value", "int"), field("next", ["null", "Node"], default=None), *fields],
        name="com.example.Node",
    )


CUSTOMER = record([field("name", "string")], name="Customer")
CUSTOMER_PLUS = record([field("name", "string"), field("age", "int")], name="Customer")
CUSTOMER_PLUS_DEFAULT = record(
    [field("name", "string"), field("age", "int", default=0)], name="Customer"
)


@dataclass(frozen=True)
class Pair:
    """One schema change and its expected verdicts."""

    case_id: str
    old: Any
    new: Any
    backward: bool
    forward: bool


PAIRS: list[Pair] = [
    Pair("identical", one("string"), one("string"), True, True),
    Pair(
        "add-field-with-default",
        one("string"),
        record([field("value", "string"), field("extra", "int", default=1)]),
        True,
        True,
    ),
    Pair(
        "add-field-without-default",
        one("string"),
        record([field("value", "string"), field("extra", "int")]),
        False,
        True,
    ),
    Pair(
        "remove-field-with-default",
        record([field("value", "string"), field("extra", "int", default=1)]),
        one("string"),
        True,
        True,
    ),
    Pair(
        "remove-field-without-default",
        record([field("value", "string"), field("extra", "int")]),
        one("string"),
        True,
        False,
    ),
    Pair(
        "add-nullable-default-null",
        one("string"),
        record([field("value", "string"), field("note", ["null", "string"], default=None)]),
        True,
        True,
    ),
    Pair(
        "add-nullable-without-default",
        one("string"),
        record([field("value", "string"), field("note", ["null", "string"])]),
        False,
        True,
    ),
    Pair("promote-int-long", one("int"), one("long"), True, False),
    Pair("promote-int-float", one("int"), one("float"), True, False),
    Pair("promote-int-double", one("int"), one("double"), True, False),
    Pair("promote-long-float", one("long"), one("float"), True, False),
    Pair("promote-long-double", one("long"), one("double"), True, False),
    Pair("promote-float-double", one("float"), one("double"), True, False),
    Pair("demote-long-int", one("long"), one("int"), False, True),
    Pair("demote-double-float", one("double"), one("float"), False, True),
    Pair("string-to-bytes", one("string"), one("bytes"), True, True),
    Pair("bytes-to-string", one("bytes"), one("string"), True, True),
    Pair("string-to-int", one("string"), one("int"), False, False),
    Pair("boolean-to-int", one("boolean"), one("int"), False, False),
    Pair("null-to-string", one("null"), one("string"), False, False),
    Pair("int-to-string", one("int"), one("string"), False, False),
    Pair("field-to-optional", one("string"), one(["null", "string"], default=None), True, False),
    Pair("optional-to-field", one(["null", "string"], default=None), one("string"), False, True),
    Pair(
        "field-to-union-with-promotion",
        one("int"),
        one(["null", "long"], default=None),
        True,
        False,
    ),
    Pair("field-to-union-no-null", one("int"), one(["int", "string"]), True, False),
    Pair("union-widen", one(["null", "string"]), one(["null", "string", "int"]), True, False),
    Pair("union-narrow", one(["null", "string", "int"]), one(["null", "string"]), False, True),
    Pair("union-reorder", one(["null", "string"]), one(["string", "null"]), True, True),
    Pair("union-branch-promoted", one(["null", "int"]), one(["null", "long"]), True, False),
    Pair("enum-add-symbol", one(enum(["A", "B"])), one(enum(["A", "B", "C"])), True, False),
    Pair("enum-remove-symbol", one(enum(["A", "B", "C"])), one(enum(["A", "B"])), False, True),
    Pair("enum-reorder", one(enum(["A", "B"])), one(enum(["B", "A"])), True, True),
    Pair(
        "enum-add-symbol-new-default",
        one(enum(["A", "B"])),
        one(enum(["A", "B", "C"], default="A")),
        True,
        False,
    ),
    Pair(
        "enum-remove-symbol-new-default",
        one(enum(["A", "B", "C"])),
        one(enum(["A", "B"], default="A")),
        True,
        True,
    ),
    Pair(
        "enum-add-symbol-both-default",
        one(enum(["A", "B"], default="A")),
        one(enum(["A", "B", "C"], default="A")),
        True,
        True,
    ),
    Pair("enum-rename", one(enum(["A"])), one(enum(["A"], name="State")), False, False),
    Pair(
        "enum-rename-with-alias",
        one(enum(["A"])),
        one(enum(["A"], name="State", aliases=["Status"])),
        True,
        False,
    ),
    Pair("enum-to-string", one(enum(["A"])), one("string"), False, False),
    Pair("string-to-enum", one("string"), one(enum(["A"])), False, False),
    Pair(
        "record-rename",
        one("int"),
        record([field("value", "int")], name="com.example.Thing"),
        False,
        False,
    ),
    Pair(
        "record-rename-with-alias",
        one("int"),
        record([field("value", "int")], name="com.example.Thing", aliases=["Item"]),
        True,
        False,
    ),
    Pair(
        "record-namespace-change",
        one("int"),
        record([field("value", "int")], name="org.other.Item"),
        True,
        True,
    ),
    Pair(
        "field-rename-with-alias",
        one("int"),
        record([field("amount", "int", aliases=["value"])]),
        True,
        False,
    ),
    Pair("field-rename-without-alias", one("int"), record([field("amount", "int")]), False, False),
    Pair(
        "field-rename-new-default",
        one("int"),
        record([field("amount", "int", default=0)]),
        True,
        False,
    ),
    Pair("nested-add-field", one(CUSTOMER), one(CUSTOMER_PLUS), False, True),
    Pair("nested-add-field-with-default", one(CUSTOMER), one(CUSTOMER_PLUS_DEFAULT), True, True),
    Pair("nested-remove-field", one(CUSTOMER_PLUS), one(CUSTOMER), True, False),
    Pair(
        "nested-in-array",
        one({"type": "array", "items": CUSTOMER}),
        one({"type": "array", "items": CUSTOMER_PLUS}),
        False,
        True,
    ),
    Pair(
        "nested-in-union",
        one(["null", CUSTOMER], default=None),
        one(["null", CUSTOMER_PLUS_DEFAULT], default=None),
        True,
        True,
    ),
    Pair("fixed-resize", one(fixed(16)), one(fixed(32)), False, False),
    Pair("fixed-rename", one(fixed(16)), one(fixed(16, name="Digest")), False, False),
    Pair(
        "fixed-rename-with-alias",
        one(fixed(16)),
        one(fixed(16, name="Digest", aliases=["Hash"])),
        True,
        False,
    ),
    Pair("fixed-to-bytes", one(fixed(16)), one("bytes"), False, False),
    Pair(
        "array-items-promote",
        one({"type": "array", "items": "int"}),
        one({"type": "array", "items": "long"}),
        True,
        False,
    ),
    Pair(
        "map-values-promote",
        one({"type": "map", "values": "int"}),
        one({"type": "map", "values": "long"}),
        True,
        False,
    ),
    Pair(
        "array-to-map",
        one({"type": "array", "items": "int"}),
        one({"type": "map", "values": "int"}),
        False,
        False,
    ),
    Pair("decimal-scale-change", one(decimal(10, 2)), one(decimal(10, 3)), False, False),
    Pair("decimal-precision-change", one(decimal(10, 2)), one(decimal(12, 2)), False, False),
    Pair("decimal-dropped", one(decimal(10, 2)), one("bytes"), True, True),
    Pair("decimal-same", one(decimal(10, 2)), one(decimal(10, 2)), True, True),
    Pair(
        "decimal-fixed-scale-change",
        one(fixed(8, logicalType="decimal", precision=10, scale=2)),
        one(fixed(8, logicalType="decimal", precision=10, scale=4)),
        False,
        False,
    ),
    Pair("invalid-decimal-ignored", one(decimal(2, 5)), one(decimal(3, 5)), True, True),
    Pair("logical-type-added", one("int"), one({"type": "int", "logicalType": "date"}), True, True),
    Pair(
        "timestamp-unit-change",
        one({"type": "long", "logicalType": "timestamp-millis"}),
        one({"type": "long", "logicalType": "timestamp-micros"}),
        True,
        True,
    ),
    Pair("recursive-identical", node([]), node([]), True, True),
    Pair(
        "recursive-add-field-with-default",
        node([]),
        node([field("label", "string", default="")]),
        True,
        True,
    ),
    Pair(
        "recursive-add-field-without-default",
        node([]),
        node([field("label", "string")]),
        False,
        True,
    ),
    Pair("top-level-string-to-bytes", "string", "bytes", True, True),
    Pair("top-level-int-to-long", "int", "long", True, False),
    Pair("top-level-single-union-unwrapped", [one("int")], one("int"), True, True),
    Pair("top-level-record-to-union", one("int"), ["null", one("int")], True, False),
    Pair("doc-change", one("int", doc="old"), one("int", doc="new"), True, True),
    Pair("custom-property-change", one("int", owner="a"), one("int", owner="b"), True, True),
    Pair("default-change", one("int", default=1), one("int", default=2), True, True),
    Pair("field-order-attribute", one("int"), one("int", order="descending"), True, True),
    Pair(
        "field-reorder",
        record([field("a", "int"), field("b", "string")]),
        record([field("b", "string"), field("a", "int")]),
        True,
        True,
    ),
    Pair(
        "empty-record-gains-default-field",
        record([]),
        record([field("a", "int", default=0)]),
        True,
        True,
    ),
]

LEVELS = list(CompatibilityLevel)


def expected_verdict(pair: Pair, level: CompatibilityLevel) -> bool:
    if level is CompatibilityLevel.NONE:
        return True
    if level.startswith("BACKWARD"):
        return pair.backward
    if level.startswith("FORWARD"):
        return pair.forward
    return pair.backward and pair.forward


CASES = [(pair, level) for pair in PAIRS for level in LEVELS]


def test_table_covers_enough_pairs() -> None:
    assert len(PAIRS) >= 60
    assert len({pair.case_id for pair in PAIRS}) == len(PAIRS)


@pytest.mark.parametrize(
    ("pair", "level"), CASES, ids=[f"{pair.case_id}-{level}" for pair, level in CASES]
)
def test_pair_verdict(pair: Pair, level: CompatibilityLevel) -> None:
    old = parse_avro(json.dumps(pair.old))
    new = parse_avro(json.dumps(pair.new))

    messages = check_compatibility(new, [old], level)

    assert (messages == []) is expected_verdict(pair, level), messages
