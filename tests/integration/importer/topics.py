"""Read an imported topic back with read_committed and decode it with fastavro directly."""

from __future__ import annotations

import io
import json
import struct
from typing import Any

import fastavro
import httpx
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition


def read_events(bootstrap_servers: str, registry_url: str, topic: str) -> list[dict[str, Any]]:
    """Return every committed event of `topic`, each with its `_partition` and `_offset`."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap_servers,
            "group.id": f"test-read-{topic}",
            "isolation.level": "read_committed",
            "enable.partition.eof": True,
            "enable.auto.commit": False,
        }
    )
    schemas: dict[int, Any] = {}
    events: list[dict[str, Any]] = []
    try:
        partitions = consumer.list_topics(topic, timeout=30).topics[topic].partitions
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        at_end: set[int] = set()
        while len(at_end) < len(partitions):
            for message in consumer.consume(5_000, 1.0):
                error = message.error()
                if error is not None:
                    assert error.code() == KafkaError._PARTITION_EOF, error
                    at_end.add(message.partition())
                    continue
                at_end.discard(message.partition())
                events.append(_decode(message, registry_url, schemas))
    finally:
        consumer.close()
    return events


def _decode(message: Any, registry_url: str, schemas: dict[int, Any]) -> dict[str, Any]:
    value: bytes = message.value()
    magic, schema_id = struct.unpack(">bI", value[:5])
    assert magic == 0
    if schema_id not in schemas:
        text = httpx.get(f"{registry_url}/schemas/ids/{schema_id}").json()["schema"]
        schemas[schema_id] = fastavro.parse_schema(json.loads(text))
    event: dict[str, Any] = fastavro.schemaless_reader(io.BytesIO(value[5:]), schemas[schema_id])
    event["_partition"] = message.partition()
    event["_offset"] = message.offset()
    event["_key"] = message.key().decode()
    return event
