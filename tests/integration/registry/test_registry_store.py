"""The schemas topic: Confluent's record format, foreign records, and ids after compaction.

Real: `keybus registry serve` subprocesses and the session's Kafka; the test reads and
writes the topics with plain confluent-kafka clients.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from keybus.testing.backends import KafkaEndpoint
from keybus.testing.registry import RegistryFactory

ORDER = json.dumps(
    {"type": "record", "name": "Order", "fields": [{"name": "id", "type": "string"}]}
)
LINE = json.dumps({"type": "record", "name": "Line", "fields": [{"name": "sku", "type": "string"}]})


def _read_all(bootstrap_servers: str, topic: str) -> list[tuple[bytes, bytes | None]]:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap_servers,
            "group.id": f"{topic}-inspect",
            "isolation.level": "read_committed",
            "enable.partition.eof": True,
        }
    )
    consumer.assign([TopicPartition(topic, 0, 0)])
    records: list[tuple[bytes, bytes | None]] = []
    try:
        for _ in range(200):
            message = consumer.poll(0.5)
            if message is None:
                continue
            if message.error() is not None:
                break
            records.append((message.key() or b"", message.value()))
    finally:
        consumer.close()
    return records


def _produce(bootstrap_servers: str, topic: str, records: list[tuple[bytes, bytes | None]]) -> None:
    """Create a compacted topic and write the records to it."""
    admin = AdminClient({"bootstrap.servers": bootstrap_servers})
    new_topic = NewTopic(topic, 1, 1, config={"cleanup.policy": "compact"})
    admin.create_topics([new_topic])[topic].result()
    failures: list[object] = []
    producer = Producer({"bootstrap.servers": bootstrap_servers})
    for key, value in records:
        producer.produce(
            topic, key=key, value=value, on_delivery=lambda error, _: failures.append(error)
        )
    producer.flush(30)
    assert [failure for failure in failures if failure is not None] == []


def _compacted(records: list[tuple[bytes, bytes | None]]) -> list[tuple[bytes, bytes | None]]:
    """Return what log compaction leaves: the last value per key, tombstones removed."""
    latest: dict[bytes, bytes | None] = {}
    for key, value in records:
        latest.pop(key, None)
        latest[key] = value
    return [(key, value) for key, value in latest.items() if value is not None]


def _documents(records: list[tuple[bytes, bytes | None]]) -> list[tuple[dict[str, Any], Any]]:
    return [
        (json.loads(key), None if value is None else json.loads(value)) for key, value in records
    ]


def test_records_in_confluent_format(
    registry_factory: RegistryFactory, kafka: KafkaEndpoint, unique: Callable[[str], str]
) -> None:
    registry = registry_factory(schemas_topic=unique("_schemas-format"))
    with httpx.Client(base_url=registry.url, timeout=30.0) as http:
        schema_id = http.post("/subjects/orders-value/versions", json={"schema": ORDER}).json()[
            "id"
        ]
        http.put("/config/orders-value", json={"compatibility": "FULL"})
        http.put("/mode/orders-value", json={"mode": "READWRITE"})
        http.delete("/subjects/orders-value")
        http.delete("/subjects/orders-value/versions/1", params={"permanent": "true"})

    documents = _documents(_read_all(kafka.bootstrap_servers, registry.schemas_topic))

    schema_key = {"keytype": "SCHEMA", "subject": "orders-value", "version": 1, "magic": 1}
    assert documents[0] == (
        schema_key,
        {
            "subject": "orders-value",
            "version": 1,
            "id": schema_id,
            "schema": json.dumps(json.loads(ORDER), separators=(",", ":")),
            "deleted": False,
        },
    )
    assert documents[1] == (
        {"keytype": "CONFIG", "subject": "orders-value", "magic": 0},
        {"compatibilityLevel": "FULL"},
    )
    assert documents[2] == (
        {"keytype": "MODE", "subject": "orders-value", "magic": 0},
        {"mode": "READWRITE"},
    )
    assert documents[3][0] == schema_key
    assert documents[3][1]["deleted"] is True
    assert documents[4] == (
        {"keytype": "DELETE_SUBJECT", "subject": "orders-value", "magic": 0},
        {"subject": "orders-value", "version": 1},
    )
    assert documents[5] == (schema_key, None)


def test_reads_records_of_another_registry(
    registry_factory: RegistryFactory, kafka: KafkaEndpoint, unique: Callable[[str], str]
) -> None:
    topic = unique("_schemas-foreign")
    line_value = {"subject": "line-value", "version": 1, "id": 40, "schema": LINE, "deleted": False}
    order_value = {
        "subject": "order-value",
        "version": 1,
        "id": 41,
        "references": [{"name": "Line", "subject": "line-value", "version": 1}],
        "schema": json.dumps(
            {"type": "record", "name": "Order", "fields": [{"name": "line", "type": "Line"}]}
        ),
        "deleted": False,
    }
    _produce(
        kafka.bootstrap_servers,
        topic,
        [
            (b'{"keytype":"NOOP","magic":0}', None),
            (
                b'{"keytype":"SCHEMA","subject":"line-value","version":1,"magic":1}',
                json.dumps(line_value).encode(),
            ),
            (
                b'{"keytype":"SCHEMA","subject":"order-value","version":1,"magic":1}',
                json.dumps(order_value).encode(),
            ),
            (b'{"keytype":"CONFIG","subject":null,"magic":0}', b'{"compatibilityLevel":"FULL"}'),
        ],
    )

    registry = registry_factory(schemas_topic=topic)
    with httpx.Client(base_url=registry.url, timeout=30.0) as http:
        order = http.get("/schemas/ids/41").json()
        referenced_by = http.get("/subjects/line-value/versions/1/referencedby").json()
        level = http.get("/config").json()
        blocked = http.delete("/subjects/line-value")
        new_id = http.post("/subjects/new-value/versions", json={"schema": ORDER}).json()["id"]

    assert order["references"] == [{"name": "Line", "subject": "line-value", "version": 1}]
    assert referenced_by == [41]
    assert level == {"compatibilityLevel": "FULL"}
    assert blocked.status_code == 422
    assert blocked.json()["error_code"] == 42206
    assert new_id == 42


def test_ids_not_reissued_after_compaction(
    registry_factory: RegistryFactory, kafka: KafkaEndpoint, unique: Callable[[str], str]
) -> None:
    topic = unique("_schemas-compact")
    registry = registry_factory(schemas_topic=topic)
    with httpx.Client(base_url=registry.url, timeout=30.0) as http:
        http.post("/subjects/orders-value/versions", json={"schema": ORDER})
        line_id = http.post("/subjects/lines-value/versions", json={"schema": LINE}).json()["id"]
        http.delete("/subjects/lines-value")
        http.delete("/subjects/lines-value", params={"permanent": "true"})
    registry.stop()
    copy = unique("_schemas-compacted")
    for source, target in ((topic, copy), (f"{topic}_keybus", f"{copy}_keybus")):
        compacted = _compacted(_read_all(kafka.bootstrap_servers, source))
        _produce(kafka.bootstrap_servers, target, compacted)

    restarted = registry_factory(schemas_topic=copy)
    with httpx.Client(base_url=restarted.url, timeout=30.0) as http:
        deleted_lookup = http.get(f"/schemas/ids/{line_id}")
        new_id = http.post("/subjects/lines-value/versions", json={"schema": LINE}).json()["id"]

    assert deleted_lookup.status_code == 404
    assert deleted_lookup.json()["error_code"] == 40403
    assert new_id == line_id + 1
