"""Bad input on real Kafka and the keybus registry: a typed error each, nothing else lost."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from confluent_kafka import Producer as KafkaProducer

from keybus import Consumer, Producer
from keybus.catalog import DeviceStatusChanged, DoorLocked, DoorUnlocked
from keybus.catalog.com.example.access import AccessMethod, DeviceStatus, LockTrigger
from keybus.client import (
    ConsumedRecord,
    Decision,
    MessageTooLargeError,
    PublishBatchError,
)
from keybus.registry import RegistryClient, RegistryUnavailableError
from keybus.serde import SerializationError, UnknownSchemaIdError, WireFormatError
from keybus.testing import KafkaEndpoint
from keybus.testing.plugin import TopicFactory


def _locked(number: int) -> DoorLocked:
    return DoorLocked(lock_id="l", trigger=LockTrigger.KEY, open_duration_ms=number)


def _oversized() -> DeviceStatusChanged:
    return DeviceStatusChanged(
        lock_id="l",
        status=DeviceStatus.ONLINE,
        firmware_version="1",
        attributes={"dump": "x" * 5000},
    )


class SkipAndRecord:
    """A failure policy that skips every failed record and keeps the errors."""

    def __init__(self) -> None:
        self.errors: list[tuple[int, Exception]] = []

    def on_failure(self, record: ConsumedRecord, error: Exception) -> Decision:
        self.errors.append((record.offset, error))
        return Decision.SKIP


def test_event_that_does_not_fit_schema_is_never_sent(
    kafka: KafkaEndpoint, topic: TopicFactory, schema_registry: str, collect: Any
) -> None:
    name = topic()
    unvalidated = DoorUnlocked.model_construct(
        **{**DoorUnlocked(lock_id="l", method=AccessMethod.PIN).__dict__, "lock_id": 42}
    )

    valid = _locked(1)

    with Producer(kafka.bootstrap_servers, schema_registry, auto_register=True) as producer:
        with pytest.raises(SerializationError) as caught:
            producer.publish(unvalidated, topic=name)
        producer.publish(valid, topic=name)
    received = collect(
        kafka.bootstrap_servers, schema_registry, name, [DoorUnlocked, DoorLocked], 2, timeout_s=6
    )

    assert "lock_id" in str(caught.value)
    assert "42" in str(caught.value)
    assert received == [valid]


def test_plain_value_out_of_int_range_rejected(
    kafka: KafkaEndpoint, topic: TopicFactory, schema_registry: str
) -> None:
    name = topic()
    value = DoorUnlocked(lock_id="l", method=AccessMethod.PIN).to_avro() | {
        "battery_percent": 2**31
    }

    producer = Producer(kafka.bootstrap_servers, schema_registry, auto_register=True)

    with producer, pytest.raises(SerializationError) as caught:
        producer.publish_dict(
            value, schema=DoorUnlocked.avro_schema(), topic=name, key="l", event_id="e-1"
        )

    assert caught.value.field is not None
    assert caught.value.field.endswith("battery_percent")
    assert "2147483648" in str(caught.value)


def test_record_over_producer_limit_names_setting(
    kafka: KafkaEndpoint, topic: TopicFactory, schema_registry: str
) -> None:
    name = topic()
    config = {"message.max.bytes": 2000}

    with (
        Producer(
            kafka.bootstrap_servers, schema_registry, auto_register=True, config=config
        ) as producer,
        pytest.raises(MessageTooLargeError) as caught,
    ):
        producer.publish(_oversized(), topic=name)

    assert caught.value.size_bytes > 5000
    assert "message.max.bytes (2000 bytes)" in str(caught.value)
    assert not caught.value.retryable


def test_record_over_topic_limit_fails_alone(
    kafka: KafkaEndpoint, topic: TopicFactory, schema_registry: str, collect: Any
) -> None:
    name = topic(config={"max.message.bytes": "3000"})
    big = _oversized()
    batch = [_locked(1), big, _locked(2)]

    producer = Producer(kafka.bootstrap_servers, schema_registry, auto_register=True)

    with producer, pytest.raises(PublishBatchError) as caught:
        producer.publish_batch(batch, topic=name)
    received = collect(
        kafka.bootstrap_servers, schema_registry, name, [DoorLocked, DeviceStatusChanged], 2
    )

    [failure] = caught.value.failures
    assert isinstance(failure, MessageTooLargeError)
    assert failure.event_id == str(big.event_id)
    assert f"topic {name}'s max.message.bytes" in str(failure)
    assert caught.value.delivered == 2
    assert received == [batch[0], batch[2]]


def test_registry_outage_cached_schemas_keep_working(
    kafka: KafkaEndpoint, topic: TopicFactory, registry_factory: Any, collect: Any
) -> None:
    name = topic()
    private = registry_factory()
    client = RegistryClient(private.url)
    producer = Producer(kafka.bootstrap_servers, client, auto_register=True)
    producer.publish(_locked(1), topic=name)

    private.stop()
    producer.publish(_locked(2), topic=name)
    with pytest.raises(RegistryUnavailableError) as caught:
        producer.publish(DoorUnlocked(lock_id="l", method=AccessMethod.PIN), topic=name)
    producer.close()

    assert private.url in str(caught.value)
    assert caught.value.retryable
    assert "Check that the registry is running" in str(caught.value)


def test_consumer_with_cached_schema_survives_outage(
    kafka: KafkaEndpoint, topic: TopicFactory, registry_factory: Any
) -> None:
    name = topic()
    private = registry_factory()
    client = RegistryClient(private.url)
    with Producer(kafka.bootstrap_servers, client, auto_register=True) as producer:
        producer.publish(_locked(1), topic=name)
    received: list[Any] = []
    consumer = Consumer(kafka.bootstrap_servers, f"g-{uuid.uuid4().hex[:6]}", client, topics=[name])
    consumer.add_handler(DoorLocked, received.append)
    consumer.run(max_events=1, idle_timeout_s=20, handle_signals=False)

    private.stop()
    with Producer(kafka.bootstrap_servers, client, auto_register=True) as producer:
        producer.publish(_locked(2), topic=name)
    consumer.run(max_events=1, idle_timeout_s=20, handle_signals=False)
    consumer.close()

    assert [e.open_duration_ms for e in received] == [1, 2]


def test_undecodable_records_reach_failure_policy(
    kafka: KafkaEndpoint, topic: TopicFactory, schema_registry: str
) -> None:
    name = topic()
    raw = KafkaProducer({"bootstrap.servers": kafka.bootstrap_servers})
    raw.produce(name, value=b'{"lock_id": "l"}')
    raw.produce(name, value=b"\x00\x00\x0f\x42\x40\x02")
    raw.flush()
    with Producer(kafka.bootstrap_servers, schema_registry, auto_register=True) as producer:
        producer.publish(_locked(7), topic=name)
    policy = SkipAndRecord()
    handled: list[Any] = []

    with Consumer(
        kafka.bootstrap_servers,
        f"g-{uuid.uuid4().hex[:6]}",
        schema_registry,
        topics=[name],
        failure_policy=policy,
    ) as consumer:
        consumer.add_handler(DoorLocked, handled.append)
        consumer.run(max_events=3, idle_timeout_s=20, handle_signals=False)

    [(first_offset, first), (second_offset, second)] = policy.errors
    assert (first_offset, second_offset) == (0, 1)
    assert isinstance(first, WireFormatError)
    assert first.actual == "0x7b"
    assert isinstance(second, UnknownSchemaIdError)
    assert second.schema_id == 1_000_000
    assert [e.open_duration_ms for e in handled] == [7]
