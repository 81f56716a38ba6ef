"""Topic config names that keybus accepts match the broker's own.

Real: the session's Kafka broker, a topic created for the test, and its DescribeConfigs.
"""

from __future__ import annotations

import time

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, ConfigEntry, ConfigResource

from keybus.testing.plugin import TopicFactory
from keybus.topics.configs import ENUM_VALUES, TOPIC_CONFIGS


def _describe(admin: AdminClient, name: str) -> dict[str, ConfigEntry]:
    """Describe a topic's configs, waiting while a just-created topic is still unknown."""
    resource = ConfigResource(ConfigResource.Type.TOPIC, name)
    deadline = time.monotonic() + 15.0
    while True:
        try:
            entries: dict[str, ConfigEntry] = admin.describe_configs([resource])[resource].result(
                timeout=30
            )
        except KafkaException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
            continue
        return entries


def test_config_names_match_broker(kafka_admin: AdminClient, topic: TopicFactory) -> None:
    name = topic()

    entries = _describe(kafka_admin, name)

    assert set(entries) == TOPIC_CONFIGS


def test_enum_defaults_are_allowed(kafka_admin: AdminClient, topic: TopicFactory) -> None:
    name = topic()

    entries = _describe(kafka_admin, name)

    for key, allowed in ENUM_VALUES.items():
        for item in entries[key].value.split(","):
            assert item.lower() in {value.lower() for value in allowed}, (key, item)
