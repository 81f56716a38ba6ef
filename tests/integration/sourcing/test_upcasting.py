"""Upcasting on real Kafka and the keybus registry with the catalog's old DoorUnlocked.

Version 1 of com.example.access.DoorUnlocked (avro/history) has no courier_id. Events
written with it are read as the current model through registry schema resolution, and
an upcaster for version 1 fills courier_id from the grant that opened the door.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

from confluent_kafka import Producer as KafkaProducer
from tests.unit.sourcing.factories import NOON

from keybus.catalog.com.example.access import AccessMethod, DoorUnlocked
from keybus.client import Producer
from keybus.registry.client import RegistryClient
from keybus.serde import AvroSerializer, parse_schema
from keybus.sourcing import EventReader, Upcasters
from keybus.sourcing.projections import SiteAccessProjection, replay_projection
from keybus.sourcing.projections.store import ProjectionStore
from keybus.sourcing.snapshots import read_to_end
from keybus.testing import KafkaEndpoint

V1_SCHEMA = Path(__file__).parents[3] / "avro/history/com.example.access.DoorUnlocked.v1.avsc"
COURIERS_BY_GRANT = {"g-1": "c-1", "g-2": "c-2"}


def courier_from_grant(values: dict[str, Any]) -> dict[str, Any]:
    """Fill courier_id of a version 1 DoorUnlocked from the grant it names."""
    values["courier_id"] = COURIERS_BY_GRANT.get(values["grant_id"] or "")
    return values


def upcasters() -> Upcasters:
    """Return the upcasters of these tests."""
    found = Upcasters()
    found.register(DoorUnlocked, 1, courier_from_grant)
    return found


def write_history(kafka: KafkaEndpoint, registry_url: str, topic: str) -> None:
    """Write two version 1 events, then one of the current version 2."""
    registry = RegistryClient(registry_url)
    v1 = AvroSerializer(
        parse_schema(json.loads(V1_SCHEMA.read_text())), registry, auto_register=True
    )
    producer = KafkaProducer({"bootstrap.servers": kafka.bootstrap_servers})
    for grant_id, minute in (("g-1", 0), ("g-2", 1)):
        value = {
            "event_id": str(uuid4()),
            "occurred_at": NOON + timedelta(minutes=minute),
            "lock_id": "lock-1",
            "grant_id": grant_id,
            "method": "BLUETOOTH",
            "battery_percent": 80,
        }
        producer.produce(topic, key=b"lock-1", value=v1.encode(value, topic))
    assert producer.flush(30) == 0
    with Producer(kafka.bootstrap_servers, registry, auto_register=True) as current:
        current.publish(
            DoorUnlocked(
                lock_id="lock-1",
                grant_id="g-3",
                method=AccessMethod.PIN,
                courier_id="c-9",
                occurred_at=NOON + timedelta(minutes=2),
            ),
            topic=topic,
        )


def test_old_version_read_as_current_model(
    kafka: KafkaEndpoint, schema_registry: str, prefix: str
) -> None:
    topic = prefix + "lock-devices"
    write_history(kafka, schema_registry, topic)
    reader = EventReader(RegistryClient(schema_registry), [DoorUnlocked], upcasters=upcasters())

    decoded = [
        reader.read(topic, record.value()) for record in read_to_end(kafka.bootstrap_servers, topic)
    ]
    # The two producers may pick different partitions for the same key: order by time.
    read = sorted((item for item in decoded if item), key=lambda item: item.event.occurred_at)

    assert len(decoded) == 3
    assert [item.version for item in read] == [1, 1, 2]
    assert [item.upcast for item in read] == [True, True, False]
    assert all(isinstance(item.event, DoorUnlocked) for item in read)
    assert [item.event.courier_id for item in read] == ["c-1", "c-2", "c-9"]  # type: ignore[attr-defined]
    assert read[0].event.battery_percent == 80  # type: ignore[attr-defined]


def test_projection_reads_upcast_events(
    kafka: KafkaEndpoint, schema_registry: str, prefix: str, tmp_path: Path
) -> None:
    write_history(kafka, schema_registry, prefix + "lock-devices")
    path = tmp_path / "site-access.sqlite"

    replay_projection(
        SiteAccessProjection(upcasters()),
        path,
        bootstrap_servers=kafka.bootstrap_servers,
        registry=RegistryClient(schema_registry),
        topic_prefix=prefix,
    )
    store = ProjectionStore(SiteAccessProjection(), path)
    rows = store.db.execute(
        "SELECT grant_id, actor_id FROM access_history ORDER BY occurred_at_ms"
    ).fetchall()
    store.close()

    assert [tuple(row) for row in rows] == [("g-1", "c-1"), ("g-2", "c-2"), ("g-3", "c-9")]
