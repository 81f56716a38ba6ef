"""A group whose committed offset is 0 keeps its place after failover.

Real east and west clusters with a real MirrorMaker 2 (active-passive, one-second
checkpoints). Only the failover consumer's health probe is faked in the two
FailoverConsumer tests, so that the consumer treats east as down while it still runs.
"""

from __future__ import annotations

import time
import uuid

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from keybus.failover import (
    FailoverConsumer,
    RegionEndpoint,
    RegionSelector,
    StartPolicy,
    translate_offsets,
)
from keybus.testing.regions import TwoRegions

RECORDS = 100
WAIT_S = 60.0


def _create_topic(regions: TwoRegions, name: str) -> None:
    admin = AdminClient({"bootstrap.servers": regions.east.bootstrap_servers})
    admin.create_topics([NewTopic(name, 1, 1)])[name].result()
    regions.wait_for_topic(name)


def _commit_offset_zero(servers: str, group: str, topic: str) -> None:
    consumer = Consumer({"bootstrap.servers": servers, "group.id": group})
    deadline = time.monotonic() + WAIT_S
    while True:
        try:
            consumer.commit(offsets=[TopicPartition(topic, 0, 0)], asynchronous=False)
            break
        except KafkaException:
            # A fresh cluster returns NOT_COORDINATOR until __consumer_offsets is ready.
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    consumer.close()


def _produce(servers: str, topic: str) -> None:
    producer = Producer({"bootstrap.servers": servers, "enable.idempotence": True})
    for index in range(RECORDS):
        producer.produce(topic, str(index).encode(), key=str(index))
    assert producer.flush(30) == 0


def _wait_for_translation(regions: TwoRegions, group: str, topic: str) -> dict[TopicPartition, int]:
    deadline = time.monotonic() + WAIT_S
    translated: dict[TopicPartition, int] = {}
    while time.monotonic() < deadline and TopicPartition(topic, 0) not in translated:
        translated = translate_offsets(group, "east", regions.west.bootstrap_servers)
        time.sleep(0.5)
    return translated


def _wait_for_west_commit(regions: TwoRegions, group: str, topic: str) -> int:
    """Wait until MirrorMaker committed the group's offset in west; return it (-1001 if none)."""
    reader = Consumer({"bootstrap.servers": regions.west.bootstrap_servers, "group.id": group})
    deadline = time.monotonic() + WAIT_S
    offset = -1001
    while time.monotonic() < deadline and offset < 0:
        offset = reader.committed([TopicPartition(topic, 0)], timeout=10)[0].offset
        time.sleep(0.5)
    reader.close()
    return offset


def _wait_for_west_end(regions: TwoRegions, topic: str) -> None:
    reader = Consumer({"bootstrap.servers": regions.west.bootstrap_servers, "group.id": "probe"})
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if reader.get_watermark_offsets(TopicPartition(topic, 0), timeout=5)[1] >= RECORDS:
            break
        time.sleep(0.5)
    reader.close()


def _read_all(consumer: Consumer | FailoverConsumer, idle_s: float = 5.0) -> list[int]:
    values: list[int] = []
    quiet_until = time.monotonic() + idle_s
    while time.monotonic() < quiet_until or len(values) < RECORDS:
        batch = consumer.consume(100, 0.5)
        values.extend(int(record.value() or b"-1") for record in batch if record.error() is None)
        if batch:
            quiet_until = time.monotonic() + idle_s
        if time.monotonic() > quiet_until + WAIT_S:
            break
    return values


def _west_only_selector(regions: TwoRegions) -> RegionSelector:
    def east_down(region: RegionEndpoint, _timeout_s: float) -> bool:
        return region.name != "east"

    return RegionSelector(
        [regions.east_endpoint, regions.west_endpoint], failure_threshold=1, probe=east_down
    )


def test_offset_zero_is_checkpointed_and_synced(two_regions: TwoRegions) -> None:
    topic = f"orders-{uuid.uuid4().hex[:8]}"
    group = f"g-{uuid.uuid4().hex[:8]}"
    _create_topic(two_regions, topic)
    _commit_offset_zero(two_regions.east.bootstrap_servers, group, topic)
    _produce(two_regions.east.bootstrap_servers, topic)

    translated = _wait_for_translation(two_regions, group, topic)
    committed_in_west = _wait_for_west_commit(two_regions, group, topic)
    _wait_for_west_end(two_regions, topic)
    consumer = Consumer(
        {
            "bootstrap.servers": two_regions.west.bootstrap_servers,
            "group.id": group,
            "auto.offset.reset": "latest",
        }
    )
    consumer.subscribe([topic])
    values = _read_all(consumer)
    consumer.close()

    assert translated == {TopicPartition(topic, 0): 0}, "no checkpoint for offset 0"
    assert committed_in_west == 0, "MirrorMaker did not commit offset 0 in west"
    assert sorted(values) == list(range(RECORDS)), f"latest reset skipped {RECORDS - len(values)}"


def test_failover_consumer_uses_translated_offset_zero(two_regions: TwoRegions) -> None:
    topic = f"orders-{uuid.uuid4().hex[:8]}"
    group = f"g-{uuid.uuid4().hex[:8]}"
    _create_topic(two_regions, topic)
    _commit_offset_zero(two_regions.east.bootstrap_servers, group, topic)
    _produce(two_regions.east.bootstrap_servers, topic)
    _wait_for_translation(two_regions, group, topic)
    _wait_for_west_end(two_regions, topic)

    consumer = FailoverConsumer(
        _west_only_selector(two_regions),
        group,
        [topic],
        start_policy=StartPolicy.LATEST,
        health_interval_s=0.0,
    )
    values = _read_all(consumer)
    starts = dict(consumer.last_start_positions)
    consumer.close()

    assert consumer.region.name == "west"
    assert starts[TopicPartition(topic, 0)].source == "translated"
    assert starts[TopicPartition(topic, 0)].offset == 0
    assert sorted(values) == list(range(RECORDS))


def test_failover_without_checkpoint_starts_earliest(two_regions: TwoRegions) -> None:
    topic = f"orders-{uuid.uuid4().hex[:8]}"
    group = f"never-committed-{uuid.uuid4().hex[:8]}"
    _create_topic(two_regions, topic)
    _produce(two_regions.east.bootstrap_servers, topic)
    _wait_for_west_end(two_regions, topic)

    consumer = FailoverConsumer(
        _west_only_selector(two_regions), group, [topic], health_interval_s=0.0
    )
    values = _read_all(consumer)
    starts = dict(consumer.last_start_positions)
    consumer.close()

    assert starts[TopicPartition(topic, 0)].source == "earliest"
    assert sorted(values) == list(range(RECORDS))
