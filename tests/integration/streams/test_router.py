"""The router topology on real Kafka and the real keybus registry.

Events are written with confluent-kafka's own AvroSerializer through the keybus
registry; Faust workers run as separate processes (`faust -A topologies.router worker`)
and one of them is killed with SIGKILL while events are flowing.
"""

from __future__ import annotations

import collections
import json
import time
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from keybus.streams.workers import WorkerGroup
from keybus.testing import KafkaEndpoint
from keybus.testing.plugin import TopicFactory

EVENT_COUNT = 20_000
EVENT_TYPE = "com.example.test.Reading"
SCHEMA = json.dumps(
    {
        "type": "record",
        "name": "Reading",
        "namespace": "com.example.test",
        "fields": [
            {"name": "n", "type": "int"},
            {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B"]}},
        ],
    }
)

Seen = dict[str, list[tuple[bytes, bytes]]]


def _write_rules(path: Path, source: str, kind_a: str, low: str) -> Path:
    path.write_text(
        f"""version: 1
rules:
  - name: kind-a
    source: {source}
    pattern: {{type: [{EVENT_TYPE}], detail: {{kind: [A]}}}}
    targets: [{kind_a}]
  - name: low-numbers
    source: {source}
    pattern: {{detail: {{n: [{{numeric: ["<", 500]}}]}}}}
    targets: [{low}, {kind_a}]
"""
    )
    return path


def _kind(n: int) -> str:
    return "A" if n % 3 == 0 else "B"


def _publish(servers: str, registry_url: str, topic: str, numbers: range) -> None:
    serializer = AvroSerializer(SchemaRegistryClient({"url": registry_url}), SCHEMA)
    context = SerializationContext(topic, MessageField.VALUE)
    producer = Producer({"bootstrap.servers": servers, "enable.idempotence": True, "linger.ms": 5})
    for n in numbers:
        value = serializer({"n": n, "kind": _kind(n)}, context)
        headers = [("ce_type", EVENT_TYPE.encode()), ("ce_id", f"id-{n}".encode())]
        while True:
            try:
                producer.produce(topic, key=str(n % 50).encode(), value=value, headers=headers)
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
    assert producer.flush(60) == 0


def _collect(servers: str, topics: list[str], expected: int, timeout_s: float) -> Seen:
    """Read the targets until `expected` distinct (topic, id) pairs arrived, then 2 s more."""
    consumer = Consumer(
        {
            "bootstrap.servers": servers,
            "group.id": f"check-{topics[0]}",
            "auto.offset.reset": "earliest",
            "isolation.level": "read_committed",
        }
    )
    consumer.subscribe(topics)
    seen: Seen = collections.defaultdict(list)
    deadline = time.monotonic() + timeout_s
    settle_until: float | None = None
    while time.monotonic() < deadline:
        for record in consumer.consume(1000, timeout=0.5):
            if record.error() is None:
                headers = dict(record.headers() or [])
                seen[record.topic()].append((headers["ce_id"], headers["keybus_rule"]))
        distinct = sum(len({item[0] for item in items}) for items in seen.values())
        if distinct >= expected and settle_until is None:
            settle_until = time.monotonic() + 2.0
        if settle_until is not None and time.monotonic() > settle_until:
            break
    consumer.close()
    return seen


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("guarantee", ["at_least_once", "exactly_once"])
def test_router_kill_one_worker_loses_nothing(
    guarantee: str,
    kafka: KafkaEndpoint,
    schema_registry: str,
    topic: TopicFactory,
    tmp_path: Path,
) -> None:
    source, kind_a, low = topic(partitions=4), topic(partitions=2), topic(partitions=2)
    group = WorkerGroup(
        with_parent=True,
        topology="router",
        folder=tmp_path / "workers",
        environment={
            "KEYBUS_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
            "KEYBUS_REGISTRY_URL": schema_registry,
            "KEYBUS_RULES_FILE": str(_write_rules(tmp_path / "rules.yaml", source, kind_a, low)),
            "KEYBUS_PROCESSING_GUARANTEE": guarantee,
            "KEYBUS_APP_ID": f"router-{source}",
        },
    )
    expected_a = {f"id-{n}".encode() for n in range(EVENT_COUNT) if _kind(n) == "A" or n < 500}
    expected_low = {f"id-{n}".encode() for n in range(500)}
    half = EVENT_COUNT // 2
    try:
        group.start(2)
        group.wait_healthy(2, seconds=5.0)
        _publish(kafka.bootstrap_servers, schema_registry, source, range(half))
        time.sleep(3.0)
        group.stop(1, kill=True)
        _publish(kafka.bootstrap_servers, schema_registry, source, range(half, EVENT_COUNT))
        expected = len(expected_a) + len(expected_low)
        seen = _collect(kafka.bootstrap_servers, [kind_a, low], expected, timeout_s=600)
    finally:
        group.stop()

    ids_a = [event_id for event_id, _rule in seen[kind_a]]
    ids_low = [event_id for event_id, _rule in seen[low]]
    assert set(ids_a) == expected_a, f"kind_a misses {len(expected_a - set(ids_a))} events"
    assert set(ids_low) == expected_low, f"low misses {len(expected_low - set(ids_low))} events"
    assert {rule for _event_id, rule in seen[low]} == {b"low-numbers"}
    if guarantee == "exactly_once":
        # An event that both rules match reaches kind_a once per rule, so a duplicate is
        # the same (event, rule) pair seen twice.
        assert len(seen[kind_a]) == len(set(seen[kind_a])), "kind_a has duplicates"
        assert len(seen[low]) == len(set(seen[low])), "low has duplicates"
