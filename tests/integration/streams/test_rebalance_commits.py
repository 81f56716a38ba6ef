"""Offsets keep being committed after a partition moves away from a worker and back.

Two real Faust worker processes (`slow_app.py`, built with keybus's `make_app`) share a
consumer group on a real broker. The second worker joins while the first is busy and
leaves gracefully, so a partition moves to it and back.
"""

from __future__ import annotations

import time
from pathlib import Path

from confluent_kafka import ConsumerGroupTopicPartitions, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from keybus.streams.workers import WorkerGroup
from keybus.testing import KafkaEndpoint
from keybus.testing.plugin import TopicFactory

HERE = Path(__file__).resolve().parent
PER_PARTITION = 10


def _handled(log: Path) -> list[tuple[int, int, int]]:
    if not log.exists():
        return []
    return [tuple(int(part) for part in line.split()) for line in log.read_text().splitlines()]  # type: ignore[misc]


def _wait_for(condition: object, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def _committed(admin: AdminClient, group: str, topic: str) -> dict[int, int]:
    request = ConsumerGroupTopicPartitions(
        group, [TopicPartition(topic, 0), TopicPartition(topic, 1)]
    )
    result = admin.list_consumer_group_offsets([request])[group].result()
    return {tp.partition: tp.offset for tp in result.topic_partitions}


def test_commits_continue_after_partition_returns(
    kafka: KafkaEndpoint, topic: TopicFactory, kafka_admin: AdminClient, tmp_path: Path
) -> None:
    name = topic(partitions=2)
    log = tmp_path / "handled.txt"
    app_id = f"slow-{name}"
    producer = Producer({"bootstrap.servers": kafka.bootstrap_servers})
    for partition in (0, 1):
        for n in range(PER_PARTITION):
            producer.produce(name, value=str(n).encode(), partition=partition)
    producer.flush(30)
    group = WorkerGroup(
        with_parent=True,
        topology="slow_app",
        module="slow_app",
        folder=tmp_path / "workers",
        environment={
            "PYTHONPATH": str(HERE),
            "KEYBUS_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
            "KEYBUS_APP_ID": app_id,
            "SLOW_APP_TOPIC": name,
            "SLOW_APP_LOG": str(log),
        },
    )
    try:
        group.start(1)
        _wait_for(lambda: len(_handled(log)) >= 2, 60, "worker 0 to start handling")
        group.start(2)
        worker_1 = group.pid(1)
        _wait_for(
            lambda: any(pid == worker_1 for *_, pid in _handled(log)),
            60,
            "worker 1 to own a partition",
        )
        group.stop(1)
        _wait_for(
            lambda: (
                {(p, o) for p, o, _ in _handled(log)}
                >= {(p, o) for p in (0, 1) for o in range(PER_PARTITION)}
            ),
            120,
            "every record to be handled",
        )
        _wait_for(
            lambda: _committed(kafka_admin, app_id, name) == {0: PER_PARTITION, 1: PER_PARTITION},
            30,
            "offsets to be committed up to the log end",
        )
        committed = _committed(kafka_admin, app_id, name)
        group.stop()
        handled_before_restart = len(_handled(log))
        group.start(1)
        time.sleep(10)
    finally:
        group.stop()

    assert committed == {0: PER_PARTITION, 1: PER_PARTITION}
    assert len(_handled(log)) == handled_before_restart, "records handled again after restart"
