"""Producer encoding and configuration; the registry is in memory and no record is sent.

`Producer.prepare` is the step `publish` runs before handing a record to librdkafka.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest

from keybus.catalog import DoorUnlocked
from keybus.catalog.com.example.access import AccessMethod
from keybus.client import ClientClosedError, Producer, TransactionError
from keybus.errors import ConfigurationError
from keybus.events import Event
from keybus.registry import InMemoryRegistry, SchemaNotRegisteredError
from keybus.serde import AvroDeserializer, InvalidSchemaError

OFFLINE = "127.0.0.1:9"


@pytest.fixture
def registry() -> InMemoryRegistry:
    return InMemoryRegistry()


@pytest.fixture
def producer(registry: InMemoryRegistry) -> Producer:
    return Producer(OFFLINE, registry, auto_register=True, source="urn:test:locks")


def _event() -> DoorUnlocked:
    return DoorUnlocked(
        lock_id="lock-7",
        method=AccessMethod.BLUETOOTH,
        occurred_at=datetime(2026, 5, 1, 8, 30, tzinfo=UTC),
    )


def test_record_keyed_by_aggregate_on_catalog_topic(producer: Producer) -> None:
    record = producer.prepare(_event())

    assert record.topic == "lock-devices"
    assert record.key == b"lock-7"


def test_value_decodes_to_event(producer: Producer, registry: InMemoryRegistry) -> None:
    event = _event()

    record = producer.prepare(event)

    decoded = AvroDeserializer(registry).decode(record.value)
    assert DoorUnlocked.from_avro(decoded.value) == event


def test_headers_name_event(producer: Producer) -> None:
    event = _event()

    headers: dict[str, Any] = dict(producer.prepare(event).headers)

    assert headers["ce_id"] == str(event.event_id)
    assert headers["ce_type"] == "com.example.access.DoorUnlocked"
    assert headers["ce_source"] == "urn:test:locks"
    assert headers["ce_subject"] == "lock-7"
    assert headers["ce_time"] == "2026-05-01T08:30:00.000+00:00"


def test_topic_override(producer: Producer) -> None:
    assert producer.prepare(_event(), topic="other").topic == "other"


def test_plain_dict_rejected_with_hint(producer: Producer) -> None:
    with pytest.raises(ConfigurationError) as caught:
        producer.prepare({"lock_id": "l"})  # type: ignore[arg-type]

    assert "publish_dict()" in str(caught.value)


def test_unregistered_schema_fails_at_startup(registry: InMemoryRegistry) -> None:
    with pytest.raises(SchemaNotRegisteredError) as caught:
        Producer(OFFLINE, registry, event_types=[DoorUnlocked])

    assert "lock-devices-com.example.access.DoorUnlocked" in str(caught.value)


def test_invalid_default_fails_when_event_class_is_defined() -> None:
    with pytest.raises(InvalidSchemaError) as caught:

        class Broken(Event):
            __avro_name__: ClassVar[str] = "com.example.test.Broken"
            __avro_schema__: ClassVar[dict[str, Any]] = {
                "type": "record",
                "name": "com.example.test.Broken",
                "fields": [{"name": "code", "type": "string", "default": None}],
            }

    assert "Field 'code' of com.example.test.Broken has an invalid default None" in str(
        caught.value
    )


def test_transaction_needs_transactional_id(producer: Producer) -> None:
    with pytest.raises(TransactionError) as caught, producer.transaction():
        pass

    assert "transactional_id" in str(caught.value)


def test_closed_producer_rejects_publish(registry: InMemoryRegistry) -> None:
    producer = Producer(OFFLINE, registry, auto_register=True)
    producer.close(timeout_s=0.1)

    with pytest.raises(ClientClosedError):
        producer.prepare(_event())
