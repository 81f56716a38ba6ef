"""A v2 producer with a v1 consumer and the reverse, on real Kafka and the keybus registry.

Version 1 of DoorUnlocked comes from avro/history; its model is generated at test time
with the same code generator that produced the shipped bindings. Version 2 (the shipped
model) adds the optional field `courier_id`.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from keybus import Producer
from keybus.catalog import DoorUnlocked
from keybus.catalog.com.example.access import AccessMethod
from keybus.registry import RegistryClient
from keybus.schemas.catalog import Catalog
from keybus.schemas.codegen import import_bindings
from keybus.testing import KafkaEndpoint
from keybus.testing.plugin import TopicFactory

HISTORY = (
    Path(__file__).resolve().parents[3] / "avro/history/com.example.access.DoorUnlocked.v1.avsc"
)


@pytest.fixture(scope="module")
def v1(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """Generate and import the version 1 model of DoorUnlocked."""
    folder = tmp_path_factory.mktemp("v1")
    catalog = folder / "avro"
    catalog.mkdir()
    (catalog / "com.example.access.DoorUnlocked.avsc").write_text(HISTORY.read_text())
    import_bindings(Catalog.load(catalog), "door_unlocked_v1", folder / "out")
    return __import__("door_unlocked_v1.com.example.access", fromlist=["DoorUnlocked"])


def test_history_is_version_one_of_subject(
    v1: ModuleType, registry: RegistryClient, topic: TopicFactory, kafka: KafkaEndpoint
) -> None:
    name = topic()
    subject = f"{name}-com.example.access.DoorUnlocked"

    first = registry.register(subject, json.dumps(v1.DoorUnlocked.__avro_schema__))
    second = registry.register(subject, json.dumps(DoorUnlocked.__avro_schema__))

    assert registry.get_versions(subject) == [1, 2]
    assert first != second


def test_v1_consumer_reads_v2_events(
    v1: ModuleType, kafka: KafkaEndpoint, topic: TopicFactory, schema_registry: str, collect: Any
) -> None:
    name = topic()
    events = [
        DoorUnlocked(lock_id="l", method=AccessMethod.PIN, courier_id="c-7"),
        DoorUnlocked(lock_id="l", method=AccessMethod.KEY, battery_percent=40),
    ]

    with Producer(kafka.bootstrap_servers, schema_registry, auto_register=True) as producer:
        for event in events:
            producer.publish(event, topic=name)
    received = collect(kafka.bootstrap_servers, schema_registry, name, [v1.DoorUnlocked], 2)

    assert [type(e) for e in received] == [v1.DoorUnlocked, v1.DoorUnlocked]
    assert [e.event_id for e in received] == [e.event_id for e in events]
    assert received[1].battery_percent == 40
    assert not hasattr(received[0], "courier_id")
    assert received[0].method == "PIN"


def test_v2_consumer_reads_v1_events(
    v1: ModuleType, kafka: KafkaEndpoint, topic: TopicFactory, schema_registry: str, collect: Any
) -> None:
    name = topic()
    old = v1.DoorUnlocked(lock_id="l", method="BLUETOOTH", grant_id="g-1")

    with Producer(kafka.bootstrap_servers, schema_registry, auto_register=True) as producer:
        producer.publish(old, topic=name)
    received = collect(kafka.bootstrap_servers, schema_registry, name, [DoorUnlocked], 1)

    assert isinstance(received[0], DoorUnlocked)
    assert received[0].event_id == old.event_id
    assert received[0].grant_id == "g-1"
    assert received[0].method is AccessMethod.BLUETOOTH
    assert received[0].courier_id is None


def test_v1_and_v2_interleaved_on_one_topic(
    v1: ModuleType, kafka: KafkaEndpoint, topic: TopicFactory, schema_registry: str, collect: Any
) -> None:
    name = topic()
    events = [
        v1.DoorUnlocked(lock_id="l", method="PIN"),
        DoorUnlocked(lock_id="l", method=AccessMethod.PIN, courier_id="c"),
        v1.DoorUnlocked(lock_id="l", method="KEY"),
    ]

    with Producer(kafka.bootstrap_servers, schema_registry, auto_register=True) as producer:
        for event in events:
            producer.publish(event, topic=name)
    received = collect(kafka.bootstrap_servers, schema_registry, name, [DoorUnlocked], 3)

    assert [e.event_id for e in received] == [e.event_id for e in events]
    assert [e.courier_id for e in received] == [None, "c", None]
