"""Snapshots of aggregate state in a compacted topic: one record per aggregate, the latest."""

from __future__ import annotations

import logging
from typing import Any

from confluent_kafka import TopicPartition
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from keybus.batches import poll_batch
from keybus.errors import clause
from keybus.events.model import utc_now
from keybus.kafka import Consumer
from keybus.sourcing.errors import SourcingError
from keybus.sourcing.offsets import partition_ids, watermarks

__all__ = ["Snapshot", "decode_snapshot", "encode_snapshot", "read_snapshots", "read_to_end"]

logger = logging.getLogger(__name__)

_POLL_TIMEOUT_S = 0.5


class Snapshot(BaseModel):
    """The state of one aggregate after a known event.

    Attributes:
        aggregate: the aggregate type's name.
        aggregate_id: the aggregate's id, also the record key on the snapshots topic.
        version: the aggregate version the state includes.
        state: the state model's JSON values.
        partition: the stream partition that contains the aggregate's events.
        offset: the stream offset of the event at `version`; recovery reads after it.
        taken_at: when the snapshot was written.
    """

    model_config = ConfigDict(frozen=True)

    aggregate: str
    aggregate_id: str
    version: int
    state: dict[str, Any]
    partition: int
    offset: int
    taken_at: AwareDatetime = Field(default_factory=utc_now)


def encode_snapshot(snapshot: Snapshot) -> tuple[bytes, bytes]:
    """Return the record key and JSON value of a snapshot."""
    return snapshot.aggregate_id.encode(), snapshot.model_dump_json().encode()


def decode_snapshot(value: bytes) -> Snapshot:
    """Read a snapshot record value.

    Raises:
        SourcingError: the value is not a snapshot written by `encode_snapshot`.
    """
    try:
        return Snapshot.model_validate_json(value)
    except ValueError as exc:
        raise SourcingError(
            f"Snapshot record of {len(value)} bytes is not a keybus snapshot: {clause(exc)}. "
            "Delete it from the snapshots topic; recovery then replays the stream instead."
        ) from exc


def read_snapshots(bootstrap_servers: str, topic: str) -> dict[str, Snapshot]:
    """Read the latest snapshot of every aggregate from a snapshots topic.

    Compaction keeps about one record per aggregate, so the topic is read to its end. A
    tombstone (null value) removes an aggregate's snapshot.
    """
    snapshots: dict[str, Snapshot] = {}
    for record in read_to_end(bootstrap_servers, topic):
        key = (record.key() or b"").decode()
        value = record.value()
        if value is None:
            snapshots.pop(key, None)
        else:
            snapshots[key] = decode_snapshot(value)
    logger.info("snapshots read topic=%s aggregates=%s", topic, len(snapshots))
    return snapshots


def read_to_end(
    bootstrap_servers: str,
    topic: str,
    *,
    start: dict[int, int] | None = None,
    partitions: list[int] | None = None,
) -> list[Any]:
    """Return every record of `topic` from `start` (default: the beginning) to the current end.

    Args:
        start: first offset to read, by partition.
        partitions: the partitions to read; default all.
    """
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap_servers,
            "group.id": "keybus-read-to-end",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
        }
    )
    try:
        return _read(consumer, topic, start or {}, partitions)
    finally:
        consumer.close()


def _read(
    consumer: Consumer, topic: str, start: dict[int, int], partitions: list[int] | None
) -> list[Any]:
    chosen = partition_ids(consumer, topic) if partitions is None else partitions
    ends: dict[int, int] = {}
    assignment = []
    for partition in chosen:
        low, high = watermarks(consumer, topic, partition)
        first = max(low, start.get(partition, low))
        if first < high:
            ends[partition] = high
            assignment.append(TopicPartition(topic, partition, first))
    records: list[Any] = []
    if not assignment:
        return records
    consumer.assign(assignment)
    while ends:
        for record in poll_batch(consumer, 500, _POLL_TIMEOUT_S):
            if record.error() is None:
                records.append(record)
        # Transaction markers take offsets too, so the end is reached when the position,
        # not the last record's offset, arrives at the high watermark.
        positions = consumer.position([TopicPartition(topic, p) for p in ends])
        ends = {
            tp.partition: ends[tp.partition] for tp in positions if tp.offset < ends[tp.partition]
        }
    return records
