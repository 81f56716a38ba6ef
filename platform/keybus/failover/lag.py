"""Replication lag per topic: committed source records that MirrorMaker 2 has not copied.

End offsets alone cannot give the lag. A topic written in Kafka transactions contains a
commit or abort marker after each transaction, and an aborted transaction contains
records that no read_committed consumer sees. Both take source offsets, but MirrorMaker 2 copies
neither, because its consumer reads with `isolation.level=read_committed` as the configs
in deploy/mirrormaker set it. So the lag here is a count of records, anchored on
MirrorMaker's own bookkeeping:

1. The newest offset sync of a partition states that the source record at its upstream
   offset is the target record at its downstream offset.
2. MirrorMaker copies the committed records after that upstream offset in order, one
   target record each. So the lag is the number of committed records after the upstream
   offset minus the number of records after the downstream offset.

Both counts come from read_committed consumers. MirrorMaker 2 of Apache Kafka 4.1 writes
a new sync once the newest one is `offset.lag.max` records behind (default 100), and
writes the newest pending one every `offset.flush.interval.ms`. So a caught-up partition
costs reading fewer than about `offset.lag.max` records on each side, and a partition
with lag also costs reading its unmirrored records once. Records of a transaction that
is still open count once it commits.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from confluent_kafka import KafkaError, KafkaException, Message, TopicPartition

from keybus.failover.checkpoints import OffsetSync, read_offset_syncs
from keybus.failover.errors import FailoverError
from keybus.failover.parity import mirrored_name, mirrored_topics, topics_copied_to
from keybus.kafka import AdminClient, Consumer

__all__ = ["CountStart", "TopicLag", "count_starts", "latest_offset_syncs", "topic_lags"]

logger = logging.getLogger(__name__)

_PartitionKey = tuple[str, int]
_BATCH_SIZE = 500


@dataclass(frozen=True)
class TopicLag:
    """Records of a source topic that its copy in the target does not contain yet."""

    topic: str
    target_topic: str
    source_end: int
    """Sum of the source partitions' end offsets, transaction markers included."""
    target_end: int | None
    """Sum of the copy's end offsets, or None when the copy is missing."""
    lag: int | None
    """Committed source records not copied yet, or None when the copy is missing."""


@dataclass(frozen=True)
class CountStart:
    """The offsets from which records are counted in a source partition and its copy."""

    source_offset: int
    target_offset: int


def latest_offset_syncs(syncs: Iterable[OffsetSync]) -> dict[_PartitionKey, OffsetSync]:
    """Return the last of the offset syncs (oldest first) of each source partition."""
    return {(sync.topic, sync.partition): sync for sync in syncs}


def count_starts(
    sync: OffsetSync | None, source_end: int, target_end: int, source_start: int = 0
) -> CountStart:
    """Return where counting starts in a partition and its copy: right after `sync`.

    Without a sync, counting starts at `source_start` (the source log start offset) and
    at 0 in the copy, because MirrorMaker starts a new partition at its earliest offset.
    A sync at or past an end offset comes from an earlier topic of the same name and is
    ignored in the same way.
    """
    if sync is None or sync.upstream_offset >= source_end or sync.downstream_offset >= target_end:
        return CountStart(source_start, 0)
    return CountStart(sync.upstream_offset + 1, sync.downstream_offset + 1)


def topic_lags(
    source_servers: str,
    target_servers: str,
    source_region: str,
    target_region: str,
    topology: str,
    *,
    timeout_s: float = 30.0,
) -> list[TopicLag]:
    """Count the committed records of every source topic that its copy lacks.

    The offset syncs are read first and the source last, so a record written meanwhile
    shows as lag rather than hiding some.

    NOTE: the count assumes that the copy contains only what a read_committed
    MirrorMaker wrote. A topic that clients also write in the target (after a failover)
    shows less lag than it has. So does every topic under a MirrorMaker left at its
    default read_uncommitted, which copies aborted records too.
    """
    rename = mirrored_name(topology, source_region)
    source_admin = AdminClient({"bootstrap.servers": source_servers})
    source_topics = topics_copied_to(source_admin, topology, target_region)
    target_topics = mirrored_topics(AdminClient({"bootstrap.servers": target_servers}))
    syncs = latest_offset_syncs(read_offset_syncs(source_servers, target_region, timeout_s))
    pairs = {
        (topic, partition): (rename(topic), partition)
        for topic, count in source_topics.items()
        if rename(topic) in target_topics
        for partition in range(count)
    }
    copies = [copy for copy in pairs.values() if copy[1] < target_topics[copy[0]]]
    target = _Cluster(target_servers, _watermarks(target_servers, copies, timeout_s))
    source_partitions = [(t, p) for t, count in source_topics.items() for p in range(count)]
    source = _Cluster(source_servers, _watermarks(source_servers, source_partitions, timeout_s))
    lags = _partition_lags(source, target, pairs, syncs, timeout_s)
    return [
        _topic_lag(topic, rename(topic), source, target, lags) for topic in sorted(source_topics)
    ]


