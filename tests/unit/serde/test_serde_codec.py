"""Serializer and deserializer against an in-memory registry; fastavro runs for real."""

from __future__ import annotations

from typing import Any

import pytest

from keybus.registry import InMemoryRegistry, SchemaNotRegisteredError
from keybus.serde import (
    AmbiguousUnionError,
    AvroDeserializer,
    AvroSerializer,
    SerializationError,
    UnknownSchemaIdError,
    WireFormatError,
    parse_schema,
    topic_name_strategy,
)
from keybus.types import SchemaId, Subject

READING = {
    "type": "record",
    "name": "Reading",
    "namespace": "com.example.test",
    "fields": [
        {"name": "sensor", "type": "string"},
        {"name": "count", "type": "int"},
        {"name": "note", "type": ["null", "string"], "default": None},
    ],
}
READING_V1 = {**READING, "fields": READING["fields"][:2]}

SIMILAR = {
    "type": "record",
    "name": "Holder",
    "fields": [
        {
            "name": "item",
            "type": [
                {
                    "type": "record",
                    "name": "Small",
                    "fields": [{"name": "x", "type": "int"}, {"name": "y", "type": "int"}],
                },
                {
                    "type": "record",
                    "name": "Large",
                    "fields": [
                        {"name": "x", "type": "int"},
                        {"name": "y", "type": "int"},
                        {"name": "z", "type": ["null", "int"], "default": None},
                    ],
                },
            ],
        }
    ],
}
SAME_SHAPE = {
    "type": "record",
    "name": "Choice",
    "fields": [
        {
            "name": "item",
            "type": [
                {"type": "record", "name": "A", "fields": [{"name": "n", "type": "int"}]},
                {"type": "record", "name": "B", "fields": [{"name": "n", "type": "int"}]},
            ],
        }
    ],
}


def _pair(schema: Any) -> tuple[AvroSerializer, AvroDeserializer, InMemoryRegistry]:
    registry = InMemoryRegistry()
    return (
        AvroSerializer(schema, registry, auto_register=True),
        AvroDeserializer(registry),
        registry,
    )


def test_encoded_value_decodes_to_same_value() -> None:
    serializer, deserializer, _ = _pair(READING)
    value = {"sensor": "s1", "count": 3, "note": None}

    decoded = deserializer.decode(serializer.encode(value, "readings"))

    assert decoded.value == value
    assert decoded.writer.name == "com.example.test.Reading"


def test_subject_follows_topic_record_strategy_by_default() -> None:
    serializer, _, registry = _pair(READING)

    schema_id = serializer.schema_id("readings")

    found = registry.lookup(Subject("readings-com.example.test.Reading"), serializer.schema.text)
    assert found.schema_id == schema_id


def test_subject_follows_topic_strategy_when_chosen() -> None:
    registry = InMemoryRegistry()
    serializer = AvroSerializer(
        READING, registry, auto_register=True, subject_strategy=topic_name_strategy
    )

    serializer.encode({"sensor": "s", "count": 1}, "readings")

    assert registry.lookup(Subject("readings-value"), serializer.schema.text).version == 1


def test_schema_id_resolved_once_per_topic() -> None:
    serializer, _, registry = _pair(READING)

    for _ in range(5):
        serializer.encode({"sensor": "s", "count": 1}, "readings")

    assert registry.requests == 1


def test_unregistered_schema_names_subject_and_fix() -> None:
    serializer = AvroSerializer(READING, InMemoryRegistry(url="memory://test"))

    with pytest.raises(SchemaNotRegisteredError) as caught:
        serializer.encode({"sensor": "s", "count": 1}, "readings")

    assert "readings-com.example.test.Reading" in str(caught.value)
    assert "keybus schemas register" in str(caught.value)


@pytest.mark.parametrize(
    ("value", "field", "shown"),
    [
        ({"sensor": "s", "count": 2**31}, "count", "2147483648"),
        ({"sensor": "s", "count": "3"}, "count", "'3'"),
        ({"sensor": 5, "count": 1}, "sensor", "5"),
        ({"sensor": "s", "count": 1, "note": 7}, "note", "7"),
    ],
    ids=["int over range", "string for int", "int for string", "int for nullable string"],
)
def test_invalid_value_names_field_and_value(value: dict[str, Any], field: str, shown: str) -> None:
    serializer, _, _ = _pair(READING)

    with pytest.raises(SerializationError) as caught:
        serializer.encode(value, "readings")

    assert caught.value.field is not None
    assert caught.value.field.endswith(field)
    assert f"is {shown}" in str(caught.value)


def test_unvalidated_encode_still_reports_bad_value() -> None:
    registry = InMemoryRegistry()
    serializer = AvroSerializer(READING, registry, auto_register=True, validate=False)

    with pytest.raises(SerializationError) as caught:
        serializer.encode({"sensor": None, "count": 1}, "readings")

    assert "sensor" in str(caught.value)


