"""Produce and consume through the session's real Kafka broker; nothing is faked."""

from __future__ import annotations

from collections import defaultdict

from confluent_kafka import Consumer, Message, Producer

from keybus.testing import KafkaEndpoint
from keybus.testing.plugin import TopicFactory

EVENT_COUNT = 10_000
KEY_COUNT = 97


def _produce(servers: str, topic: str) -> dict[int, int]:
    """Send EVENT_COUNT numbered records; return sequence number -> acknowledged partition."""
    producer = Producer(
        {
            "bootstrap.servers": servers,
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": 5,
        }
    )
    acknowledged: dict[int, int] = {}
    failures: list[str] = []

    def on_delivery(error: object, message: Message) -> None:
        if error is not None:
            failures.append(str(error))
            return
        acknowledged[int(message.value())] = message.partition()  # type: ignore[arg-type]

    for sequence in range(EVENT_COUNT):
        key = f"aggregate-{sequence % KEY_COUNT}"
        producer.produce(topic, key=key, value=str(sequence).encode(), on_delivery=on_delivery)
        producer.poll(0)
    producer.flush(30)
    assert failures == []
    return acknowledged


def _consume_all(servers: str, topic: str, expected: int) -> list[Message]:
    consumer = Consumer(
        {
            "bootstrap.servers": servers,
            "group.id": f"{topic}-reader",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    records: list[Message] = []
    idle_polls = 0
    while len(records) < expected and idle_polls < 30:
        batch = consumer.consume(num_messages=1000, timeout=1.0)
        idle_polls = 0 if batch else idle_polls + 1
        records.extend(record for record in batch if record.error() is None)
    consumer.close()
    return records


def test_ten_thousand_events_roundtrip_exactly(kafka: KafkaEndpoint, topic: TopicFactory) -> None:
    name = topic(partitions=3)

    acknowledged = _produce(kafka.bootstrap_servers, name)
    records = _consume_all(kafka.bootstrap_servers, name, EVENT_COUNT)

    sequences = [int(record.value()) for record in records]  # type: ignore[arg-type]
    assert len(acknowledged) == EVENT_COUNT
    assert len(sequences) == EVENT_COUNT
    assert sorted(sequences) == list(range(EVENT_COUNT))
    assert {record.partition() for record in records} == {0, 1, 2}


def test_per_partition_and_per_key_order_is_kept(kafka: KafkaEndpoint, topic: TopicFactory) -> None:
    name = topic(partitions=3)

    acknowledged = _produce(kafka.bootstrap_servers, name)
    records = _consume_all(kafka.bootstrap_servers, name, EVENT_COUNT)

    by_partition: dict[int, list[int]] = defaultdict(list)
    by_key: dict[bytes, list[int]] = defaultdict(list)
    for record in records:
        sequence = int(record.value())  # type: ignore[arg-type]
        assert acknowledged[sequence] == record.partition()
        by_partition[record.partition()].append(sequence)
        by_key[record.key()].append(sequence)  # type: ignore[index]
    for partition, sequences in by_partition.items():
        assert sequences == sorted(sequences), f"partition {partition} out of order"
    for key, sequences in by_key.items():
        assert sequences == sorted(sequences), f"key {key!r} out of order"
    assert len(by_key) == KEY_COUNT
