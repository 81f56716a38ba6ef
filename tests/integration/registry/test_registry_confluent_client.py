"""confluent-kafka's own registry client, serializer and deserializer against keybus's registry.

Real: the `keybus registry serve` subprocess, Kafka, and confluent-kafka's client code.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

from keybus.testing.backends import KafkaEndpoint

DOOR_V1 = json.dumps(
    {
        "type": "record",
        "name": "DoorUnlocked",
        "namespace": "com.example.access",
        "fields": [{"name": "door_id", "type": "string"}, {"name": "floor", "type": "int"}],
    }
)
DOOR_V2 = json.dumps(
    {
        "type": "record",
        "name": "DoorUnlocked",
        "namespace": "com.example.access",
        "fields": [
            {"name": "door_id", "type": "string"},
            {"name": "floor", "type": "int"},
            {"name": "badge", "type": ["null", "string"], "default": None},
        ],
    }
)
DOOR_BREAKING = json.dumps(
    {
        "type": "record",
        "name": "DoorUnlocked",
        "namespace": "com.example.access",
        "fields": [{"name": "door_id", "type": "long"}],
    }
)


@pytest.fixture
def client(schema_registry: str) -> Iterator[SchemaRegistryClient]:
    """Provide confluent-kafka's registry client, pointed at keybus's registry."""
    registry_client = SchemaRegistryClient({"url": schema_registry})
    yield registry_client
    registry_client.close()


def test_register_lookup_fetch(client: SchemaRegistryClient, unique: Callable[[str], str]) -> None:
    subject = unique("doors-value")

    schema_id = client.register_schema(subject, Schema(DOOR_V1, "AVRO"))
    found = client.lookup_schema(subject, Schema(DOOR_V1, "AVRO"))
    fetched = client.get_schema(schema_id)
    latest = client.get_latest_version(subject)

    assert found.schema_id == schema_id
    assert found.version == 1
    assert json.loads(fetched.schema_str)["name"] == "DoorUnlocked"
    assert latest.version == 1
    assert latest.schema_id == schema_id
    assert subject in client.get_subjects()
    assert client.get_versions(subject) == [1]


def test_compatibility_set_and_test(
    client: SchemaRegistryClient, unique: Callable[[str], str]
) -> None:
    subject = unique("doors-value")
    client.register_schema(subject, Schema(DOOR_V1, "AVRO"))

    level = client.set_compatibility(subject, "FULL")
    compatible = client.test_compatibility(subject, Schema(DOOR_V2, "AVRO"))
    breaking = client.test_compatibility(subject, Schema(DOOR_BREAKING, "AVRO"))
    with pytest.raises(SchemaRegistryError) as rejected:
        client.register_schema(subject, Schema(DOOR_BREAKING, "AVRO"))

    assert level == {"compatibility": "FULL"}
    assert client.get_compatibility(subject) == "FULL"
    assert compatible is True
    assert breaking is False
    assert rejected.value.http_status_code == 409
    assert rejected.value.error_code == 40901


def test_delete_version_and_subject(
    client: SchemaRegistryClient, unique: Callable[[str], str]
) -> None:
    subject = unique("doors-value")
    client.register_schema(subject, Schema(DOOR_V1, "AVRO"))
    client.register_schema(subject, Schema(DOOR_V2, "AVRO"))

    deleted_version = client.delete_version(subject, 2)
    remaining = client.get_versions(subject)
    deleted_versions = client.delete_subject(subject)
    purged = client.delete_subject(subject, permanent=True)

    assert deleted_version == 2
    assert remaining == [1]
    assert deleted_versions == [1]
    assert purged == [1, 2]
    with pytest.raises(SchemaRegistryError) as missing:
        client.get_versions(subject)
    assert missing.value.error_code == 40401


def test_serialized_record_reads_back(
    schema_registry: str,
    kafka: KafkaEndpoint,
    topic: Callable[..., str],
) -> None:
    name = topic()
    serializer_client = SchemaRegistryClient({"url": schema_registry})
    serializer = AvroSerializer(serializer_client, DOOR_V1)
    context = SerializationContext(name, MessageField.VALUE)
    event = {"door_id": "d-17", "floor": 3}
    producer = Producer({"bootstrap.servers": kafka.bootstrap_servers})
    producer.produce(name, key=b"d-17", value=serializer(event, context))
    producer.flush(30)

    consumer = Consumer(
        {
            "bootstrap.servers": kafka.bootstrap_servers,
            "group.id": f"{name}-reader",
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([name])
    message = None
    for _ in range(100):
        message = consumer.poll(0.5)
        if message is not None and message.error() is None:
            break
    consumer.close()
    deserializer = AvroDeserializer(SchemaRegistryClient({"url": schema_registry}))

    assert message is not None
    value = message.value()
    assert value is not None
    assert value[0] == 0
    assert deserializer(value, context) == event
    registered = serializer_client.get_latest_version(f"{name}-value")
    assert int.from_bytes(value[1:5], "big") == registered.schema_id


def test_subject_with_slash(client: SchemaRegistryClient, unique: Callable[[str], str]) -> None:
    subject = unique("team/doors-value")

    schema_id = client.register_schema(subject, Schema(DOOR_V1, "AVRO"))
    found = client.lookup_schema(subject, Schema(DOOR_V1, "AVRO"))
    versions = client.get_versions(subject)
    subjects = client.get_subjects()
    level = client.set_compatibility(subject, "NONE")
    deleted = client.delete_subject(subject)

    assert found.schema_id == schema_id
    assert found.subject == subject
    assert versions == [1]
    assert subject in subjects
    assert level == {"compatibility": "NONE"}
    assert deleted == [1]
