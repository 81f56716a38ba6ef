"""A subscription from YAML: pattern filtering and forwarding to a target, on real Kafka.

Real: the session's Kafka broker, the subscription's retrying consumer and its forwarder.
"""

from __future__ import annotations

from pathlib import Path

from retry_kit import GroupTopics, drive, produce, read_all, unique_group

from keybus.retry.subscription import load_subscriptions
from keybus.testing import KafkaEndpoint
from keybus.testing.plugin import TopicFactory


def test_yaml_subscription_forwards_matching_events(
    kafka: KafkaEndpoint, topic: TopicFactory, group_topics: GroupTopics, tmp_path: Path
) -> None:
    source, target = topic(), topic()
    group = unique_group("forward")
    path = tmp_path / "subscriptions.yaml"
    path.write_text(
        "subscriptions:\n"
        f"  - group: {group}\n"
        f"    topic: {source}\n"
        "    pattern: {type: [com.example.orders.OrderPlaced]}\n"
        f"    target: {target}\n"
        "    retry: {tiers: [1s], max_attempts: 2}\n"
    )
    [subscription] = load_subscriptions(path)
    group_topics(source, group, subscription.retry)
    consumer = subscription.consumer(kafka.bootstrap_servers)
    placed = [("ce_type", b"com.example.orders.OrderPlaced"), ("ce_id", b"e-1")]
    cancelled = [("ce_type", b"com.example.orders.OrderCancelled"), ("ce_id", b"e-2")]
    produce(kafka.bootstrap_servers, source, [(b"o-1", b'{"n": 1}')], headers=placed)
    produce(kafka.bootstrap_servers, source, [(b"o-2", b'{"n": 2}')], headers=cancelled)

    drive(consumer, lambda: consumer.stats.handled + consumer.stats.skipped == 2, timeout_s=20)
    consumer.close()

    [forwarded] = read_all(kafka.bootstrap_servers, target)
    assert consumer.stats.handled == 1
    assert consumer.stats.skipped == 1
    assert forwarded.key() == b"o-1"
    assert forwarded.value() == b'{"n": 1}'
    assert forwarded.headers() == placed
