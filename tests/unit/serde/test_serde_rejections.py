"""Messages for values a schema rejects, from the compiled encoder and from fastavro validation.

Pure serde logic: real compiled codecs and fastavro, with an in-memory registry.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from keybus.catalog import DoorUnlocked
from keybus.catalog.com.example.access import AccessMethod
from keybus.events.binding import model_codec
from keybus.registry import InMemoryRegistry
from keybus.serde import AvroSerializer, SerializationError


def _record(field_type: Any, name: str = "X3") -> dict[str, Any]:
    return {
        "type": "record",
        "name": name,
        "namespace": "com.example.test",
        "fields": [{"name": "a", "type": field_type}],
    }


def _rejection(schema: Any, value: Any, *, validate: bool) -> SerializationError:
    serializer = AvroSerializer(schema, InMemoryRegistry(), auto_register=True, validate=validate)
    with pytest.raises(SerializationError) as caught:
        serializer.encode(value, "readings")
    return caught.value


INT_ARRAY = _record({"type": "array", "items": "int"})
STRING_MAP = _record({"type": "map", "values": "string"})
INNER_ARRAY = _record({"type": "array", "items": _record("int", "Inner")})
DATE = {"type": "int", "logicalType": "date"}

# Each case: schema, value, the field path, and a part of the message.
CASES: dict[str, tuple[Any, Any, str | None, str]] = {
    "array item": (
        INT_ARRAY,
        {"a": [1, "x"]},
        "a[1]",
        "field 'a[1]' is 'x', not a valid int (from -2147483648 to 2147483647).",
    ),
    "string in array": (
        _record({"type": "array", "items": "string"}),
        {"a": ["ok", "b\ud800"]},
        "a[1]",
        "field 'a[1]' is 'b\\ud800', not a valid string because it contains the lone "
        "surrogate '\\ud800' at index 1, which UTF-8 cannot encode.",
    ),
    "map value": (
        STRING_MAP,
        {"a": {"k": "ok", "j": "\udc80"}},
        "a['j']",
        "field 'a['j']' is '\\udc80', not a valid string because it contains",
    ),
    "map key": (
        STRING_MAP,
        {"a": {"k\ud800": "ok"}},
        "a['k\\ud800']",
        "is 'k\\ud800', not a valid string because it contains the lone surrogate",
    ),
    "nullable string": (
        _record(["null", "string"]),
        {"a": "x\ud800"},
        "a",
        "field 'a' is 'x\\ud800', not a valid string because",
    ),
    "union without branch": (
        _record(["null", "string", "int"]),
        {"a": 5.5},
        "a",
        "field 'a' is 5.5, not a valid union of null | string | int.",
    ),
    "date string": (
        _record(DATE),
        {"a": "2020-13-45"},
        "a",
        "field 'a' is '2020-13-45', not a valid date (int) because encoding it raised "
        "ValueError: month must be in 1..12.",
    ),
    "date in array": (
        _record({"type": "array", "items": DATE}),
        {"a": ["2020-01-01", "nope"]},
        "a[1]",
        "field 'a[1]' is 'nope', not a valid date (int) because encoding it raised ValueError",
    ),
    "enum symbol": (
        _record({"type": "enum", "name": "E", "symbols": ["A", "B"]}),
        {"a": "C"},
        "a",
        "is 'C', not a valid enum com.example.test.E because it is not one of the symbols "
        "'A', 'B'.",
    ),
    "decimal scale": (
        _record({"type": "bytes", "logicalType": "decimal", "precision": 5, "scale": 2}),
        {"a": Decimal("1.234")},
        "a",
        "is Decimal('1.234'), not a valid decimal(5, 2) because it has more than 2 digits "
        "after the point.",
    ),
    "float overflow": (
        _record("float"),
        {"a": 1e300},
        "a",
        "is 1e+300, not a valid float because encoding it raised OverflowError",
    ),
    "missing field": (
        _record("int"),
        {},
        "a",
        "field 'a' is missing and has no default. Set it, or give the field a default",
    ),
    "missing field in array": (
        INNER_ARRAY,
        {"a": [{"a": 1}, {}]},
        "a[1].a",
        "field 'a[1].a' is missing and has no default.",
    ),
    "field in array": (
        INNER_ARRAY,
        {"a": [{"a": 1}, {"a": "z"}]},
        "a[1].a",
        "field 'a[1].a' is 'z', not a valid int",
    ),
    "top-level string": (
        '"string"',
        "a\ud800",
        None,
        "the value is 'a\\ud800', not a valid string because it contains",
    ),
}


@pytest.mark.parametrize("validate", [False, True], ids=["compiled", "validated"])
@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_rejection_names_path_value_and_type(case: str, validate: bool) -> None:
    schema, value, path, expected = CASES[case]

    error = _rejection(schema, value, validate=validate)

    assert error.field == path
    assert expected in str(error)
    assert str(error).endswith(".")


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_compiled_and_validated_messages_equal(case: str) -> None:
    schema, value, _, _ = CASES[case]

    compiled = _rejection(schema, value, validate=False)
    validated = _rejection(schema, value, validate=True)

    assert str(compiled) == str(validated)


def test_long_value_is_truncated() -> None:
    error = _rejection(_record("int"), {"a": "x" * 500}, validate=False)

    assert "is 'xxxxx" in str(error)
    assert "x" * 100 not in str(error)


def test_model_surrogate_shows_field_value_not_event() -> None:
    event = DoorUnlocked(lock_id="a\ud800b", method=AccessMethod.PIN)
    serializer = AvroSerializer(
        DoorUnlocked.avro_schema(),
        InMemoryRegistry(),
        auto_register=True,
        validate=False,
        codec=model_codec(DoorUnlocked),
    )

    with pytest.raises(SerializationError) as caught:
        serializer.encode_body(event, serializer.header("lock-devices"))

    message = str(caught.value)
    assert caught.value.field == "lock_id"
    assert "field 'lock_id' is 'a\\ud800b', not a valid string because" in message
    assert "lone surrogate '\\ud800' at index 1" in message
    assert "text.encode('utf-8', 'replace').decode()" in message
    assert "DoorUnlocked(" not in message
