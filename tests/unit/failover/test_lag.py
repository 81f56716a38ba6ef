"""Replication lag arithmetic: where counting starts, and how consumed records are tallied.

Offset syncs and records are built in the test, and no broker runs. The integration test
`tests/integration/mirror/test_transactional_lag.py` counts against real clusters.
"""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaError, KafkaException, Message

from keybus.failover import OffsetSync
from keybus.failover.lag import CountStart, _tally, count_starts, latest_offset_syncs


def test_latest_offset_syncs_keeps_last_per_partition() -> None:
    syncs = [
        OffsetSync("orders", 0, 10, 10),
        OffsetSync("orders", 1, 4, 4),
        OffsetSync("orders", 0, 31, 25),
    ]

    latest = latest_offset_syncs(syncs)

    assert latest == {
        ("orders", 0): OffsetSync("orders", 0, 31, 25),
        ("orders", 1): OffsetSync("orders", 1, 4, 4),
    }


def test_count_starts_right_after_sync() -> None:
    sync = OffsetSync("orders", 0, 31, 25)

    start = count_starts(sync, source_end=40, target_end=30)

    assert start == CountStart(32, 26)


def test_count_starts_at_log_start_without_sync() -> None:
    start = count_starts(None, source_end=40, target_end=0, source_start=12)

    assert start == CountStart(12, 0)


@pytest.mark.parametrize(("source_end", "target_end"), [(31, 30), (40, 25)])
def test_count_starts_ignores_sync_past_end(source_end: int, target_end: int) -> None:
    sync = OffsetSync("orders", 0, 31, 25)

    start = count_starts(sync, source_end=source_end, target_end=target_end, source_start=3)

    assert start == CountStart(3, 0)


def _record(offset: int, partition: int = 0) -> Message:
    return Message(topic="orders", partition=partition, offset=offset, value=b"v")


def _end_of_partition(offset: int, partition: int = 0) -> Message:
    error = KafkaError(KafkaError._PARTITION_EOF)
    return Message(topic="orders", partition=partition, offset=offset, error=error)


def test_tally_counts_records_before_end() -> None:
    counts = {("orders", 0): 0}
    ends = {("orders", 0): 10}

    for offset in (4, 6, 8):
        _tally(_record(offset), counts, ends)

    assert counts[("orders", 0)] == 3
    assert ("orders", 0) in ends, "offset 9 may still hold a record"


def test_tally_finishes_partition_at_last_offset() -> None:
    counts = {("orders", 0): 0}
    ends = {("orders", 0): 10}

    _tally(_record(9), counts, ends)

    assert counts[("orders", 0)] == 1
    assert ends == {}


def test_tally_skips_record_written_after_end() -> None:
    counts = {("orders", 0): 2}
    ends = {("orders", 0): 10}

    _tally(_record(12), counts, ends)
    _tally(_record(13), counts, ends)

    assert counts[("orders", 0)] == 2
    assert ends == {}


def test_tally_finishes_partition_at_end_of_partition() -> None:
    counts = {("orders", 0): 1, ("orders", 1): 0}
    ends = {("orders", 0): 10, ("orders", 1): 5}

    _tally(_end_of_partition(8), counts, ends)

    assert ends == {("orders", 1): 5}
    assert counts == {("orders", 0): 1, ("orders", 1): 0}


def test_tally_raises_other_errors() -> None:
    error = Message(
        topic="orders", partition=0, error=KafkaError(KafkaError.TOPIC_AUTHORIZATION_FAILED)
    )

    with pytest.raises(KafkaException):
        _tally(error, {("orders", 0): 0}, {("orders", 0): 10})
