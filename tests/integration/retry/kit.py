"""Helpers of the retry integration tests: producing, reading back and driving a consumer."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import pytest
from confluent_kafka import Consumer, Message, Producer, TopicPartition

from keybus.retry import RetryingConsumer

GroupTopics = Callable[..., list[str]]


def unique_group(label: str) -> str:
    """Return a consumer group id no other test uses."""
    return f"{label}-{uuid.uuid4().hex[:8]}"


def produce(
    servers: str,
    topic: str,
    records: list[tuple[bytes | None, bytes | None]],
    headers: list[tuple[str, bytes]] | None = None,
) -> None:
    """Produce `(key, value)` records and wait until every one is acknowledged."""
    producer = Producer({"bootstrap.servers": servers, "enable.idempotence": True, "acks": "all"})
    for key, value in records:
        producer.produce(topic, key=key, value=value, headers=headers or [])
    assert producer.flush(30) == 0


def read_all(servers: str, topic: str, partitions: int = 1) -> list[Message]:
    """Read every record now in `topic`, from the beginning, without a consumer group."""
    consumer = Consumer(
        {"bootstrap.servers": servers, "group.id": "unused", "enable.auto.commit": False}
    )
    try:
        ends = {}
        for partition in range(partitions):
            _low, high = consumer.get_watermark_offsets(
                TopicPartition(topic, partition), timeout=10
            )
            ends[partition] = high
        consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
        messages: list[Message] = []
        deadline = time.monotonic() + 20
        while any(ends[p] > 0 for p in ends) and time.monotonic() < deadline:
            for message in consumer.consume(100, timeout=0.05):
                if message.error() is None:
                    messages.append(message)
                    if message.offset() + 1 >= ends[message.partition()]:
                        ends[message.partition()] = 0
        return messages
    finally:
        consumer.close()


def drive(consumer: RetryingConsumer, until: Callable[[], bool], timeout_s: float) -> float:
    """Poll `consumer` until `until()` holds; return the seconds it took or fail after timeout."""
    started = time.monotonic()
    while not until():
        if time.monotonic() - started > timeout_s:
            pytest.fail(f"condition not reached in {timeout_s} s; stats={consumer.stats}")
        consumer.poll_once(timeout_s=0.2)
    return time.monotonic() - started


def settle(consumer: RetryingConsumer, seconds: float) -> None:
    """Keep polling for `seconds`, to show that nothing more arrives."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        consumer.poll_once(timeout_s=0.2)
