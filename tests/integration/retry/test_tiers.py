"""Retry tiers and dead letters against the session's real Kafka; handlers are test functions."""

from __future__ import annotations

import json
import time
from collections import Counter

from confluent_kafka import Message
from retry_kit import GroupTopics, drive, produce, read_all, settle, unique_group

from keybus.retry import InboundRecord, RetryingConsumer, RetryPolicy
from keybus.testing import KafkaEndpoint
from keybus.testing.plugin import TopicFactory

FAST = RetryPolicy(tiers_s=(1.0, 2.0), max_attempts=4, jitter_ratio=0.0)


class FlakyHandler:
    """Fail the first `failures` deliveries of each key, then succeed."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.deliveries: Counter[bytes] = Counter()
        self.handled: Counter[bytes] = Counter()

    def __call__(self, record: InboundRecord) -> None:
        assert record.key is not None
        self.deliveries[record.key] += 1
        if self.deliveries[record.key] <= self.failures:
            raise TimeoutError(f"inventory service timed out for {record.key!r}")
        self.handled[record.key] += 1


def test_fails_twice_then_processed_once(
    kafka: KafkaEndpoint, topic: TopicFactory, group_topics: GroupTopics
) -> None:
    source = topic()
    group = unique_group("flaky")
    retry_1s, retry_2s, dead_letters, _ledger = group_topics(source, group, FAST)
    handler = FlakyHandler(failures=2)
    consumer = RetryingConsumer(
        bootstrap_servers=kafka.bootstrap_servers,
        group=group,
        topics=[source],
        handler=handler,
        policy=FAST,
    )
    produce(kafka.bootstrap_servers, source, [(b"order-1", b"payload")])

    elapsed = drive(consumer, lambda: handler.handled[b"order-1"] == 1, timeout_s=30)
    settle(consumer, 1.0)
    consumer.close()

    assert handler.handled == Counter({b"order-1": 1})
    assert handler.deliveries[b"order-1"] == 3
    assert elapsed >= 3.0, "the two retries must wait for the 1 s and 2 s tiers"
    assert len(read_all(kafka.bootstrap_servers, retry_1s)) == 1
    assert len(read_all(kafka.bootstrap_servers, retry_2s)) == 1
    assert read_all(kafka.bootstrap_servers, dead_letters) == []
    assert consumer.stats.retried == 2


def _headers(message: Message) -> dict[str, list[bytes]]:
    found: dict[str, list[bytes]] = {}
    for name, value in message.headers() or []:
        found.setdefault(name, []).append(value or b"")
    return found


def _always_fail(record: InboundRecord) -> None:
    raise ConnectionRefusedError(f"payment gateway refused {record.key!r}")


def test_permanent_failure_parked_with_headers(
    kafka: KafkaEndpoint, topic: TopicFactory, group_topics: GroupTopics
) -> None:
    source = topic()
    group = unique_group("permanent")
    retry_1s, retry_2s, dead_letters, _ledger = group_topics(source, group, FAST)
    consumer = RetryingConsumer(
        bootstrap_servers=kafka.bootstrap_servers,
        group=group,
        topics=[source],
        handler=_always_fail,
        policy=FAST,
    )
    user_headers = [("ce_id", b"evt-1"), ("ce_type", b"com.example.PaymentRequested")]
    produce(kafka.bootstrap_servers, source, [(b"pay-7", b"{}")], headers=user_headers)
    started_ms = int(time.time() * 1000)

    drive(consumer, lambda: consumer.stats.dead_lettered == 1, timeout_s=30)
    consumer.close()

    [parked] = read_all(kafka.bootstrap_servers, dead_letters)
    headers = _headers(parked)
    assert parked.key() == b"pay-7"
    assert parked.value() == b"{}"
    assert headers["ce_id"] == [b"evt-1"]
    assert headers["ce_type"] == [b"com.example.PaymentRequested"]
    assert all(len(values) == 1 for values in headers.values()), headers
    assert headers["keybus-original-topic"] == [source.encode()]
    assert headers["keybus-original-partition"] == [b"0"]
    assert headers["keybus-original-offset"] == [b"0"]
    assert int(headers["keybus-original-timestamp-ms"][0]) >= started_ms - 5000
    assert headers["keybus-consumer-group"] == [group.encode()]
    assert headers["keybus-attempts"] == [b"4"]
    assert headers["keybus-error-type"] == [b"ConnectionRefusedError"]
    assert headers["keybus-error-message"] == [b"payment gateway refused b'pay-7'"]
    assert b"ConnectionRefusedError" in headers["keybus-error-stacktrace"][0]
    assert headers["keybus-dead-letter-reason"] == [b"max-attempts"]
    first = int(headers["keybus-first-failure-ms"][0])
    last = int(headers["keybus-last-failure-ms"][0])
    assert last - first >= 1000 + 2000 + 2000, "three retries wait 1 s, 2 s and 2 s"
    assert "keybus-due-ms" not in headers
    assert "keybus-retry-tier" not in headers
    assert len(read_all(kafka.bootstrap_servers, retry_1s)) == 1
    assert len(read_all(kafka.bootstrap_servers, retry_2s)) == 2


def test_undecodable_goes_straight_to_dead_letters(
    kafka: KafkaEndpoint, topic: TopicFactory, group_topics: GroupTopics
) -> None:
    source = topic()
    group = unique_group("undecodable")
    retry_1s, retry_2s, dead_letters, _ledger = group_topics(source, group, FAST)
    handled: list[object] = []
    consumer = RetryingConsumer(
        bootstrap_servers=kafka.bootstrap_servers,
        group=group,
        topics=[source],
        handler=lambda record: handled.append(record.event),
        policy=FAST,
        decoder=lambda record: json.loads(record.value or b""),
    )
    produce(
        kafka.bootstrap_servers, source, [(b"k", b"\x00\x00\x00\x00\x07garbage"), (b"k", b"{}")]
    )

    drive(consumer, lambda: len(handled) == 1, timeout_s=20)
    consumer.close()

    [parked] = read_all(kafka.bootstrap_servers, dead_letters)
    headers = _headers(parked)
    assert handled == [{}]
    assert parked.value() == b"\x00\x00\x00\x00\x07garbage"
    assert headers["keybus-error-type"] == [b"keybus.retry.errors.UndecodableRecordError"]
    assert headers["keybus-dead-letter-reason"] == [b"not-retryable"]
    assert headers["keybus-attempts"] == [b"1"]
    assert b"cannot be decoded" in headers["keybus-error-message"][0]
    assert read_all(kafka.bootstrap_servers, retry_1s) == []
    assert read_all(kafka.bootstrap_servers, retry_2s) == []


def test_partition_keeps_flowing_while_one_event_retries(
    kafka: KafkaEndpoint, topic: TopicFactory, group_topics: GroupTopics
) -> None:
    source = topic()
    group = unique_group("flowing")
    group_topics(source, group, FAST)
    deliveries: Counter[bytes] = Counter()
    handled: Counter[bytes] = Counter()

    def handler(record: InboundRecord) -> None:
        assert record.key is not None
        deliveries[record.key] += 1
        if record.key == b"slow" and deliveries[record.key] <= 2:
            raise TimeoutError("pricing service timed out")
        handled[record.key] += 1

    consumer = RetryingConsumer(
        bootstrap_servers=kafka.bootstrap_servers,
        group=group,
        topics=[source],
        handler=handler,
        policy=FAST,
    )
    produce(kafka.bootstrap_servers, source, [(b"slow", b"x")])
    drive(consumer, lambda: deliveries[b"slow"] == 1, timeout_s=20)

    lags: list[int] = []
    sent = 0
    while handled[b"slow"] == 0:
        batch = [(f"healthy-{sent + i}".encode(), b"x") for i in range(20)]
        produce(kafka.bootstrap_servers, source, batch)
        sent += len(batch)
        consumer.poll_once(timeout_s=0.1)
        lags.append(sent - (sum(handled.values()) - handled[b"slow"]))
    settle(consumer, 0.5)
    consumer.close()

    healthy = sum(handled.values()) - handled[b"slow"]
    print(f"healthy_sent={sent} max_lag={max(lags)} samples={len(lags)}")
    assert handled[b"slow"] == 1
    assert deliveries[b"slow"] == 3
    assert healthy == sent
    assert sent >= 100, "healthy events must keep arriving for the whole retry"
    assert max(lags) <= 60, f"healthy lag grew while one event was retried: {lags}"
