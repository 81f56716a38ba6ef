"""Model codecs of the generated catalog against the dict codec and fastavro; no broker."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from keybus import catalog
from keybus.catalog import DeliveryScheduled
from keybus.catalog.com.example.common import Money
from keybus.events import Event
from keybus.events.binding import model_codec
from keybus.serde.compiled import ValueRejectedError, compiled_codec

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench" / "produce"))

from payloads import typical_events
from tests.unit.serde.avro_values import ValueMaker


@pytest.fixture(scope="module")
def events() -> list[DeliveryScheduled]:
    return typical_events(50, seed=11)


def test_model_encode_equals_dict_encode(events: list[DeliveryScheduled]) -> None:
    codec = model_codec(DeliveryScheduled)
    plain = compiled_codec(DeliveryScheduled.avro_schema())
    assert codec is not None

    for event in events:
        from_model, from_dict = bytearray(), bytearray()
        codec.encode(event, from_model)
        plain.encode(event.to_avro(), from_dict)

        assert from_model == from_dict


def test_model_decode_equals_from_avro(events: list[DeliveryScheduled]) -> None:
    codec = model_codec(DeliveryScheduled)
    plain = compiled_codec(DeliveryScheduled.avro_schema())
    assert codec is not None

    for event in events:
        data = bytearray()
        codec.encode(event, data)

        decoded = codec.decode(bytes(data))

        assert decoded == DeliveryScheduled.from_avro(plain.decode(bytes(data)))
        assert decoded == event
        assert type(decoded.access_mode) is type(event.access_mode)


def test_model_encode_rejects_unchecked_value(events: list[DeliveryScheduled]) -> None:
    codec = model_codec(DeliveryScheduled)
    assert codec is not None
    event = events[0].model_copy(deep=True)
    parcel = event.parcels[1].model_copy()
    object.__setattr__(parcel, "declared_value", Money.model_construct(amount=1.5, currency="EUR"))
    event.parcels[1] = parcel

    with pytest.raises(ValueRejectedError) as caught:
        codec.encode(event, bytearray())

    assert caught.value.path == "parcels[1].declared_value.amount"
    assert caught.value.value == 1.5


def _catalog_events() -> list[type[Event]]:
    found = [getattr(catalog, name) for name in catalog.__all__]
    return [item for item in found if isinstance(item, type) and issubclass(item, Event)]


@pytest.mark.parametrize("event_type", _catalog_events(), ids=lambda event: event.__name__)
def test_catalog_model_codec_round_trip(event_type: type[Event]) -> None:
    schema = event_type.avro_schema()
    plain = compiled_codec(schema)
    codec = model_codec(event_type)
    maker = ValueMaker(schema.named_types, seed=5)
    assert codec is not None

    for _ in range(20):
        written = bytearray()
        plain.encode(maker.value(schema.parsed), written)
        event = event_type.from_avro(plain.decode(bytes(written)))
        again = bytearray()

        codec.encode(event, again)
        decoded = codec.decode(bytes(written))

        assert again == written
        assert decoded == event
