"""Build the event-log projection from a topic: from the beginning, a time, or where it stopped."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from confluent_kafka import OFFSET_BEGINNING, KafkaError, KafkaException, TopicPartition

from keybus.batches import poll_batch
from keybus.errors import ConfigurationError
from keybus.importer.projections import EventLogProjection
from keybus.kafka import Consumer
from keybus.registry.client import RegistryClient
from keybus.serde import AvroDeserializer, SerdeError

__all__ = ["ReplayStats", "replay_projection"]

logger = logging.getLogger(__name__)

_POLL_S = 0.5
_BATCH_RECORDS = 2_000
_IDLE_TIMEOUT_S = 60.0
_REQUIRED_FIELDS = ("event_id", "case_id", "activity", "occurred_at")
_SKIPS_LOGGED = 5
"""Skipped records logged one by one at WARNING. Later ones are counted per reason."""

Start = Literal["beginning", "stored"] | datetime
"""Start of a replay: the first offset (a rebuild), a time (an archive replay onto the
stored figures), or the positions the projection stored (the beginning for a new
projection)."""


@dataclass
class ReplayStats:
    """Counts of one replay.

    Attributes:
        applied: events applied to the figures.
        skipped: records that could not be decoded or lack the event-log fields.
        skipped_by_reason: skipped records per reason, such as the decoding error type.
        reread: records read again that the figures included before the replay; they
            are not applied again.
    """

    applied: int = 0
    skipped: int = 0
    reread: int = 0
    skipped_by_reason: Counter[str] = field(default_factory=Counter)

    def skip(self, reason: str, message: Any, detail: object) -> None:
        """Count one skipped record, and log it at WARNING if it is one of the first few."""
        self.skipped += 1
        self.skipped_by_reason[reason] += 1
        level = logging.WARNING if self.skipped <= _SKIPS_LOGGED else logging.DEBUG
        logger.log(
            level,
            "record skipped topic=%s partition=%s offset=%s reason=%s detail=%s",
            message.topic(),
            message.partition(),
            message.offset(),
            reason,
            detail,
        )
        if self.skipped == _SKIPS_LOGGED:
            logger.warning("further skipped records are logged at DEBUG and counted at the end")


def replay_projection(
    projection: EventLogProjection,
    *,
    bootstrap_servers: str,
    registry_url: str,
    topic: str,
    start: Start = "stored",
    stop: threading.Event | None = None,
) -> ReplayStats:
    """Apply the committed events of `topic` to `projection` up to the topic's end.

    A start of "beginning" removes the projection's figures first. A time keeps them
    and reads each partition again from its first record at or after the time, or from
    the stored position when that is earlier, and from the beginning when the
    projection has no position for it. `apply` is not idempotent, so records below the
    stored positions are read but not applied again, and the figures equal those of a
    rebuild from the beginning. With `stop`, the replay keeps following the topic until
    `stop` is set.

    Raises:
        ConfigurationError: the topic does not exist.
        KafkaException: a fetch failed.
        TimeoutError: no record and no end of a partition arrived for 60 s.
    """
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap_servers,
            "group.id": f"keybus-projection-{topic}",
            "isolation.level": "read_committed",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
        }
    )
    try:
        included = {} if start == "beginning" else projection.positions(topic)
        consumer.assign(_start_positions(consumer, projection, topic, start, bootstrap_servers))
        deserializer = AvroDeserializer(RegistryClient(registry_url))
        return _consume(consumer, projection, deserializer, stop, included)
    finally:
        consumer.close()


def _start_positions(
    consumer: Consumer,
    projection: EventLogProjection,
    topic: str,
    start: Start,
    bootstrap_servers: str,
) -> list[TopicPartition]:
    metadata = consumer.list_topics(topic, timeout=30.0).topics[topic]
    if metadata.error is not None and metadata.error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART:
        raise ConfigurationError(
            f"Topic {topic} does not exist in Kafka at {bootstrap_servers}. Check the name "
            "given to --topic; `keybus import` creates the topic it imports into."
        )
    if metadata.error is not None:
        raise KafkaException(metadata.error)
    partitions = sorted(metadata.partitions)
    if start == "beginning":
        projection.reset()
        return [TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions]
    stored = projection.positions(topic)
    if start == "stored":
        return [TopicPartition(topic, p, stored.get(p, OFFSET_BEGINNING)) for p in partitions]
    at_ms = int(start.timestamp() * 1000)
    wanted = [TopicPartition(topic, p, at_ms) for p in partitions]
    found = consumer.offsets_for_times(wanted, timeout=30.0)
    return [TopicPartition(topic, tp.partition, _archive_start(tp, stored)) for tp in found]


def _archive_start(at_time: TopicPartition, stored: dict[int, int]) -> int:
    """Return where an archive replay reads a partition: never after its stored position."""
    if at_time.partition not in stored:
        return OFFSET_BEGINNING
    if at_time.offset < 0:  # no record at or after the time
        return stored[at_time.partition]
    return min(at_time.offset, stored[at_time.partition])


def _consume(
    consumer: Consumer,
    projection: EventLogProjection,
    deserializer: AvroDeserializer,
    stop: threading.Event | None,
    included: dict[int, int],
) -> ReplayStats:
    stats = ReplayStats()
    partitions = {tp.partition for tp in consumer.assignment()}
    at_end: set[int] = set()
    idle_since = time.monotonic()
    while (stop is None and at_end != partitions) or (stop is not None and not stop.is_set()):
        messages = poll_batch(consumer, _BATCH_RECORDS, _POLL_S)
        if not messages:
            if stop is None and time.monotonic() - idle_since > _IDLE_TIMEOUT_S:
                raise TimeoutError(
                    f"Replay got no record and no end of partition for {_IDLE_TIMEOUT_S} s. "
                    "Check that the brokers are reachable."
                )
            continue
        idle_since = time.monotonic()
        with projection.batch():
            for message in messages:
                _apply(message, projection, deserializer, stats, at_end=at_end, included=included)
    logger.info(
        "projection replayed applied=%s reread=%s skipped=%s",
        stats.applied,
        stats.reread,
        stats.skipped,
    )
    if stats.skipped > _SKIPS_LOGGED:
        logger.warning(
            "records skipped in all: %s",
            ", ".join(f"{reason}={count}" for reason, count in stats.skipped_by_reason.items()),
        )
    return stats


def _apply(
    message: Any,
    projection: EventLogProjection,
    deserializer: AvroDeserializer,
    stats: ReplayStats,
    *,
    at_end: set[int],
    included: dict[int, int],
) -> None:
    error = message.error()
    if error is not None:
        if error.code() == KafkaError._PARTITION_EOF:
            at_end.add(message.partition())
            return
        raise KafkaException(error)
    at_end.discard(message.partition())
    if message.offset() < included.get(message.partition(), -1):
        stats.reread += 1
        return
    try:
        event = deserializer.decode(message.value()).value
    except SerdeError as exc:
        stats.skip(type(exc).__name__, message, exc)
        return
    if not isinstance(event, dict) or any(name not in event for name in _REQUIRED_FIELDS):
        stats.skip("no event-log fields", message, f"needs {', '.join(_REQUIRED_FIELDS)}")
        return
    projection.apply(event, message.topic(), message.partition(), message.offset())
    stats.applied += 1
