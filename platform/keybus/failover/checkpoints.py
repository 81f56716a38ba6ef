"""MirrorMaker 2 checkpoints and offset syncs: decode them and translate group offsets.

Both record kinds use Kafka's own protocol encoding, as written by the `Checkpoint` and
`OffsetSync` classes of `org.apache.kafka.connect.mirror` in Apache Kafka 4.1. Numbers
are big-endian, and a STRING is an INT16 length followed by UTF-8 bytes.

- checkpoint key: group STRING, topic STRING, partition INT32; value: version INT16
  (0), upstream offset INT64, downstream offset INT64, metadata STRING. The topic is
  the name in the target cluster, so the downstream offset can be used as is there.
- offset sync key: topic STRING, partition INT32; value: upstream offset INT64,
  downstream offset INT64. The topic is the name in the source cluster.
"""

from __future__ import annotations

import dataclasses
import logging
import struct
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from confluent_kafka import KafkaException, Message, TopicPartition

from keybus.errors import clause
from keybus.failover.errors import OffsetTranslationError
from keybus.kafka import Consumer

__all__ = [
    "Checkpoint",
    "OffsetSync",
    "checkpoints_topic",
    "decode_checkpoint",
    "decode_offset_sync",
    "latest_checkpoints",
    "offset_syncs_topic",
    "read_checkpoints",
    "read_offset_syncs",
    "reverse_translate",
    "translate_offsets",
]

logger = logging.getLogger(__name__)

_CHECKPOINT_VERSION = 0


@dataclass(frozen=True)
class Checkpoint:
    """A group's committed offset in the source and its translation in the target."""

    group: str
    topic: str
    partition: int
    upstream_offset: int
    downstream_offset: int
    metadata: str
    timestamp_ms: int = -1
    """When MirrorMaker wrote the checkpoint (the record timestamp); -1 when unknown."""


@dataclass(frozen=True)
class OffsetSync:
    """A pair of offsets of the same record in the source and in the target."""

    topic: str
    partition: int
    upstream_offset: int
    downstream_offset: int


def checkpoints_topic(source_region: str) -> str:
    """Return the target-cluster topic where MirrorMaker writes checkpoints of a source."""
    return f"{source_region}.checkpoints.internal"


def offset_syncs_topic(target_region: str) -> str:
    """Return the source-cluster topic of offset syncs for a flow into `target_region`."""
    return f"mm2-offset-syncs.{target_region}.internal"


class _Reader:
    """Sequential reads of Kafka protocol primitives from one record key or value."""

    def __init__(self, data: bytes, what: str) -> None:
        self._data = data
        self._position = 0
        self._what = what

    def take(self, fmt: str) -> int:
        size = struct.calcsize(fmt)
        if self._position + size > len(self._data):
            raise OffsetTranslationError(
                f"Invalid {self._what}: {len(self._data)} bytes end before byte "
                f"{self._position + size}. The topic holds records that MirrorMaker 2 of "
                "Apache Kafka 4.x did not write; check the topic name."
            )
        (value,) = struct.unpack_from(fmt, self._data, self._position)
        self._position += size
        return int(value)

    def string(self) -> str:
        length = self.take(">h")
        if length < 0:
            return ""
        start = self._position
        self._position += length
        return self._data[start : self._position].decode()


def decode_checkpoint(key: bytes, value: bytes) -> Checkpoint:
    """Decode one record of a `<source>.checkpoints.internal` topic."""
    key_reader = _Reader(key, "checkpoint key")
    group = key_reader.string()
    topic = key_reader.string()
    partition = key_reader.take(">i")
    value_reader = _Reader(value, "checkpoint value")
    version = value_reader.take(">h")
    if version != _CHECKPOINT_VERSION:
        raise OffsetTranslationError(
            f"Unsupported checkpoint version {version} for group '{group}' on {topic}-"
            f"{partition}: only version {_CHECKPOINT_VERSION} is known. Upgrade keybus to "
            "match the MirrorMaker release."
        )
    upstream = value_reader.take(">q")
    downstream = value_reader.take(">q")
    metadata = value_reader.string()
    return Checkpoint(group, topic, partition, upstream, downstream, metadata)


def decode_offset_sync(key: bytes, value: bytes) -> OffsetSync:
    """Decode one record of an `mm2-offset-syncs.<target>.internal` topic."""
    key_reader = _Reader(key, "offset sync key")
    topic = key_reader.string()
    partition = key_reader.take(">i")
    value_reader = _Reader(value, "offset sync value")
    upstream = value_reader.take(">q")
    downstream = value_reader.take(">q")
    return OffsetSync(topic, partition, upstream, downstream)


def latest_checkpoints(checkpoints: Iterable[Checkpoint], group: str) -> dict[TopicPartition, int]:
    """Return the downstream offset of the last checkpoint of `group` per partition."""
    offsets: dict[tuple[str, int], int] = {}
    for checkpoint in checkpoints:
        if checkpoint.group == group:
            offsets[(checkpoint.topic, checkpoint.partition)] = checkpoint.downstream_offset
    return {
        TopicPartition(topic, partition): offset for (topic, partition), offset in offsets.items()
    }


