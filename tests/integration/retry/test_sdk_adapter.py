"""The SDK consumer parks failures in the retry tiers and gets them back when due.

Real: the session's Kafka broker, the keybus registry process, the SDK producer and
consumer. The handler is a test function that fails twice.
"""

from __future__ import annotations

from confluent_kafka import Producer as KafkaProducer
from retry_kit import GroupTopics, drive, read_all, unique_group

from keybus import Producer
from keybus.catalog import DoorLocked
from keybus.client import Consumer
from keybus.retry import FailureHandler, RetryPolicy, producer_settings
from keybus.retry.adapters import RetryTiersPolicy, sdk_tier_consumer
from keybus.testing import KafkaEndpoint
from keybus.testing.plugin import TopicFactory

FAST = RetryPolicy(tiers_s=(1.0, 2.0), max_attempts=4, jitter_ratio=0.0)


def test_sdk_consumer_retries_through_tiers(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory, group_topics: GroupTopics
) -> None:
    servers = kafka.bootstrap_servers
    source = topic()
    group = unique_group("sdk")
    retry_1s, retry_2s, dead_letters, _ledger = group_topics(source, group, FAST)
    failures = FailureHandler(KafkaProducer(producer_settings(servers)), group=group, policy=FAST)
    deliveries: list[DoorLocked] = []
    handled: list[DoorLocked] = []

    def on_locked(event: DoorLocked) -> None:
        deliveries.append(event)
        if len(deliveries) <= 2:
            raise TimeoutError("lock audit service timed out")
        handled.append(event)

    event = DoorLocked(lock_id="lock-7", trigger="MANUAL", open_duration_ms=900)
    with Producer(servers, schema_registry, auto_register=True) as producer:
        producer.publish(event, topic=source)
    sdk = Consumer(
        servers,
        group,
        schema_registry,
        topics=[source],
        failure_policy=RetryTiersPolicy(failures),
    )
    sdk.add_handler(DoorLocked, on_locked)
    tiers = sdk_tier_consumer(sdk, failures, servers)

    sdk.run(max_events=1, idle_timeout_s=20, handle_signals=False)
    sdk.close()
    drive(tiers, lambda: len(handled) == 1, timeout_s=30)
    tiers.close()

    assert handled == [event]
    assert len(deliveries) == 3
    assert len(read_all(servers, retry_1s)) == 1
    assert len(read_all(servers, retry_2s)) == 1
    assert read_all(servers, dead_letters) == []
