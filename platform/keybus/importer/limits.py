"""The largest record an import can publish, from the producer's and the topic's settings.

A record over the limit fails when it is queued (the producer's `message.max.bytes`) or
when the broker receives its batch (the topic's `max.message.bytes`), and either way
the whole transaction aborts. The importer compares each record with the limit before
it queues it, and rejects the row instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from confluent_kafka import KafkaException
from confluent_kafka.admin import ConfigResource, ResourceType

from keybus.kafka import AdminClient

__all__ = [
    "PRODUCER_DEFAULT_BYTES",
    "RECORD_OVERHEAD_BYTES",
    "RecordSizeLimit",
    "read_record_size_limit",
]

logger = logging.getLogger(__name__)

_ADMIN_TIMEOUT_S = 30.0

RECORD_OVERHEAD_BYTES = 1_024
"""Bytes a record takes beyond its key, its value and its `ce_subject` header.

A v2 record batch has a 61-byte header and each record about 20 bytes of lengths and
deltas. The importer's other CloudEvents headers take about 230 bytes for an Avro full
name of 40 characters. The margin covers longer event type names."""

PRODUCER_DEFAULT_BYTES = 1_000_000
"""librdkafka's default `message.max.bytes`, which imports use unless
`--message-max-bytes` sets another."""


@dataclass(frozen=True)
class RecordSizeLimit:
    """The largest record a topic accepts from a producer.

    Attributes:
        producer_bytes: the producer's `message.max.bytes`.
        topic_bytes: the topic's `max.message.bytes` as the broker describes it (the
            broker's `message.max.bytes` when the topic does not set it), or None when
            it could not be read.
    """

    producer_bytes: int
    topic_bytes: int | None

    @property
    def max_bytes(self) -> int:
        """Return the smaller of the two limits."""
        if self.topic_bytes is None:
            return self.producer_bytes
        return min(self.producer_bytes, self.topic_bytes)

    def reject_reason(self, size_bytes: int, topic: str) -> str:
        """Return why a record of `size_bytes` cannot be published, and how to raise the limit."""
        if self.topic_bytes is not None and self.topic_bytes < self.producer_bytes:
            setting = f"max.message.bytes of topic {topic} ({self.topic_bytes} bytes)"
        else:
            setting = f"the producer's message.max.bytes ({self.producer_bytes} bytes)"
        return (
            f"record of about {size_bytes} bytes is over {setting}. Make the row smaller, or "
            f"raise max.message.bytes of topic {topic} (and the broker's socket.request.max."
            "bytes if it is smaller) and pass --message-max-bytes with the same value before "
            "importing the log"
        )


def read_record_size_limit(
    bootstrap_servers: str, topic: str, *, producer_bytes: int
) -> RecordSizeLimit:
    """Read the topic's `max.message.bytes` and pair it with the producer's limit.

    A topic whose configuration cannot be described keeps only the producer's limit,
    and the broker still rejects a larger batch at the commit.
    """
    admin = AdminClient({"bootstrap.servers": bootstrap_servers})
    resource = ConfigResource(ResourceType.TOPIC, topic)
    try:
        configs = admin.describe_configs([resource], request_timeout=_ADMIN_TIMEOUT_S)
        entries = configs[resource].result(timeout=_ADMIN_TIMEOUT_S)
    except KafkaException as exc:
        logger.warning(
            "topic limit not read, checking the producer's only topic=%s error=%s", topic, exc
        )
        return RecordSizeLimit(producer_bytes, None)
    entry = entries.get("max.message.bytes")
    topic_bytes = int(entry.value) if entry is not None and entry.value is not None else None
    return RecordSizeLimit(producer_bytes, topic_bytes)
