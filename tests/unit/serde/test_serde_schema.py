"""Schema parsing before fastavro: defaults (B04), names (B10, B12), fingerprints. Nothing faked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from keybus.registry import InMemoryRegistry
from keybus.schemas import Catalog
from keybus.serde import AvroDeserializer, AvroSerializer, InvalidSchemaError, parse_schema


def _record(name: str, field_type: Any, default: Any) -> dict[str, Any]:
    return {
        "type": "record",
        "name": name,
        "fields": [{"name": "value", "type": field_type, "default": default}],
    }


INVALID_DEFAULTS = {
    "null default on string": (_record("com.example.Code", "string", None), "None"),
    "long default on union starting with string": (
        _record("Ref", ["string", "long"], 10),
        "first branch 'string'",
    ),
    "union-JSON default": (_record("Tag", ["string", "null"], {"string": "x"}), "{'string': 'x'}"),
    "int default out of range": (_record("Big", "int", 2**31), "2147483648"),
    "bool default on int": (_record("Flag", "int", True), "True"),
    "enum default not a symbol": (
        _record("E", {"type": "enum", "name": "S", "symbols": ["A"]}, "B"),
        "'B' is not a symbol",
    ),
    "array default with wrong item": (
        _record("Arr", {"type": "array", "items": "int"}, [1, "x"]),
        "'x'",
    ),
    "record default missing a field": (
        _record(
            "Rec",
            {"type": "record", "name": "Inner", "fields": [{"name": "a", "type": "int"}]},
            {},
        ),
        "field 'a' is missing",
    ),
    "fixed default of wrong size": (
        _record("Fix", {"type": "fixed", "name": "F2", "size": 2}, "abc"),
        "2 characters",
    ),
}

VALID_DEFAULTS = {
    "long default on union starting with long": _record("R1", ["long", "string"], 10),
    "null default on nullable union": _record("R2", ["null", "string"], None),
    "empty string default": _record("R3", "string", ""),
    "float default on double": _record("R4", "double", 1.5),
    "int default on double": _record("R5", "double", 1),
    "enum default symbol": _record("R6", {"type": "enum", "name": "S", "symbols": ["A"]}, "A"),
    "bytes default": _record("R7", "bytes", "\u00ff"),
}


@pytest.mark.parametrize("case", INVALID_DEFAULTS, ids=list(INVALID_DEFAULTS))
def test_serializer_rejects_invalid_default_at_construction(case: str) -> None:
    schema, detail = INVALID_DEFAULTS[case]

    with pytest.raises(InvalidSchemaError) as caught:
        AvroSerializer(schema, InMemoryRegistry(), auto_register=True)

    assert "invalid default" in str(caught.value) or "not one of its symbols" in str(caught.value)
    assert detail in str(caught.value)


@pytest.mark.parametrize("case", VALID_DEFAULTS, ids=list(VALID_DEFAULTS))
def test_serializer_accepts_valid_default(case: str) -> None:
    serializer = AvroSerializer(VALID_DEFAULTS[case], InMemoryRegistry(), auto_register=True)

    assert serializer.schema.name is not None


def test_invalid_enum_default_on_enum_type_rejected() -> None:
    schema = {"type": "enum", "name": "State", "symbols": ["A", "B"], "default": "C"}

    with pytest.raises(InvalidSchemaError) as caught:
        parse_schema(schema)

    assert "Enum State has default 'C'" in str(caught.value)


def test_invalid_json_names_position() -> None:
    with pytest.raises(InvalidSchemaError) as caught:
        parse_schema('{"type": "record",')

    assert "not valid JSON" in str(caught.value)
    assert "line 1" in str(caught.value)


def _roundtrip(schema: Any, value: Any) -> Any:
    registry = InMemoryRegistry()
    serializer = AvroSerializer(schema, registry, auto_register=True)
    data = serializer.encode(value, "topic")
    return AvroDeserializer(registry).decode(data).value


PAIR = {
    "type": "record",
    "name": "Pair",
    "namespace": "com.example",
    "fields": [
        {"name": "first", "type": {"type": "record", "name": "Part", "fields": []}},
        {"name": "second", "type": "Part"},
    ],
}


def test_named_type_reused_inside_top_level_union_round_trips() -> None:
    value = {"first": {}, "second": {}}

    assert _roundtrip(["null", PAIR], value) == value


def test_named_type_reused_in_top_level_record_round_trips() -> None:
    value = {"first": {}, "second": {}}

    assert _roundtrip(PAIR, value) == value


@pytest.mark.parametrize("namespace", ["", None], ids=["empty", "null"])
def test_explicit_null_namespace_resolves_unqualified_reference(namespace: str | None) -> None:
    schema = {
        "type": "record",
        "name": "Envelope",
        "namespace": "com.example",
        "fields": [
            {
                "name": "a",
                "type": {
                    "type": "record",
                    "name": "Row",
                    "namespace": namespace,
                    "fields": [{"name": "text", "type": "string"}],
                },
            },
            {"name": "b", "type": "Row"},
        ],
    }
    value = {"a": {"text": "x"}, "b": {"text": "y"}}

    parsed = parse_schema(schema)

    assert "Row" in parsed.fastavro_names
    assert "com.example.Row" not in parsed.fastavro_names
    assert _roundtrip(schema, value) == value


def test_null_namespace_record_in_union_keeps_its_name() -> None:
    row = {"type": "record", "name": "Row", "namespace": "", "fields": []}
    other = {"type": "record", "name": "Other", "fields": []}
    schema = {
        "type": "record",
        "name": "Holder",
        "namespace": "com.example",
        "fields": [{"name": "item", "type": [row, other]}],
    }

    decoded = _roundtrip(schema, {"item": ("Row", {})})

    assert decoded == {"item": ("Row", {})}


def test_fingerprint_ignores_spelling_of_primitives_and_key_order() -> None:
    spelled = parse_schema('{"type": "string"}')
    bare = parse_schema('"string"')
    reordered_a = parse_schema('{"type":"record","name":"R","fields":[]}')
    reordered_b = parse_schema('{"fields":[],"name":"R","type":"record"}')

    assert spelled.fingerprint == bare.fingerprint
    assert reordered_a.fingerprint == reordered_b.fingerprint


CATALOG_DIR = Path(__file__).parents[3] / "avro"


@pytest.mark.parametrize(
    ("schema", "diagnosis"),
    [
        (
            {"type": "record", "name": "X", "fields": [{"name": "a", "type": "in"}]},
            "Invalid schema at X.a: unknown type 'in'.",
        ),
        (
            (CATALOG_DIR / "com.example.access.DoorUnlocked.avsc").read_text(),
            "Invalid schema at com.example.access.DoorUnlocked.method: unknown type "
            "'AccessMethod'.",
        ),
    ],
    ids=["misspelt primitive", "type from another catalog file"],
)
def test_unknown_type_names_place_and_fix(schema: Any, diagnosis: str) -> None:
    with pytest.raises(InvalidSchemaError) as caught:
        parse_schema(schema)

    message = str(caught.value)
    assert message.startswith(diagnosis)
    assert "define the named type at its first use in this schema" in message
    assert "Catalog.load(root).event(event_type).schema" in message
    assert "schema reference" in message


def test_unknown_type_message_same_for_publish_dict_serializer() -> None:
    schema = {"type": "record", "name": "X", "fields": [{"name": "a", "type": "in"}]}

    with pytest.raises(InvalidSchemaError) as caught:
        AvroSerializer(schema, InMemoryRegistry(), auto_register=True)

    assert caught.value.path == "X.a"
    assert caught.value.schema_name == "X"
    assert "unknown type 'in'" in str(caught.value)


def test_catalog_schema_with_types_inlined_parses() -> None:
    event = Catalog.load(CATALOG_DIR).event("com.example.access.DoorUnlocked")

    assert parse_schema(event.schema).name == "com.example.access.DoorUnlocked"
