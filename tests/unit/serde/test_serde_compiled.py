"""Compiled codecs against fastavro, which runs for real: same bytes, same decoded values.

The schemas are the third-party corpus beside the repository, the event catalog and a
schema with every logical type; values are seeded random ones with edge values.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from fastavro import schemaless_reader, schemaless_writer

from keybus import catalog
from keybus.events import Event
from keybus.registry import InMemoryRegistry
from keybus.serde import AvroDeserializer, AvroSerializer, InvalidSchemaError, SerializationError
from keybus.serde.compiled import compiled_codec, same_decoding
from keybus.serde.schema import ParsedSchema, parse_schema
from keybus.serde.unions import rename_branches

from .avro_values import NoFiniteValueError, ValueMaker

REPO = Path(__file__).resolve().parents[3]
CORPUS = REPO.parent / "shared" / "data" / "avro-corpus"
VALUES_PER_SCHEMA = 25
FRAME_HEADER = b"\x00\x00\x00\x00\x07"

EVERY_TYPE = {
    "type": "record",
    "name": "EveryType",
    "namespace": "com.example.test",
    "fields": [
        {"name": "flag", "type": "boolean"},
        {"name": "small", "type": "int"},
        {"name": "big", "type": "long"},
        {"name": "ratio", "type": "float"},
        {"name": "precise", "type": "double"},
        {"name": "raw", "type": "bytes"},
        {"name": "text", "type": "string"},
        {"name": "nothing", "type": "null"},
        {"name": "hash", "type": {"type": "fixed", "name": "Hash", "size": 4}},
        {"name": "color", "type": {"type": "enum", "name": "Color", "symbols": ["RED", "BLUE"]}},
        {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "at_ms", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "at_us", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "local_ms", "type": {"type": "long", "logicalType": "local-timestamp-millis"}},
        {"name": "local_us", "type": {"type": "long", "logicalType": "local-timestamp-micros"}},
        {"name": "clock_ms", "type": {"type": "int", "logicalType": "time-millis"}},
        {"name": "clock_us", "type": {"type": "long", "logicalType": "time-micros"}},
        {
            "name": "price",
            "type": {"type": "bytes", "logicalType": "decimal", "precision": 20, "scale": 4},
        },
        {
            "name": "fixed_price",
            "type": {
                "type": "fixed",
                "name": "Amount",
                "size": 6,
                "logicalType": "decimal",
                "precision": 12,
                "scale": 2,
            },
        },
        {"name": "tags", "type": {"type": "map", "values": ["null", "int", "string"]}},
        {"name": "nested", "type": {"type": "array", "items": {"type": "array", "items": "Hash"}}},
        {
            "name": "choice",
            "type": [
                "null",
                {"type": "record", "name": "Left", "fields": [{"name": "n", "type": "int"}]},
                {"type": "record", "name": "Right", "fields": [{"name": "n", "type": "long"}]},
                "Color",
                "double",
            ],
        },
        {
            "name": "next",
            "type": ["null", "EveryType"],
            "default": None,
        },
    ],
}


def _corpus_paths(*, valid: bool) -> list[Any]:
    """Return the corpus schemas that parse and have a finite value, or the malformed ones."""
    cases = []
    for path in sorted((CORPUS / "schemas").rglob("*.avsc")):
        try:
            schema = parse_schema(path.read_text())
        except Exception:  # noqa: BLE001 - the malformed test checks the error type
            parses = False
        else:
            parses = True
        wanted = (parses and _has_value(schema)) if valid else not parses
        if wanted:
            cases.append(pytest.param(path, id=path.name[-60:]))
    return cases


def _has_value(schema: ParsedSchema) -> bool:
    """Tell whether the schema has any value: a record that always recurses has none."""
    try:
        ValueMaker(schema.named_types, 0).value(schema.parsed)
    except NoFiniteValueError:
        return False
    return True


def _catalog_schemas() -> list[Any]:
    events = [getattr(catalog, name) for name in catalog.__all__]
    events = [event for event in events if isinstance(event, type) and issubclass(event, Event)]
    return [pytest.param(event.avro_schema(), id=event.__avro_name__) for event in events]


def _fastavro_bytes(schema: ParsedSchema, datum: Any) -> bytes:
    buffer = BytesIO()
    schemaless_writer(buffer, schema.parsed, datum)
    return buffer.getvalue()


def _fastavro_value(schema: ParsedSchema, data: bytes) -> Any:
    value = schemaless_reader(
        BytesIO(data),
        schema.parsed,
        None,
        return_record_name=True,
        return_record_name_override=True,
    )
    return rename_branches(value) if schema.fastavro_names else value


def _compiled_bytes(schema: ParsedSchema, datum: Any) -> bytes:
    out = bytearray()
    compiled_codec(schema).encode(datum, out)
    return bytes(out)


def _check_values(schema: ParsedSchema, seed: int) -> int:
    maker = ValueMaker(schema.named_types, seed)
    for _ in range(VALUES_PER_SCHEMA):
        datum = maker.value(schema.parsed)
        expected = _fastavro_bytes(schema, datum)

        actual = _compiled_bytes(schema, datum)

        assert actual == expected, f"datum {datum!r}"
        assert compiled_codec(schema).decode(actual) == _fastavro_value(schema, expected)
        framed = FRAME_HEADER + actual
        assert compiled_codec(schema).decode(framed, 5) == _fastavro_value(schema, expected)
    return VALUES_PER_SCHEMA


@pytest.mark.parametrize("path", _corpus_paths(valid=True))
def test_corpus_schema_matches_fastavro(path: Path) -> None:
    schema = parse_schema(path.read_text())

    assert _check_values(schema, seed=len(path.name)) == VALUES_PER_SCHEMA


@pytest.mark.parametrize("path", _corpus_paths(valid=False))
def test_malformed_corpus_schema_is_invalid(path: Path) -> None:
    with pytest.raises(InvalidSchemaError) as raised:
        parse_schema(path.read_text())

    assert str(raised.value).endswith("."), "the message states the fault as a sentence"


@pytest.mark.parametrize("schema", _catalog_schemas())
def test_catalog_schema_matches_fastavro(schema: ParsedSchema) -> None:
    assert _check_values(schema, seed=7) == VALUES_PER_SCHEMA


@pytest.mark.parametrize("seed", range(8))
def test_every_type_matches_fastavro(seed: int) -> None:
    assert _check_values(parse_schema(EVERY_TYPE), seed) == VALUES_PER_SCHEMA


def test_corpus_is_present() -> None:
    assert len(_corpus_paths(valid=True)) > 100


def _reading(field_type: Any) -> ParsedSchema:
    return parse_schema(
        {
            "type": "record",
            "name": "Reading",
            "namespace": "com.example.test",
            "fields": [
                {
                    "name": "items",
                    "type": {
                        "type": "array",
                        "items": {
                            "type": "record",
                            "name": "Item",
                            "fields": [{"name": "value", "type": field_type}],
                        },
                    },
                },
            ],
        }
    )


@pytest.mark.parametrize(
    ("field_type", "value", "shown"),
    [
        ("int", 2**31, "2147483648"),
        ("long", -(2**63) - 1, "-9223372036854775809"),
        ("int", True, "True"),
        ("string", b"bytes", "b'bytes'"),
        ("boolean", 1, "1"),
        ({"type": "enum", "name": "E", "symbols": ["A"]}, "B", "'B'"),
        ({"type": "fixed", "name": "F", "size": 2}, b"abc", "b'abc'"),
        (
            {"type": "bytes", "logicalType": "decimal", "precision": 5, "scale": 2},
            Decimal("1.234"),
            "Decimal('1.234')",
        ),
        (
            {"type": "bytes", "logicalType": "decimal", "precision": 3, "scale": 0},
            Decimal("1234"),
            "Decimal('1234')",
        ),
        (
            {"type": "fixed", "name": "D", "size": 1, "logicalType": "decimal", "precision": 2},
            Decimal("-100"),
            "Decimal('-100')",
        ),
        (
            {"type": "bytes", "logicalType": "decimal", "precision": 3, "scale": 2},
            Decimal("100"),
            "Decimal('100')",
        ),
        ({"type": "bytes", "logicalType": "decimal", "precision": 5}, Decimal("NaN"), "NaN"),
        (["null", "int"], "7", "'7'"),
        ({"type": "map", "values": "int"}, {1: 2}, "1"),
    ],
    ids=[
        "int over range",
        "long under range",
        "bool for int",
        "bytes for string",
        "int for boolean",
        "unknown enum symbol",
        "fixed of wrong size",
        "decimal scale too fine",
        "decimal too many digits",
        "decimal over precision",
        "fixed decimal too many digits",
        "decimal nan",
        "union without branch",
        "map key not string",
    ],
)
def test_rejected_value_names_path_and_value(field_type: Any, value: Any, shown: str) -> None:
    registry = InMemoryRegistry()
    serializer = AvroSerializer(_reading(field_type), registry, auto_register=True, validate=False)
    items = [{"value": _valid(field_type)}, {"value": value}]

    with pytest.raises(SerializationError) as caught:
        serializer.encode({"items": items}, "readings")

    assert caught.value.field is not None
    assert caught.value.field.startswith("items[1].value")
    assert shown in str(caught.value)


def _valid(field_type: Any) -> Any:
    schema = _reading(field_type)
    item = schema.named_types["com.example.test.Item"]
    return ValueMaker(schema.named_types, seed=1).value(item["fields"][0]["type"])


def test_missing_field_without_default_is_rejected() -> None:
    registry = InMemoryRegistry()
    serializer = AvroSerializer(_reading("string"), registry, auto_register=True, validate=False)

    with pytest.raises(SerializationError) as caught:
        serializer.encode({"items": [{}]}, "readings")

    assert caught.value.field == "items[0].value"
    assert "missing" in str(caught.value)


def test_missing_fields_take_defaults_like_fastavro() -> None:
    schema = parse_schema(
        {
            "type": "record",
            "name": "Defaults",
            "fields": [
                {"name": "n", "type": "int", "default": 5},
                {"name": "maybe", "type": ["null", "string"]},
                {"name": "list", "type": {"type": "array", "items": "long"}, "default": [1, 2]},
                {
                    "name": "e",
                    "type": {"type": "enum", "name": "E", "symbols": ["X", "Y"]},
                    "default": "Y",
                },
            ],
        }
    )

    assert _compiled_bytes(schema, {}) == _fastavro_bytes(schema, {})


def test_missing_bytes_field_takes_default_code_points() -> None:
    fields: list[dict[str, Any]] = [
        {"name": "raw", "type": "bytes", "default": "\u00ff\u0001"},
        {"name": "hash", "type": {"type": "fixed", "name": "H", "size": 2}, "default": "ab"},
    ]
    schema = parse_schema({"type": "record", "name": "Defaults", "fields": fields})

    written = _compiled_bytes(schema, {})

    assert written == _fastavro_bytes(schema, {"raw": b"\xff\x01", "hash": b"ab"})


def test_evolved_reader_resolves_through_fastavro() -> None:
    pairs = sorted(p for p in (CORPUS / "evolution").iterdir() if (p / "expected.json").exists())
    checked = 0
    for pair in pairs:
        if not json.loads((pair / "expected.json").read_text())["backward"]:
            continue
        try:
            old = parse_schema((pair / "old.avsc").read_text())
            new = parse_schema((pair / "new.avsc").read_text())
        except InvalidSchemaError:
            continue
        registry = InMemoryRegistry()
        serializer = AvroSerializer(old, registry, auto_register=True)
        deserializer = AvroDeserializer(registry)
        datum = ValueMaker(old.named_types, seed=3).value(old.parsed)
        framed = serializer.encode(datum, "evolution")

        resolved = deserializer.decode(framed, new).value
        same = deserializer.decode(framed, old).value

        expected = schemaless_reader(
            BytesIO(framed[5:]),
            old.parsed,
            new.parsed,
            return_record_name=True,
            return_record_name_override=True,
        )
        assert resolved == (rename_branches(expected) if new.fastavro_names else expected)
        assert same == _fastavro_value(old, framed[5:])
        checked += 1
    assert checked >= 10


def _without_docs(node: Any) -> Any:
    if isinstance(node, list):
        return [_without_docs(item) for item in node]
    if isinstance(node, dict):
        return {key: _without_docs(value) for key, value in node.items() if key != "doc"}
    return node


def test_same_decoding_ignores_docs_and_properties() -> None:
    packaged = catalog.DeliveryScheduled.avro_schema()
    bare = dict(_without_docs(packaged.schema))
    bare.pop("keybus.topic")

    assert same_decoding(parse_schema(bare), packaged)


def test_same_decoding_sees_renamed_field() -> None:
    packaged = catalog.DeliveryScheduled.avro_schema()
    renamed = json.loads(packaged.text.replace('"carrier"', '"carrier_name"'))

    assert not same_decoding(parse_schema(renamed), packaged)


@pytest.mark.parametrize("logical", ["timestamp-millis", "timestamp-micros"])
def test_naive_timestamp_matches_fastavro(logical: str) -> None:
    schema = parse_schema({"type": "long", "logicalType": logical})
    moment = datetime(2026, 3, 29, 2, 30, 15, 123456)

    assert _compiled_bytes(schema, moment) == _fastavro_bytes(schema, moment)
