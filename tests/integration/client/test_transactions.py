"""Transactions: all events of a `with producer.transaction()` block appear, or none do.

Real Kafka; read_committed consumers (the keybus default) and a read_uncommitted one.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from keybus import Producer
from keybus.catalog import DoorLocked, DoorUnlocked
from keybus.catalog.com.example.access import AccessMethod, LockTrigger
from keybus.client import TransactionError
from keybus.testing import KafkaEndpoint
from keybus.testing.plugin import TopicFactory


def _producer(kafka: KafkaEndpoint, registry_url: str) -> Producer:
    return Producer(
        kafka.bootstrap_servers,
        registry_url,
        auto_register=True,
        transactional_id=f"test-{uuid.uuid4().hex[:8]}",
    )


def _unlocked(count: int) -> list[DoorUnlocked]:
    return [DoorUnlocked(lock_id=f"l-{i}", method=AccessMethod.PIN) for i in range(count)]


def test_aborted_transaction_invisible_to_read_committed(
    kafka: KafkaEndpoint, topic: TopicFactory, schema_registry: str, collect: Any
) -> None:
    name = topic()
    aborted = _unlocked(3)
    marker = DoorLocked(lock_id="marker", trigger=LockTrigger.MANUAL, open_duration_ms=1)

    with _producer(kafka, schema_registry) as producer:
        with pytest.raises(RuntimeError, match="midway"), producer.transaction():
            producer.publish(aborted[0], topic=name)
            producer.publish(aborted[1], topic=name)
            raise RuntimeError("failure midway")
        with producer.transaction():
            producer.publish(marker, topic=name)
    committed = collect(
        kafka.bootstrap_servers, schema_registry, name, [DoorUnlocked, DoorLocked], 3, timeout_s=8
    )
    uncommitted = collect(
        kafka.bootstrap_servers,
        schema_registry,
        name,
        [DoorUnlocked, DoorLocked],
        3,
        timeout_s=8,
        config={"isolation.level": "read_uncommitted"},
    )

    assert committed == [marker]
    assert uncommitted == [aborted[0], aborted[1], marker]


def test_committed_transaction_visible_together(
    kafka: KafkaEndpoint, topic: TopicFactory, schema_registry: str, collect: Any
) -> None:
    name = topic(partitions=3)
    events = _unlocked(6)

    with _producer(kafka, schema_registry) as producer, producer.transaction():
        producer.publish_batch(events, topic=name)
    received = collect(kafka.bootstrap_servers, schema_registry, name, [DoorUnlocked], 6)

    assert sorted(str(e.event_id) for e in received) == sorted(str(e.event_id) for e in events)


def test_nested_transaction_rejected(kafka: KafkaEndpoint, schema_registry: str) -> None:
    producer = _producer(kafka, schema_registry)

    with producer, producer.transaction(), pytest.raises(TransactionError) as caught:  # noqa: SIM117
        with producer.transaction():
            pass

    assert "already open" in str(caught.value)