def reverse_translate(
    positions: dict[TopicPartition, int],
    syncs: Iterable[OffsetSync],
    to_upstream_topic: Callable[[str], str] = lambda topic: topic,
) -> dict[TopicPartition, int]:
    """Map consumer positions in the target back to the source through offset syncs.

    A position is the next offset to read. When a sync sits exactly at the position,
    its upstream offset is exact. Otherwise the last sync below the position proves that
    its record was read, so reading resumes right after it. The records between that
    sync and the position are read again, so the result may repeat up to
    `offset.lag.max` records per partition but never skips one. Positions before the
    first sync are left out, and the caller falls back to another source for them.
    """
    by_partition: dict[tuple[str, int], list[OffsetSync]] = {}
    for sync in syncs:
        by_partition.setdefault((sync.topic, sync.partition), []).append(sync)
    translated: dict[TopicPartition, int] = {}
    for tp, position in positions.items():
        candidates = by_partition.get((to_upstream_topic(tp.topic), tp.partition), [])
        exact = [s.upstream_offset for s in candidates if s.downstream_offset == position]
        below = [s for s in candidates if s.downstream_offset < position]
        if exact:
            translated[TopicPartition(tp.topic, tp.partition)] = max(exact)
        elif below:
            last = max(below, key=lambda sync: sync.downstream_offset)
            translated[TopicPartition(tp.topic, tp.partition)] = last.upstream_offset + 1
    return translated


def read_checkpoints(
    bootstrap_servers: str, source_region: str, timeout_s: float = 10.0
) -> list[Checkpoint]:
    """Read every checkpoint of `source_region` from the target cluster, oldest first."""
    topic = checkpoints_topic(source_region)
    return [
        dataclasses.replace(
            decode_checkpoint(record.key() or b"", record.value() or b""),
            timestamp_ms=record.timestamp()[1],
        )
        for record in _read_to_end(bootstrap_servers, topic, timeout_s)
    ]


def read_offset_syncs(
    bootstrap_servers: str, target_region: str, timeout_s: float = 10.0
) -> list[OffsetSync]:
    """Read every offset sync of the flow into `target_region` from the source cluster."""
    topic = offset_syncs_topic(target_region)
    return [
        decode_offset_sync(record.key() or b"", record.value() or b"")
        for record in _read_to_end(bootstrap_servers, topic, timeout_s)
    ]


def translate_offsets(
    group: str, source_region: str, target_bootstrap_servers: str, timeout_s: float = 10.0
) -> dict[TopicPartition, int]:
    """Return `group`'s offsets in the target cluster from MirrorMaker's checkpoints.

    Returns what Kafka's `RemoteClusterUtils.translateOffsets` returns, the downstream
    offset of the last checkpoint per partition. Partitions without a checkpoint are
    absent, and the caller decides where those start (see `StartPolicy`).
    """
    checkpoints = read_checkpoints(target_bootstrap_servers, source_region, timeout_s)
    offsets = latest_checkpoints(checkpoints, group)
    logger.info(
        "translated offsets group=%s source=%s partitions=%s",
        group,
        source_region,
        len(offsets),
    )
    return offsets


def _read_to_end(bootstrap_servers: str, topic: str, timeout_s: float) -> Iterator[Message]:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap_servers,
            "group.id": f"keybus-reader-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "log_level": 0,
        }
    )
    try:
        yield from _consume_partitions(consumer, topic, timeout_s)
    except KafkaException as exc:
        raise OffsetTranslationError(
            f"Cannot read '{topic}' from {bootstrap_servers}: {clause(exc)}. Check that the "
            "cluster runs and MirrorMaker 2 has created the topic.",
            retryable=True,
        ) from exc
    finally:
        consumer.close()


def _consume_partitions(consumer: Consumer, topic: str, timeout_s: float) -> Iterator[Message]:
    metadata = consumer.list_topics(topic, timeout=timeout_s)
    described = metadata.topics.get(topic)
    if described is None or described.error is not None:
        logger.info("mirror topic missing topic=%s", topic)
        return
    ends: dict[int, int] = {}
    for partition in described.partitions:
        _low, high = consumer.get_watermark_offsets(
            TopicPartition(topic, partition), timeout=timeout_s
        )
        if high > 0:
            ends[partition] = high
    consumer.assign([TopicPartition(topic, partition, 0) for partition in ends])
    while ends:
        record = consumer.poll(timeout_s)
        if record is None:
            raise KafkaException(f"no record within {timeout_s:g} s before the end offsets")
        if record.error() is not None:
            continue
        partition = record.partition()
        offset = record.offset()
        if partition is None or offset is None:
            continue
        yield record
        if offset + 1 >= ends.get(partition, 0):
            ends.pop(partition, None)
