"""Publish catalog events and consume them back, against real Kafka and the keybus registry."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from confluent_kafka import Consumer as KafkaConsumer

from keybus import Consumer, Producer
from keybus.catalog import (
    AccessGranted,
    AccessRevoked,
    DeliveryCancelled,
    DeliveryCompleted,
    DeliveryScheduled,
    DeviceStatusChanged,
    DoorLocked,
    DoorUnlocked,
)
from keybus.catalog.com.example.access import (
    AccessMethod,
    CourierGrantee,
    DeviceStatus,
    LockTrigger,
    RevocationReason,
)
from keybus.catalog.com.example.common import Money, TimeWindow
from keybus.catalog.com.example.delivery import (
    AccessMode,
    Address,
    CancellationReason,
    DeliveryOutcome,
    Parcel,
    ParcelSize,
)
from keybus.events import Event, read_headers
from keybus.testing import KafkaEndpoint
from keybus.testing.plugin import TopicFactory

NOW = datetime(2026, 6, 1, 9, 0, 0, 250000, tzinfo=UTC)
WINDOW = TimeWindow(starts_at=NOW, ends_at=NOW + timedelta(hours=2))


def catalog_samples() -> list[Event]:
    """Return one event of every catalog type, with optional fields set."""
    return [
        DeliveryScheduled(
            delivery_id="d-1",
            recipient_id="r-1",
            carrier="DHL",
            address=Address(
                street="Main 1", unit="4", postal_code="1", city="B", country_code="DE"
            ),
            window=WINDOW,
            parcels=[
                Parcel(
                    parcel_id="p",
                    size=ParcelSize.MEDIUM,
                    weight_kg=Decimal("2.5"),
                    declared_value=Money(amount=Decimal("10.00"), currency="EUR"),
                )
            ],
            access_mode=AccessMode.GARAGE,
            lock_id="lock-1",
            occurred_at=NOW,
        ),
        DeliveryCompleted(
            delivery_id="d-1",
            courier_id="c-1",
            outcome=DeliveryOutcome.DELIVERED_INSIDE,
            proof_photo_sha256=bytes(32),
            door_open_ms=4200,
            parcel_ids=["p"],
            occurred_at=NOW,
        ),
        DeliveryCancelled(
            delivery_id="d-2",
            reason=CancellationReason.RECIPIENT_REQUEST,
            refund=Money(amount=Decimal("4.99"), currency="EUR"),
            occurred_at=NOW,
        ),
        AccessGranted(
            grant_id="g-1",
            lock_id="lock-1",
            grantee=CourierGrantee(courier_id="c-1", carrier="DHL"),
            validity=WINDOW,
            method=AccessMethod.BLUETOOTH,
            delivery_id="d-1",
            occurred_at=NOW,
        ),
        AccessRevoked(
            grant_id="g-1", lock_id="lock-1", reason=RevocationReason.EXPIRED, occurred_at=NOW
        ),
        DoorUnlocked(
            lock_id="lock-1", method=AccessMethod.BLUETOOTH, courier_id="c-1", occurred_at=NOW
        ),
        DoorLocked(
            lock_id="lock-1",
            trigger=LockTrigger.AUTO_RELOCK,
            open_duration_ms=4200,
            occurred_at=NOW,
        ),
        DeviceStatusChanged(
            lock_id="lock-1",
            status=DeviceStatus.LOW_BATTERY,
            battery_percent=9,
            firmware_version="3.2.1",
            attributes={"temperature_c": "4"},
            occurred_at=NOW,
        ),
    ]


def test_every_catalog_event_round_trips(
    kafka: KafkaEndpoint, topic: TopicFactory, schema_registry: str, collect: Any
) -> None:
    name = topic()
    samples = catalog_samples()

    with Producer(kafka.bootstrap_servers, schema_registry, auto_register=True) as producer:
        results = [producer.publish(event, topic=name) for event in samples]
    received = collect(
        kafka.bootstrap_servers, schema_registry, name, [type(e) for e in samples], len(samples)
    )

    assert received == samples
    assert [r.offset for r in results] == list(range(len(samples)))
    assert {r.topic for r in results} == {name}
    assert [r.event_id for r in results] == [str(e.event_id) for e in samples]


def test_record_key_and_headers(
    kafka: KafkaEndpoint, topic: TopicFactory, schema_registry: str, collect: Any
) -> None:
    name = topic()
    event = DoorUnlocked(lock_id="lock-42", method=AccessMethod.PIN, occurred_at=NOW)
    parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    with Producer(
        kafka.bootstrap_servers, schema_registry, auto_register=True, source="urn:test:locks"
    ) as producer:
        producer.publish(event, topic=name, traceparent=parent)
    raw = KafkaConsumer(
        {
            "bootstrap.servers": kafka.bootstrap_servers,
            "group.id": uuid.uuid4().hex,
            "auto.offset.reset": "earliest",
        }
    )
    raw.subscribe([name])
    message = None
    for _ in range(60):
        message = raw.poll(0.5)
        if message is not None and message.error() is None:
            break
    raw.close()

    assert message is not None
    attributes = read_headers(message.headers())
    assert message.key() == b"lock-42"
    assert message.value()[0] == 0
    assert attributes.id == str(event.event_id)
    assert attributes.type == "com.example.access.DoorUnlocked"
    assert attributes.source == "urn:test:locks"
    assert attributes.subject == "lock-42"
    assert attributes.time == "2026-06-01T09:00:00.250+00:00"
    assert attributes.spec_version == "1.0"
    assert attributes.content_type == "application/avro"
    assert attributes.traceparent == parent


def test_events_of_one_aggregate_share_a_partition(
    kafka: KafkaEndpoint, topic: TopicFactory, schema_registry: str, collect: Any
) -> None:
    name = topic(partitions=4)
    events = [DoorUnlocked(lock_id=f"lock-{i % 3}", method="PIN") for i in range(30)]

    with Producer(kafka.bootstrap_servers, schema_registry, auto_register=True) as producer:
        results = producer.publish_batch(events, topic=name)

    partitions: dict[str, set[int]] = {}
    for event, result in zip(events, results, strict=True):
        partitions.setdefault(event.lock_id, set()).add(result.partition)
    assert all(len(p) == 1 for p in partitions.values())


def test_publish_async(
    kafka: KafkaEndpoint, topic: TopicFactory, schema_registry: str, collect: Any
) -> None:
    name = topic()
    events = [DoorLocked(lock_id="l", trigger="MANUAL", open_duration_ms=i) for i in range(20)]

    async def publish_all(producer: Producer) -> list[int]:
        results = await asyncio.gather(*(producer.publish_async(e, topic=name) for e in events))
        return [r.offset for r in results]

    with Producer(kafka.bootstrap_servers, schema_registry, auto_register=True) as producer:
        offsets = asyncio.run(publish_all(producer))
    received = collect(kafka.bootstrap_servers, schema_registry, name, [DoorLocked], len(events))

    assert sorted(offsets) == list(range(20))
    assert received == events


def test_publish_batch_returns_results_in_order(
    kafka: KafkaEndpoint, topic: TopicFactory, schema_registry: str, collect: Any
) -> None:
    name = topic()
    events = [DoorLocked(lock_id="l", trigger="KEY", open_duration_ms=i) for i in range(100)]

    with Producer(kafka.bootstrap_servers, schema_registry, auto_register=True) as producer:
        results = producer.publish_batch(events, topic=name)

    assert [r.offset for r in results] == list(range(100))
    assert [r.event_id for r in results] == [str(e.event_id) for e in events]


def test_run_again_after_max_events_misses_nothing(
    kafka: KafkaEndpoint, topic: TopicFactory, schema_registry: str
) -> None:
    name = topic()
    events = [DoorLocked(lock_id="l", trigger="KEY", open_duration_ms=i) for i in range(30)]
    with Producer(kafka.bootstrap_servers, schema_registry, auto_register=True) as producer:
        producer.publish_batch(events, topic=name)
    handled: list[int] = []

    with Consumer(
        kafka.bootstrap_servers, f"g-{uuid.uuid4().hex[:6]}", schema_registry, topics=[name]
    ) as consumer:
        consumer.add_handler(DoorLocked, lambda event: handled.append(event.open_duration_ms))
        first = consumer.run(max_events=10, idle_timeout_s=20, handle_signals=False)
        second = consumer.run(max_events=20, idle_timeout_s=20, handle_signals=False)

    assert (first, second) == (10, 20)
    assert handled == list(range(30))
