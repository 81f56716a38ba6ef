"""Invalid topic names on real Kafka and the keybus registry: rejected before any registration.

Kafka, the registry and the producer are real. Each test uses its own schema name, so the
subject it checks for cannot come from another test.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from keybus import Consumer, Producer
from keybus.catalog import DoorUnlocked
from keybus.catalog.com.example.access import AccessMethod
from keybus.errors import InvalidTopicNameError
from keybus.registry import RegistryClient
from keybus.testing import KafkaEndpoint
from keybus.types import Subject

BAD_TOPIC = "bad topic/ü"


def _schema() -> dict[str, Any]:
    name = f"Reading{uuid.uuid4().hex[:8]}"
    return {"type": "record", "name": name, "fields": [{"name": "a", "type": "int"}]}


def test_publish_dict_invalid_topic_registers_nothing(
    kafka: KafkaEndpoint, schema_registry: str, registry: RegistryClient
) -> None:
    schema = _schema()
    subject = Subject(f"{BAD_TOPIC}-{schema['name']}")

    producer = Producer(kafka.bootstrap_servers, schema_registry, auto_register=True)

    with producer, pytest.raises(InvalidTopicNameError) as caught:
        producer.publish_dict({"a": 1}, schema=schema, topic=BAD_TOPIC, event_id="e1")

    assert caught.value.topic == BAD_TOPIC
    assert "' ', '/' and 'ü'" in str(caught.value)
    assert subject not in registry.get_subjects()


@pytest.mark.parametrize("method", ["publish", "publish_nowait", "publish_batch"])
def test_publish_invalid_topic_registers_nothing(
    kafka: KafkaEndpoint, schema_registry: str, registry: RegistryClient, method: str
) -> None:
    event = DoorUnlocked(lock_id="l", method=AccessMethod.PIN)
    subject = Subject(f"{BAD_TOPIC}-{DoorUnlocked.__avro_name__}")

    producer = Producer(kafka.bootstrap_servers, schema_registry, auto_register=True)

    with producer, pytest.raises(InvalidTopicNameError):
        if method == "publish_batch":
            producer.publish_batch([event], topic=BAD_TOPIC)
        else:
            getattr(producer, method)(event, topic=BAD_TOPIC)

    assert subject not in registry.get_subjects()


def test_consumer_rejects_invalid_topic(kafka: KafkaEndpoint, schema_registry: str) -> None:
    with pytest.raises(InvalidTopicNameError) as caught:
        Consumer(kafka.bootstrap_servers, "g-invalid-topic", schema_registry, topics=[".."])

    assert caught.value.topic == ".."
    assert "Kafka reserves it" in str(caught.value)
