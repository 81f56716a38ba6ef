"""The README's consumer example on a topic that also contains broken records.

Real Kafka and the keybus registry. The topic gets what `make demo` leaves in
lock-devices: typed events, an event type without a handler, a record without the
wire-format magic byte and one with a schema id the registry does not have.
"""

from __future__ import annotations

import uuid

from confluent_kafka import Producer as KafkaProducer

from keybus import Consumer, Producer
from keybus.catalog import DoorLocked, DoorUnlocked
from keybus.client import SkipOnFailure
from keybus.testing import KafkaEndpoint
from keybus.testing.plugin import TopicFactory


def _produce_broken(servers: str, topic: str) -> None:
    raw = KafkaProducer({"bootstrap.servers": servers})
    raw.produce(topic, key=b"lock-1", value=b'{"lock_id": "lock-1"}')
    raw.produce(topic, key=b"lock-1", value=b"\x00\x7f\xff\xff\xf0avro")
    assert raw.flush(30) == 0


def test_readme_consumer_skips_broken_records(
    kafka: KafkaEndpoint, topic: TopicFactory, schema_registry: str
) -> None:
    servers = kafka.bootstrap_servers
    name = topic()
    with Producer(servers, schema_registry, auto_register=True) as producer:
        producer.publish(DoorUnlocked(lock_id="lock-1", method="PIN"), topic=name)
        producer.publish(
            DoorLocked(lock_id="lock-1", trigger="MANUAL", open_duration_ms=1500), topic=name
        )
    _produce_broken(servers, name)
    with Producer(servers, schema_registry, auto_register=True) as producer:
        producer.publish(DoorUnlocked(lock_id="lock-2", method="PIN"), topic=name)
    seen: list[str] = []

    with Consumer(
        servers,
        f"door-audit-{uuid.uuid4().hex[:8]}",
        schema_registry,
        topics=[name],
        unknown_events="skip",
        failure_policy=SkipOnFailure(),
        config={"auto.offset.reset": "earliest"},
    ) as consumer:

        @consumer.handler(DoorUnlocked)
        def on_unlocked(event: DoorUnlocked) -> None:
            seen.append(event.lock_id)

        consumer.run(idle_timeout_s=5.0, handle_signals=False)

    assert seen == ["lock-1", "lock-2"]
