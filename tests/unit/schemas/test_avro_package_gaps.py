"""Where the `avro` Python package (1.12.2) is wrong, keybus is right: one test per gap.

Real: the `avro` package's parser and `ReaderWriterCompatibilityChecker`, and keybus's.
Each test first asserts the package's result, then keybus's. A test that fails on the first
assert means a newer package fixed the gap; keybus's answer must still hold.
"""

from __future__ import annotations

import json
from typing import Any

import avro.schema
import pytest
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

from keybus.schemas import InvalidSchemaError, ParsedAvro, check_reader_writer, parse_avro


def package_compatible(reader: dict[str, Any], writer: dict[str, Any]) -> bool:
    result = ReaderWriterCompatibilityChecker().get_compatibility(
        avro.schema.parse(json.dumps(reader)), avro.schema.parse(json.dumps(writer))
    )
    return result.compatibility is SchemaCompatibilityType.compatible


def keybus_problems(reader: dict[str, Any], writer: dict[str, Any]) -> list[str]:
    found = check_reader_writer(parse_avro(json.dumps(reader)), parse_avro(json.dumps(writer)))
    return [str(problem) for problem in found]


def test_empty_namespace_kept_as_null_namespace() -> None:
    row = {"type": "record", "name": "Row", "namespace": "", "fields": []}
    schema = {
        "type": "record",
        "name": "Envelope",
        "namespace": "com.example",
        "fields": [{"name": "a", "type": row}, {"name": "b", "type": "Row"}],
    }

    package_row = avro.schema.parse(json.dumps(schema)).fields[0].type
    parsed = parse_avro(json.dumps(schema)).parsed

    assert package_row.fullname == "com.example.Row"
    assert isinstance(parsed, ParsedAvro)
    assert parsed.root.fields[0].type.fullname == "Row"  # type: ignore[union-attr]


def test_union_default_must_match_first_branch() -> None:
    schema = {
        "type": "record",
        "name": "Ref",
        "fields": [{"name": "ref", "type": ["string", "long"], "default": 10}],
    }

    package_schema = avro.schema.parse(json.dumps(schema))

    assert package_schema.fields[0].default == 10
    with pytest.raises(InvalidSchemaError, match="first branch"):
        parse_avro(json.dumps(schema))


def test_unqualified_reader_alias_matches_writer_name() -> None:
    writer = {"type": "record", "name": "Old", "namespace": "com.x", "fields": []}
    reader = {
        "type": "record",
        "name": "New",
        "namespace": "com.x",
        "aliases": ["Old"],
        "fields": [],
    }

    assert package_compatible(reader, writer) is False
    assert keybus_problems(reader, writer) == []


def test_decimal_scale_change_incompatible() -> None:
    def price(scale: int) -> dict[str, Any]:
        decimal = {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": scale}
        return {"type": "record", "name": "P", "fields": [{"name": "price", "type": decimal}]}

    assert package_compatible(price(3), price(2)) is True
    assert len(keybus_problems(price(3), price(2))) == 1


def test_missing_enum_field_reported_as_missing_default() -> None:
    status = {"type": "enum", "name": "E", "symbols": ["A"], "default": "A"}
    writer = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]}
    reader = {
        "type": "record",
        "name": "R",
        "fields": [{"name": "a", "type": "int"}, {"name": "status", "type": status}],
    }

    result = ReaderWriterCompatibilityChecker().get_compatibility(
        avro.schema.parse(json.dumps(reader)), avro.schema.parse(json.dumps(writer))
    )
    problems = keybus_problems(reader, writer)

    assert result.messages == {"reader type: enum not compatible with writer type: record"}
    assert len(problems) == 1
    assert "R.status" in problems[0]
    assert "reader_field_missing_default_value" in problems[0]


def test_writer_union_problem_keeps_field_path() -> None:
    reader = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]}
    writer = {"type": "record", "name": "R", "fields": [{"name": "a", "type": ["int", "string"]}]}

    result = ReaderWriterCompatibilityChecker().get_compatibility(
        avro.schema.parse(json.dumps(reader)), avro.schema.parse(json.dumps(writer))
    )
    problems = keybus_problems(reader, writer)

    assert result.locations == {"/"}
    assert len(problems) == 1
    assert "at R.a:" in problems[0]
    assert "writer type: string" in problems[0]
