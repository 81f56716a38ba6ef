"""Blocking in-place retries and the stop-the-consumer classification, on real Kafka.

Real: the session's Kafka broker and the retrying consumer; the handlers are test
functions that fail on purpose.
"""

from __future__ import annotations

import time

import pytest
from confluent_kafka import Consumer, TopicPartition
from retry_kit import GroupTopics, drive, produce, read_all, unique_group

from keybus.retry import (
    ConsumerStoppedError,
    InboundRecord,
    InPlaceRetry,
    RetryingConsumer,
    RetryPolicy,
    StopConsumerError,
)
from keybus.testing import KafkaEndpoint
from keybus.testing.plugin import TopicFactory

IN_PLACE = RetryPolicy(in_place=InPlaceRetry(max_attempts=4, backoff_s=0.5, budget_s=10))


def _committed(servers: str, group: str, topic: str) -> int:
    consumer = Consumer({"bootstrap.servers": servers, "group.id": group})
    try:
        [position] = consumer.committed([TopicPartition(topic, 0)], timeout=10)
        return position.offset
    finally:
        consumer.close()


def test_in_place_retry_keeps_partition_order(
    kafka: KafkaEndpoint, topic: TopicFactory, group_topics: GroupTopics
) -> None:
    source = topic()
    group = unique_group("in-place")
    topics = group_topics(source, group, IN_PLACE)
    deliveries: list[tuple[str, float]] = []
    handled: list[str] = []

    def handler(record: InboundRecord) -> None:
        key = (record.key or b"").decode()
        deliveries.append((key, time.monotonic()))
        if key == "account-1" and len(deliveries) <= 2:
            raise TimeoutError("balance service timed out")
        handled.append(key)

    consumer = RetryingConsumer(
        bootstrap_servers=kafka.bootstrap_servers,
        group=group,
        topics=[source],
        handler=handler,
        policy=IN_PLACE,
    )
    produce(kafka.bootstrap_servers, source, [(f"account-{i}".encode(), b"{}") for i in (1, 2, 3)])

    drive(consumer, lambda: len(handled) == 3, timeout_s=20)
    consumer.close()

    assert [name.rsplit(".", 1)[-1] for name in topics] == ["dlq", "replayed"]
    assert handled == ["account-1", "account-2", "account-3"]
    assert [key for key, _at in deliveries[:3]] == ["account-1"] * 3
    assert deliveries[1][1] - deliveries[0][1] >= 0.45, "first backoff is 0.5 s"
    assert deliveries[2][1] - deliveries[1][1] >= 0.95, "second backoff doubles to 1 s"
    assert consumer.stats.retried_in_place == 2


def test_in_place_budget_parks_then_moves_on(
    kafka: KafkaEndpoint, topic: TopicFactory, group_topics: GroupTopics
) -> None:
    source = topic()
    group = unique_group("in-place-budget")
    policy = RetryPolicy(in_place=InPlaceRetry(max_attempts=3, backoff_s=0.2, budget_s=5))
    _dead_letters, _ledger = group_topics(source, group, policy)
    handled: list[str] = []

    def handler(record: InboundRecord) -> None:
        if record.key == b"broken":
            raise ConnectionError("warehouse API is down")
        handled.append((record.key or b"").decode())

    consumer = RetryingConsumer(
        bootstrap_servers=kafka.bootstrap_servers,
        group=group,
        topics=[source],
        handler=handler,
        policy=policy,
    )
    produce(kafka.bootstrap_servers, source, [(b"broken", b"{}"), (b"fine", b"{}")])

    drive(consumer, lambda: handled == ["fine"], timeout_s=20)
    consumer.close()

    [parked] = read_all(kafka.bootstrap_servers, _dead_letters)
    headers = dict(parked.headers() or [])
    assert headers["keybus-dead-letter-reason"] == b"in-place-budget"
    assert headers["keybus-attempts"] == b"3"
    assert headers["keybus-error-type"] == b"ConnectionError"
    assert consumer.stats.retried_in_place == 2


def test_stop_error_stops_without_commit(
    kafka: KafkaEndpoint, topic: TopicFactory, group_topics: GroupTopics
) -> None:
    source = topic()
    group = unique_group("stop")
    policy = RetryPolicy(tiers_s=(1.0,), max_attempts=3)
    retry_1s, dead_letters, _ledger = group_topics(source, group, policy)
    seen: list[bytes] = []

    def handler(record: InboundRecord) -> None:
        seen.append(record.key or b"")
        if record.key == b"poison":
            raise StopConsumerError("database credentials were rejected; fix the secret")

    consumer = RetryingConsumer(
        bootstrap_servers=kafka.bootstrap_servers,
        group=group,
        topics=[source],
        handler=handler,
        policy=policy,
        commit_interval_s=0.0,
    )
    produce(kafka.bootstrap_servers, source, [(b"first", b"{}"), (b"poison", b"{}")])

    with pytest.raises(ConsumerStoppedError, match="classified as fatal") as stopped:
        drive(consumer, lambda: False, timeout_s=20)
    consumer.close()

    assert stopped.value.offset == 1
    assert "database credentials were rejected" in str(stopped.value)
    assert seen == [b"first", b"poison"]
    assert _committed(kafka.bootstrap_servers, group, source) == 1
    assert read_all(kafka.bootstrap_servers, retry_1s) == []
    assert read_all(kafka.bootstrap_servers, dead_letters) == []
