"""`keybus mirror status` reports the true lag of a topic written in transactions.

Real east and west clusters with a real MirrorMaker 2 (active-passive, the configs of
deploy/mirrormaker). A transactional producer writes committed and aborted transactions
to east. The test stops MirrorMaker to create a known lag, and starts it again at the end.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from keybus.failover.lag import TopicLag, topic_lags
from keybus.testing.regions import TwoRegions

PARTITIONS = 2
WAIT_S = 90.0


@pytest.fixture
def topic(two_regions: TwoRegions) -> str:
    name = f"ledger-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": two_regions.east.bootstrap_servers})
    admin.create_topics([NewTopic(name, PARTITIONS, 1)])[name].result()
    two_regions.wait_for_topic(name)
    return name


@pytest.fixture
def producer(two_regions: TwoRegions) -> Iterator[Producer]:
    transactional = Producer(
        {
            "bootstrap.servers": two_regions.east.bootstrap_servers,
            "transactional.id": f"ledger-writer-{uuid.uuid4().hex[:8]}",
        }
    )
    transactional.init_transactions(30)
    yield transactional
    transactional.flush(10)


def _write(producer: Producer, topic: str, values: list[str], *, commit: bool) -> None:
    """Write `values` in one transaction, spread over the partitions, then commit or abort."""
    producer.begin_transaction()
    for index, value in enumerate(values):
        producer.produce(topic, value.encode(), partition=index % PARTITIONS)
    assert producer.flush(30) == 0
    if commit:
        producer.commit_transaction(30)
    else:
        producer.abort_transaction(30)


def _write_history(producer: Producer, topic: str, prefix: str, transactions: int) -> list[str]:
    """Write committed transactions of 5 records with an aborted one of 3 after every other."""
    committed: list[str] = []
    for number in range(transactions):
        values = [f"{prefix}-{number}-{index}" for index in range(5)]
        _write(producer, topic, values, commit=True)
        committed += values
        if number % 2 == 0:
            _write(
                producer, topic, [f"{prefix}-aborted-{number}-{i}" for i in range(3)], commit=False
            )
    return committed


def _lag(regions: TwoRegions, topic: str) -> TopicLag:
    lags = topic_lags(
        regions.east.bootstrap_servers,
        regions.west.bootstrap_servers,
        "east",
        "west",
        "active-passive",
    )
    return next(lag for lag in lags if lag.topic == topic)


def _wait_for_lag(regions: TwoRegions, topic: str, expected: int) -> TopicLag:
    deadline = time.monotonic() + WAIT_S
    lag = _lag(regions, topic)
    while lag.lag != expected and time.monotonic() < deadline:
        time.sleep(1)
        lag = _lag(regions, topic)
    return lag


def _status_lag(regions: TwoRegions, topic: str) -> str:
    """Run `keybus mirror status` and return the lag column of `topic`'s row."""
    command = [
        sys.executable, "-m", "keybus.cli", "mirror", "status",
        "--source-servers", regions.east.bootstrap_servers,
        "--target-servers", regions.west.bootstrap_servers,
    ]  # fmt: skip
    env = {**os.environ, "COLUMNS": "200"}
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=True, env=env
    )
    row = next(line for line in result.stdout.splitlines() if f" {topic} " in line)
    return re.split(r"\s*│\s*", row.strip("│ "))[-1]


def _west_values(regions: TwoRegions, topic: str) -> list[str]:
    reader = Consumer(
        {
            "bootstrap.servers": regions.west.bootstrap_servers,
            "group.id": f"west-reader-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "enable.partition.eof": True,
        }
    )
    reader.subscribe([topic])
    values: list[str] = []
    finished: set[int] = set()
    deadline = time.monotonic() + WAIT_S
    while len(finished) < PARTITIONS and time.monotonic() < deadline:
        for record in reader.consume(100, 1.0):
            if record.error() is None:
                values.append((record.value() or b"").decode())
            elif record.partition() is not None:
                finished.add(record.partition() or 0)
    reader.close()
    return values


def test_status_shows_no_lag_once_copied(
    two_regions: TwoRegions, topic: str, producer: Producer
) -> None:
    committed = _write_history(producer, topic, "a", transactions=6)

    lag = _wait_for_lag(two_regions, topic, 0)
    status_lag = _status_lag(two_regions, topic)
    west = _west_values(two_regions, topic)

    assert lag.lag == 0, lag
    assert lag.target_end is not None
    assert lag.source_end > lag.target_end, "markers and aborted records take source offsets"
    assert status_lag == "0"
    assert sorted(west) == sorted(committed), "west holds exactly the committed records"


def test_status_counts_records_while_mirror_stopped(
    two_regions: TwoRegions, topic: str, producer: Producer
) -> None:
    _write_history(producer, topic, "a", transactions=4)
    before = _wait_for_lag(two_regions, topic, 0)
    two_regions.mirror.stop()
    try:
        unmirrored = _write_history(producer, topic, "b", transactions=3)
        _write(producer, topic, ["b-aborted-last"], commit=False)

        status_lag = _status_lag(two_regions, topic)
        lag = _lag(two_regions, topic)
    finally:
        two_regions.restore()
    caught_up = _wait_for_lag(two_regions, topic, 0)

    assert before.lag == 0, before
    assert len(unmirrored) == 15
    assert status_lag == "15"
    assert lag.lag == 15, lag
    assert caught_up.lag == 0, caught_up
