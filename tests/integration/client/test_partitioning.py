"""The SDK producer puts a key on the same partition as Java clients and Faust do.

Real broker and registry; the expected partition comes from aiokafka's default
partitioner (murmur2, the Java client's), which Faust uses for its own writes.
"""

from __future__ import annotations

import uuid

from aiokafka.partitioner import DefaultPartitioner

from keybus import Producer
from keybus.testing import KafkaEndpoint
from keybus.testing.plugin import TopicFactory

PARTITIONS = 6
SCHEMA = {
    "type": "record",
    "name": "Ping",
    "namespace": "com.example.test",
    "fields": [{"name": "n", "type": "int"}],
}


def test_keys_land_where_java_clients_put_them(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory
) -> None:
    name = topic(partitions=PARTITIONS)
    partitioner = DefaultPartitioner()
    all_partitions = list(range(PARTITIONS))
    keys = [f"aggregate-{n}" for n in range(60)]

    with Producer(kafka.bootstrap_servers, schema_registry, auto_register=True) as producer:
        results = {
            key: producer.publish_dict(
                {"n": n}, schema=SCHEMA, topic=name, key=key, event_id=str(uuid.uuid4())
            )
            for n, key in enumerate(keys)
        }

    for key, result in results.items():
        expected = partitioner(key.encode(), all_partitions, all_partitions)
        assert result.partition == expected, key
