"""Retry tiers and dead letters against the session's real Kafka; handlers are test functions."""

from __future__ import annotations

from collections import Counter

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