@dataclass(frozen=True)
class _Cluster:
    servers: str
    watermarks: Mapping[_PartitionKey, tuple[int, int]]
    """The log start and end offsets of each partition read."""

    def end(self, key: _PartitionKey) -> int:
        return self.watermarks.get(key, (0, 0))[1]


def _partition_lags(
    source: _Cluster,
    target: _Cluster,
    pairs: Mapping[_PartitionKey, _PartitionKey],
    syncs: Mapping[_PartitionKey, OffsetSync],
    timeout_s: float,
) -> dict[_PartitionKey, int]:
    """Return the lag of each source partition that has a copy, keyed by the source."""
    starts = {
        key: count_starts(
            syncs.get(key), source.end(key), target.end(copy), source.watermarks[key][0]
        )
        for key, copy in pairs.items()
    }
    target_ranges = {
        copy: (starts[key].target_offset, target.end(copy)) for key, copy in pairs.items()
    }
    source_ranges = {key: (start.source_offset, source.end(key)) for key, start in starts.items()}
    target_counts = _count_records(target.servers, target_ranges, timeout_s)
    source_counts = _count_records(source.servers, source_ranges, timeout_s)
    lags: dict[_PartitionKey, int] = {}
    for key, copy in pairs.items():
        lags[key] = max(source_counts[key] - target_counts[copy], 0)
        logger.debug(
            "mirror lag topic=%s partition=%s from=%s/%s counted=%s/%s lag=%s",
            *key,
            starts[key].source_offset,
            starts[key].target_offset,
            source_counts[key],
            target_counts[copy],
            lags[key],
        )
    return lags


def _topic_lag(
    topic: str, copy: str, source: _Cluster, target: _Cluster, lags: Mapping[_PartitionKey, int]
) -> TopicLag:
    keys = [key for key in source.watermarks if key[0] == topic]
    source_end = sum(source.end(key) for key in keys)
    if not all(key in lags for key in keys):
        return TopicLag(topic, copy, source_end, None, None)
    target_end = sum(target.end((copy, partition)) for _topic, partition in keys)
    return TopicLag(topic, copy, source_end, target_end, sum(lags[key] for key in keys))


def _reader(bootstrap_servers: str) -> Consumer:
    return Consumer(
        {
            "bootstrap.servers": bootstrap_servers,
            "group.id": f"keybus-lag-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
            "enable.partition.eof": True,
        }
    )


def _watermarks(
    bootstrap_servers: str, partitions: Iterable[_PartitionKey], timeout_s: float
) -> dict[_PartitionKey, tuple[int, int]]:
    """Return the log start and end offsets of each partition."""
    reader = _reader(bootstrap_servers)
    try:
        return {
            (topic, partition): reader.get_watermark_offsets(
                TopicPartition(topic, partition), timeout=timeout_s
            )
            for topic, partition in partitions
        }
    finally:
        reader.close()


def _count_records(
    bootstrap_servers: str, ranges: Mapping[_PartitionKey, tuple[int, int]], timeout_s: float
) -> dict[_PartitionKey, int]:
    """Count the records a read_committed consumer gets in each [start, end) range.

    Markers and aborted records take offsets but are never returned, so a range ends at
    the first record at or past `end`, or where the consumer reaches the partition end.
    Raises when no partition makes progress for `timeout_s`.
    """
    counts = dict.fromkeys(ranges, 0)
    pending = {key: end for key, (start, end) in ranges.items() if start < end}
    if not pending:
        return counts
    reader = _reader(bootstrap_servers)
    try:
        reader.assign([TopicPartition(t, p, ranges[(t, p)][0]) for t, p in pending])
        deadline = time.monotonic() + timeout_s
        while pending:
            if time.monotonic() > deadline:
                raise _count_timeout(bootstrap_servers, pending, timeout_s)
            records = reader.consume(_BATCH_SIZE, 1.0)
            if records:
                deadline = time.monotonic() + timeout_s
            for record in records:
                _tally(record, counts, pending)
    finally:
        reader.close()
    return counts


def _count_timeout(
    bootstrap_servers: str, pending: Mapping[_PartitionKey, int], timeout_s: float
) -> FailoverError:
    partitions = ", ".join(f"{topic}-{partition}" for topic, partition in sorted(pending))
    return FailoverError(
        f"Counting records for the replication lag at {bootstrap_servers} timed out: "
        f"{partitions} returned nothing for {timeout_s:g} s before their end offsets. "
        "Check that the brokers are healthy, or retry.",
        retryable=True,
    )


def _tally(
    record: Message, counts: dict[_PartitionKey, int], ends: dict[_PartitionKey, int]
) -> None:
    """Count one consumed record, and drop its partition from `ends` once it is done."""
    topic, partition, offset = record.topic(), record.partition(), record.offset()
    if topic is None or partition is None:
        return
    key = (topic, partition)
    error = record.error()
    if error is not None:
        if error.code() != KafkaError._PARTITION_EOF:
            raise KafkaException(error)
        ends.pop(key, None)
        return
    if key not in ends or offset is None:
        return
    if offset < ends[key]:
        counts[key] += 1
    if offset + 1 >= ends[key]:
        del ends[key]
