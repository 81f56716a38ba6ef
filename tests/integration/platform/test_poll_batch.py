"""On a real broker, a batch returns with the records in hand, not when it is full."""

from __future__ import annotations

import time
import uuid

from confluent_kafka import Consumer, Producer

from keybus.batches import poll_batch
from keybus.testing import KafkaEndpoint
from keybus.testing.plugin import TopicFactory


def test_partial_batch_returns_long_before_the_timeout(
    kafka: KafkaEndpoint, topic: TopicFactory
) -> None:
    name = topic(partitions=1)
    producer = Producer({"bootstrap.servers": kafka.bootstrap_servers})
    for number in range(3):
        producer.produce(name, str(number).encode())
    assert producer.flush(30) == 0
    consumer = Consumer(
        {
            "bootstrap.servers": kafka.bootstrap_servers,
            "group.id": f"poll-batch-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([name])
    try:
        started = time.monotonic()
        values: list[bytes | None] = []
        while len(values) < 3 and time.monotonic() - started < 60:
            values += [m.value() for m in poll_batch(consumer, 500, 30.0) if m.error() is None]
        elapsed = time.monotonic() - started
    finally:
        consumer.close()

    assert values == [b"0", b"1", b"2"]
    # A batch that waited to be full would return only when its 30 s ran out.
    assert elapsed < 25, f"the batch of 3 records took {elapsed:.1f} s"
