"""Offset look-ups that wait out the short leader elections of newly created topics."""

from __future__ import annotations

import logging
import time

from confluent_kafka import KafkaError, KafkaException, TopicPartition

from keybus.kafka import Consumer
from keybus.sourcing.errors import SourcingError

__all__ = ["partition_ids", "watermarks"]

logger = logging.getLogger(__name__)

_RETRY_DELAY_S = 0.2
_LEADER_MOVING = {
    KafkaError.NOT_LEADER_FOR_PARTITION,
    KafkaError.LEADER_NOT_AVAILABLE,
    KafkaError.UNKNOWN_TOPIC_OR_PART,
}


def watermarks(
    consumer: Consumer, topic: str, partition: int, timeout_s: float = 15.0
) -> tuple[int, int]:
    """Return the low and high watermark offsets of one partition.

    A partition of a topic created a moment ago has no leader for a short while; retriable
    errors are retried until `timeout_s` passes.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            low, high = consumer.get_watermark_offsets(
                TopicPartition(topic, partition), timeout=max(1.0, deadline - time.monotonic())
            )
        except KafkaException as exc:
            error: KafkaError = exc.args[0]
            transient = error.retriable() or error.code() in _LEADER_MOVING
            if not transient or time.monotonic() > deadline:
                raise
            logger.debug("watermarks retry topic=%s partition=%s error=%s", topic, partition, exc)
            time.sleep(_RETRY_DELAY_S)
        else:
            return int(low), int(high)


def partition_ids(
    consumer: Consumer, topic: str, timeout_s: float = 15.0, unknown_timeout_s: float = 5.0
) -> list[int]:
    """Return the partition ids of `topic`, waiting while a just-created topic propagates.

    A topic the broker reports as unknown is taken as missing after `unknown_timeout_s`,
    which covers the brief delay before a broker serves a topic created a moment ago. A
    topic without partitions or leaders yet is waited for up to `timeout_s`.

    Raises:
        SourcingError: the topic is still unknown after `unknown_timeout_s`, or still
            without partitions after `timeout_s`.
    """
    started = time.monotonic()
    while True:
        metadata = consumer.list_topics(topic, timeout=10).topics.get(topic)
        error = None if metadata is None else metadata.error
        if metadata is not None and error is None and metadata.partitions:
            return sorted(metadata.partitions)
        unknown = error is not None and error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART
        waited_s = time.monotonic() - started
        if waited_s > (unknown_timeout_s if unknown else timeout_s):
            reason = error.str() if error is not None else "no metadata"
            raise SourcingError(
                f"Topic {topic} is missing ({reason}). Create it, for example with "
                "`keybus topics apply deploy/topics.yaml`, or fix the topic prefix."
            )
        time.sleep(_RETRY_DELAY_S)
