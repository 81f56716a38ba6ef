"""The router's record decoder against an in-memory registry; fastavro runs for real."""

from __future__ import annotations

from typing import Any

import pytest

from keybus.registry import InMemoryRegistry
from keybus.serde import AvroDeserializer, AvroSerializer, UnknownSchemaIdError, WireFormatError
from keybus.streams.registry_decode import RegistryDecoder

READING = {
    "type": "record",
    "name": "Reading",
    "namespace": "com.example.test",
    "fields": [
        {"name": "device", "type": "string"},
        {"name": "value", "type": "int"},
        {"name": "note", "type": ["null", "string"], "default": None},
    ],
}
DOOR_EVENT = {
    "type": "record",
    "name": "DoorEvent",
    "namespace": "com.example.test",
    "fields": [
        {
            "name": "change",
            "type": [
                {"type": "record", "name": "Opened", "fields": [{"name": "by", "type": "string"}]},
                {"type": "record", "name": "Closed", "fields": [{"name": "at", "type": "long"}]},
            ],
        }
    ],
}


def _decoder() -> tuple[RegistryDecoder, InMemoryRegistry]:
    registry = InMemoryRegistry()
    decoder = RegistryDecoder("http://127.0.0.1:1")
    decoder.deserializer = AvroDeserializer(registry)
    return decoder, registry


def _encode(registry: InMemoryRegistry, schema: dict[str, Any], value: dict[str, Any]) -> bytes:
    return AvroSerializer(schema, registry, auto_register=True).encode(value, "readings")


def test_decoder_decodes_first_and_later_records() -> None:
    decoder, registry = _decoder()
    first = _encode(registry, READING, {"device": "d-1", "value": 3, "note": None})
    second = _encode(registry, READING, {"device": "d-2", "value": 4, "note": "n"})

    assert decoder(first) == {"device": "d-1", "value": 3, "note": None}
    assert decoder(second) == {"device": "d-2", "value": 4, "note": "n"}


def test_decoder_unwraps_record_unions_on_later_records() -> None:
    decoder, registry = _decoder()
    opened = _encode(registry, DOOR_EVENT, {"change": ("com.example.test.Opened", {"by": "ann"})})
    closed = _encode(registry, DOOR_EVENT, {"change": ("com.example.test.Closed", {"at": 5})})

    assert decoder(opened) == {"change": {"by": "ann"}}
    assert decoder(closed) == {"change": {"at": 5}}


def test_decoder_rejects_corrupt_body_after_first_record() -> None:
    decoder, registry = _decoder()
    valid = _encode(registry, READING, {"device": "d-1", "value": 3, "note": None})
    decoder(valid)

    with pytest.raises(WireFormatError):
        decoder(valid[:6])


@pytest.mark.parametrize("value", [b"", b"\x00\x00", b'{"device": "d-1"}'])
def test_decoder_rejects_unframed_value(value: bytes) -> None:
    decoder, _registry = _decoder()

    with pytest.raises(WireFormatError):
        decoder(value)


def test_decoder_rejects_unknown_schema_id() -> None:
    decoder, _registry = _decoder()

    with pytest.raises(UnknownSchemaIdError):
        decoder(b"\x00\x00\x00\x00\x63\x02")