def test_unknown_schema_id_names_id_and_registry() -> None:
    deserializer = AvroDeserializer(InMemoryRegistry(url="memory://east"))

    with pytest.raises(UnknownSchemaIdError) as caught:
        deserializer.decode(b"\x00\x00\x00\x00\x63\x02")

    assert caught.value.schema_id == 99
    assert "Schema id 99 is not known to the registry at memory://east" in str(caught.value)


def test_truncated_body_is_wire_format_error() -> None:
    serializer, deserializer, _ = _pair(READING)
    data = serializer.encode({"sensor": "long sensor name", "count": 1}, "readings")

    with pytest.raises(WireFormatError) as caught:
        deserializer.decode(data[:8])

    assert "does not decode with writer schema com.example.test.Reading" in str(caught.value)


def test_new_reader_fills_added_field_from_old_writer() -> None:
    registry = InMemoryRegistry()
    old = AvroSerializer(READING_V1, registry, auto_register=True)
    data = old.encode({"sensor": "s", "count": 4}, "readings")

    decoded = AvroDeserializer(registry).decode(data, parse_schema(READING))

    assert decoded.value == {"sensor": "s", "count": 4, "note": None}


def test_old_reader_drops_field_of_new_writer() -> None:
    registry = InMemoryRegistry()
    new = AvroSerializer(READING, registry, auto_register=True)
    data = new.encode({"sensor": "s", "count": 4, "note": "n"}, "readings")

    decoded = AvroDeserializer(registry).decode(data, parse_schema(READING_V1))

    assert decoded.value == {"sensor": "s", "count": 4}


class TestUnionBranchSelection:
    """A plain dict in a union of records is written as the branch it fits exactly."""

    def test_dict_with_extra_field_written_as_large(self) -> None:
        serializer, deserializer, _ = _pair(SIMILAR)

        data = serializer.encode({"item": {"x": 3, "y": 4, "z": 5}}, "t")

        assert data[5] == 2  # zig-zag varint of branch index 1
        assert deserializer.decode(data).value == {"item": ("Large", {"x": 3, "y": 4, "z": 5})}

    def test_dict_with_exact_small_fields_written_as_small(self) -> None:
        serializer, deserializer, _ = _pair(SIMILAR)

        data = serializer.encode({"item": {"x": 3, "y": 4}}, "t")

        assert deserializer.decode(data).value == {"item": ("Small", {"x": 3, "y": 4})}

    def test_dict_fitting_two_same_shaped_branches_rejected(self) -> None:
        serializer, _, _ = _pair(SAME_SHAPE)

        with pytest.raises(AmbiguousUnionError) as caught:
            serializer.encode({"item": {"n": 42}}, "t")

        assert "fits union branches ['A', 'B']" in str(caught.value)
        assert caught.value.field == "item"

    def test_named_branch_tuple_written_as_named(self) -> None:
        serializer, deserializer, _ = _pair(SAME_SHAPE)

        data = serializer.encode({"item": ("B", {"n": 42})}, "t")

        assert deserializer.decode(data).value == {"item": ("B", {"n": 42})}

    def test_type_key_names_branch(self) -> None:
        serializer, deserializer, _ = _pair(SAME_SHAPE)

        data = serializer.encode({"item": {"-type": "B", "n": 42}}, "t")

        assert deserializer.decode(data).value == {"item": ("B", {"n": 42})}

    def test_decoded_value_re_encodes_to_same_bytes(self) -> None:
        serializer, deserializer, _ = _pair(SAME_SHAPE)
        data = serializer.encode({"item": ("B", {"n": 42})}, "t")

        again = serializer.encode(deserializer.decode(data).value, "t")

        assert again == data

    def test_field_types_break_a_tie(self) -> None:
        schema = {
            "type": "record",
            "name": "Typed",
            "fields": [
                {
                    "name": "item",
                    "type": [
                        {"type": "record", "name": "I", "fields": [{"name": "n", "type": "int"}]},
                        {
                            "type": "record",
                            "name": "S",
                            "fields": [{"name": "n", "type": "string"}],
                        },
                    ],
                }
            ],
        }
        serializer, deserializer, _ = _pair(schema)

        data = serializer.encode({"item": {"n": "text"}}, "t")

        assert deserializer.decode(data).value == {"item": ("S", {"n": "text"})}


def test_same_schema_spelled_differently_gets_same_id() -> None:
    registry = InMemoryRegistry()
    first = AvroSerializer('{"type": "string"}', registry, auto_register=True)
    second = AvroSerializer('"string"', registry, auto_register=True)

    assert first.schema_id("k") == second.schema_id("k") == SchemaId(1)
