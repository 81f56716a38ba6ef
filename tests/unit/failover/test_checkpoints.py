"""MirrorMaker 2 record decoding and offset translation; records are built in the test.

The byte layouts follow Apache Kafka 4.1's `Checkpoint` and `OffsetSync` serializers;
the integration tests read the same records from a real MirrorMaker.
"""

from __future__ import annotations

import struct

import pytest
from confluent_kafka import TopicPartition

from keybus.failover import (
    Checkpoint,
    OffsetSync,
    OffsetTranslationError,
    reverse_translate,
)
from keybus.failover.checkpoints import decode_checkpoint, decode_offset_sync, latest_checkpoints


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack(">h", len(data)) + data


def _checkpoint_record(
    group: str, topic: str, partition: int, upstream: int, downstream: int, *, version: int = 0
) -> tuple[bytes, bytes]:
    key = _string(group) + _string(topic) + struct.pack(">i", partition)
    value = struct.pack(">hqq", version, upstream, downstream) + _string("")
    return key, value


def test_decode_checkpoint_reads_every_field() -> None:
    key, value = _checkpoint_record("billing", "orders", 2, 120, 118)

    checkpoint = decode_checkpoint(key, value)

    assert checkpoint == Checkpoint("billing", "orders", 2, 120, 118, "")


def test_decode_checkpoint_keeps_offset_zero() -> None:
    key, value = _checkpoint_record("g", "orders", 0, 0, 0)

    checkpoint = decode_checkpoint(key, value)

    assert checkpoint.upstream_offset == 0
    assert checkpoint.downstream_offset == 0


def test_decode_checkpoint_rejects_unknown_version() -> None:
    key, value = _checkpoint_record("g", "orders", 0, 5, 5, version=7)

    with pytest.raises(OffsetTranslationError, match="Unsupported checkpoint version 7"):
        decode_checkpoint(key, value)


def test_decode_checkpoint_rejects_truncated_value() -> None:
    key, value = _checkpoint_record("g", "orders", 0, 5, 5)

    with pytest.raises(OffsetTranslationError, match="Invalid checkpoint value: 6 bytes"):
        decode_checkpoint(key, value[:6])


def test_decode_offset_sync_reads_every_field() -> None:
    key = _string("orders") + struct.pack(">i", 1)
    value = struct.pack(">qq", 40, 38)

    sync = decode_offset_sync(key, value)

    assert sync == OffsetSync("orders", 1, 40, 38)


def test_latest_checkpoints_keeps_last_per_partition_of_group() -> None:
    checkpoints = [
        Checkpoint("g", "orders", 0, 10, 10, ""),
        Checkpoint("other", "orders", 0, 99, 99, ""),
        Checkpoint("g", "orders", 0, 20, 19, ""),
        Checkpoint("g", "orders", 1, 0, 0, ""),
    ]

    offsets = latest_checkpoints(checkpoints, "g")

    assert offsets == {TopicPartition("orders", 0): 19, TopicPartition("orders", 1): 0}


def test_reverse_translate_exact_sync_gives_exact_offset() -> None:
    syncs = [OffsetSync("orders", 0, 100, 90)]

    offsets = reverse_translate({TopicPartition("orders", 0): 90}, syncs)

    assert offsets == {TopicPartition("orders", 0): 100}


def test_reverse_translate_between_syncs_resumes_after_last_read() -> None:
    syncs = [OffsetSync("orders", 0, 0, 0), OffsetSync("orders", 0, 50, 50)]

    offsets = reverse_translate({TopicPartition("orders", 0): 57}, syncs)

    assert offsets == {TopicPartition("orders", 0): 51}


def test_reverse_translate_skips_positions_before_first_sync() -> None:
    syncs = [OffsetSync("orders", 0, 50, 50)]

    offsets = reverse_translate({TopicPartition("orders", 0): 10}, syncs)

    assert offsets == {}


def test_reverse_translate_maps_prefixed_topic_names() -> None:
    syncs = [OffsetSync("orders", 3, 8, 8)]

    offsets = reverse_translate(
        {TopicPartition("east.orders", 3): 8}, syncs, lambda topic: topic.split(".", 1)[1]
    )

    assert offsets == {TopicPartition("east.orders", 3): 8}
