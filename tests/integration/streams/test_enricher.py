"""The enricher topology on real Kafka and the real keybus registry.

Reference entries and lock events are written with keybus's serde through the registry;
the enricher runs as a Faust worker process. One lock's entry arrives after its event,
and one lock never gets an entry.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, Producer

from keybus.registry.client import RegistryClient
from keybus.schemas.catalog import Catalog
from keybus.serde import AvroDeserializer, AvroSerializer
from keybus.streams.workers import WorkerGroup
from keybus.testing import KafkaEndpoint
from keybus.testing.plugin import TopicFactory

REPO = Path(__file__).resolve().parents[3]
PARTITIONS = 6


def _serializer(event_type: str, registry: RegistryClient) -> AvroSerializer:
    schema = Catalog.load(REPO / "avro").event(event_type).schema
    return AvroSerializer(schema, registry, auto_register=True)


def _entry(lock_id: str) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "occurred_at": datetime.now(UTC),
        "lock_id": lock_id,
        "site_id": f"site-of-{lock_id}",
        "owner_id": f"owner-of-{lock_id}",
        "timezone": None,
    }


def _unlock(lock_id: str) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "occurred_at": datetime.now(UTC),
        "lock_id": lock_id,
        "grant_id": None,
        "method": "PIN",
        "battery_percent": 80,
        "courier_id": None,
    }


def _read_enriched(servers: str, topic: str, registry: RegistryClient, count: int) -> list:
    consumer = Consumer(
        {
            "bootstrap.servers": servers,
            "group.id": f"check-{topic}",
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([topic])
    decoder = AvroDeserializer(registry)
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + 120
    while len(found) < count and time.monotonic() < deadline:
        for record in consumer.consume(100, timeout=0.5):
            if record.error() is None:
                found.append(decoder.decode(record.value()).value)
    consumer.close()
    return found


def test_enricher_joins_late_and_missing_references(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory, tmp_path: Path
) -> None:
    source = topic(partitions=PARTITIONS)
    reference = topic(partitions=PARTITIONS, config={"cleanup.policy": "compact"})
    output = topic(partitions=PARTITIONS)
    app_id = f"enricher-{source}"
    topic(partitions=PARTITIONS, name=f"{source}.{app_id}.wait")
    registry = RegistryClient(schema_registry)
    entries = _serializer("com.example.reference.LockDirectoryEntry", registry)
    unlocks = _serializer("com.example.access.DoorUnlocked", registry)
    producer = Producer({"bootstrap.servers": kafka.bootstrap_servers, "enable.idempotence": True})
    group = WorkerGroup(
        with_parent=True,
        topology="enricher",
        folder=tmp_path / "workers",
        environment={
            "KEYBUS_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
            "KEYBUS_REGISTRY_URL": schema_registry,
            "KEYBUS_APP_ID": app_id,
            "KEYBUS_CATALOG_DIR": str(REPO / "avro"),
            "KEYBUS_ENRICH_SOURCE": source,
            "KEYBUS_ENRICH_REFERENCE": reference,
            "KEYBUS_ENRICH_OUTPUT": output,
            "KEYBUS_ENRICH_PARTITIONS": str(PARTITIONS),
            "KEYBUS_ENRICH_WAIT_MS": "1000",
            "KEYBUS_ENRICH_MAX_ATTEMPTS": "6",
        },
    )
    known = [f"L{n}" for n in range(5)]
    for lock_id in known:
        producer.produce(reference, key=lock_id, value=entries(_entry(lock_id), reference))
    producer.flush(30)
    unlock_events = {lock_id: _unlock(lock_id) for lock_id in [*known, "late", "never"]}
    try:
        group.start(1)
        group.wait_healthy(1, seconds=3.0)
        for lock_id, event in unlock_events.items():
            producer.produce(source, key=lock_id, value=unlocks(event, source))
        producer.flush(30)
        time.sleep(2.5)
        producer.produce(reference, key="late", value=entries(_entry("late"), reference))
        producer.flush(30)
        enriched = _read_enriched(kafka.bootstrap_servers, output, registry, len(unlock_events))
    finally:
        group.stop()

    by_lock = {event["lock_id"]: event for event in enriched}
    assert set(by_lock) == set(unlock_events)
    for lock_id in [*known, "late"]:
        assert by_lock[lock_id]["reference"] == "FOUND", lock_id
        assert by_lock[lock_id]["site_id"] == f"site-of-{lock_id}"
        assert by_lock[lock_id]["owner_id"] == f"owner-of-{lock_id}"
    assert by_lock["late"]["attempts"] > 1
    assert by_lock["never"]["reference"] == "MISSING"
    assert by_lock["never"]["site_id"] is None
    assert by_lock["never"]["attempts"] == 6
    for lock_id, event in unlock_events.items():
        assert str(by_lock[lock_id]["event_id"]) == event["event_id"]
        original = AvroDeserializer(registry).decode(by_lock[lock_id]["original"]).value
        assert original["lock_id"] == lock_id
        assert original["method"] == "PIN"
