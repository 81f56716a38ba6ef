"""Interoperability with confluent-kafka's own Avro serde, on real Kafka and the keybus registry."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from confluent_kafka import Consumer as KafkaConsumer
from confluent_kafka import Producer as KafkaProducer
from confluent_kafka.schema_registry import SchemaRegistryClient, topic_record_subject_name_strategy
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from keybus import Producer
from keybus.catalog import AccessGranted, DoorUnlocked
from keybus.catalog.com.example.access import AccessMethod, GuestGrantee
from keybus.catalog.com.example.common import TimeWindow
from keybus.events import Event
from keybus.testing import KafkaEndpoint
from keybus.testing.plugin import TopicFactory

NOW = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)


def _samples() -> list[Event]:
    return [
        DoorUnlocked(lock_id="l", method=AccessMethod.REMOTE, battery_percent=70, occurred_at=NOW),
        AccessGranted(
            grant_id="g",
            lock_id="l",
            grantee=GuestGrantee(guest_id="guest", display_name="Ada"),
            validity=TimeWindow(starts_at=NOW, ends_at=NOW + timedelta(days=1)),
            method=AccessMethod.PIN,
            occurred_at=NOW,
        ),
    ]


def _read_raw(servers: str, topic: str, count: int) -> list[Any]:
    consumer = KafkaConsumer(
        {
            "bootstrap.servers": servers,
            "group.id": uuid.uuid4().hex,
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([topic])
    messages: list[Any] = []
    for _ in range(120):
        message = consumer.poll(0.5)
        if message is not None and message.error() is None:
            messages.append(message)
        if len(messages) == count:
            break
    consumer.close()
    return messages


def test_confluent_deserializer_reads_keybus_bytes(
    kafka: KafkaEndpoint, topic: TopicFactory, schema_registry: str
) -> None:
    name = topic()
    samples = _samples()
    with Producer(kafka.bootstrap_servers, schema_registry, auto_register=True) as producer:
        for event in samples:
            producer.publish(event, topic=name)
    deserializer = AvroDeserializer(
        SchemaRegistryClient({"url": schema_registry}),
        conf={"subject.name.strategy": topic_record_subject_name_strategy},
    )

    messages = _read_raw(kafka.bootstrap_servers, name, len(samples))
    values = [
        deserializer(m.value(), SerializationContext(name, MessageField.VALUE)) for m in messages
    ]

    assert values[0]["event_id"] == samples[0].event_id
    assert values[0]["occurred_at"] == NOW
    assert values[0]["method"] == "REMOTE"
    assert values[0]["battery_percent"] == 70
    assert values[1]["grantee"] == {"guest_id": "guest", "display_name": "Ada"}
    assert values[1]["validity"]["ends_at"] == NOW + timedelta(days=1)


def test_keybus_consumer_reads_confluent_serializer_bytes(
    kafka: KafkaEndpoint, topic: TopicFactory, schema_registry: str, collect: Any
) -> None:
    name = topic()
    samples = _samples()
    registry = SchemaRegistryClient({"url": schema_registry})
    producer = KafkaProducer({"bootstrap.servers": kafka.bootstrap_servers})
    for event in samples:
        serializer = AvroSerializer(
            registry,
            type(event).avro_schema().text,
            to_dict=lambda value, ctx: value.to_avro(),
            conf={"subject.name.strategy": topic_record_subject_name_strategy},
        )
        value = serializer(event, SerializationContext(name, MessageField.VALUE))
        producer.produce(name, key=event.aggregate_id.encode(), value=value)
    producer.flush()

    received = collect(
        kafka.bootstrap_servers, schema_registry, name, [DoorUnlocked, AccessGranted], len(samples)
    )

    assert received == samples
    assert isinstance(received[1], AccessGranted)
    assert isinstance(received[1].grantee, GuestGrantee)
