"""Per-partition transactions on the real local Kafka broker.

Two `PartitionTransactions` stand for two workers of one consumer group; nothing is
faked. Outputs are read back with read_committed consumers.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from aiokafka.structs import TopicPartition
from confluent_kafka import Consumer

from keybus.streams.router import Output
from keybus.streams.transactions import PartitionTransactions, TransactionError
from keybus.testing import KafkaEndpoint
from keybus.testing.plugin import TopicFactory


def _read_committed(servers: str, topic: str, timeout_s: float = 5.0) -> list[bytes]:
    consumer = Consumer(
        {
            "bootstrap.servers": servers,
            "group.id": f"check-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            "isolation.level": "read_committed",
        }
    )
    consumer.subscribe([topic])
    values: list[bytes] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for record in consumer.consume(100, timeout=0.5):
            if record.error() is None:
                values.append(record.value())
    consumer.close()
    return values


def _outputs(topic: str, *values: bytes) -> list[Output]:
    return [Output(topic, b"key", value, [("ce_id", value)]) for value in values]


@pytest.mark.timeout(120)
def test_commit_makes_outputs_and_offset_visible(kafka: KafkaEndpoint, topic: TopicFactory) -> None:
    source, target = topic(partitions=1), topic(partitions=1)
    group = f"group-{uuid.uuid4().hex[:8]}"
    tp = TopicPartition(source, 0)

    async def scenario() -> tuple[int | None, int | None]:
        first = PartitionTransactions(kafka.bootstrap_servers, group)
        before = await first.next_offset(tp)
        await first.write(tp, _outputs(target, b"a", b"b"), next_offset=2)
        await first.commit()
        await first.stop()
        second = PartitionTransactions(kafka.bootstrap_servers, group)
        after = await second.next_offset(tp)
        await second.stop()
        return before, after

    before, after = asyncio.run(scenario())

    assert before is None
    assert after == 2
    assert sorted(_read_committed(kafka.bootstrap_servers, target)) == [b"a", b"b"]


@pytest.mark.timeout(120)
def test_next_owner_fences_open_transaction(kafka: KafkaEndpoint, topic: TopicFactory) -> None:
    source, target = topic(partitions=1), topic(partitions=1)
    group = f"group-{uuid.uuid4().hex[:8]}"
    tp = TopicPartition(source, 0)

    async def scenario() -> tuple[int | None, bool]:
        zombie = PartitionTransactions(kafka.bootstrap_servers, group)
        await zombie.next_offset(tp)
        await zombie.write(tp, _outputs(target, b"zombie"), next_offset=5)
        owner = PartitionTransactions(kafka.bootstrap_servers, group)
        owner_start = await owner.next_offset(tp)
        await owner.write(tp, _outputs(target, b"owner"), next_offset=1)
        await owner.commit()
        fenced = False
        try:
            await zombie.commit()
        except TransactionError:
            fenced = True
        await zombie.stop()
        await owner.stop()
        return owner_start, fenced

    owner_start, fenced = asyncio.run(scenario())

    assert owner_start is None
    assert fenced, "the earlier owner committed after the next owner started"
    assert _read_committed(kafka.bootstrap_servers, target) == [b"owner"]


@pytest.mark.timeout(120)
def test_commit_due_waits_for_interval(kafka: KafkaEndpoint, topic: TopicFactory) -> None:
    source, target = topic(partitions=1), topic(partitions=1)
    group = f"group-{uuid.uuid4().hex[:8]}"
    tp = TopicPartition(source, 0)

    async def scenario() -> tuple[list[bytes], list[bytes]]:
        transactions = PartitionTransactions(kafka.bootstrap_servers, group, interval_s=60.0)
        await transactions.next_offset(tp)
        await transactions.write(tp, _outputs(target, b"x"), next_offset=1)
        await transactions.commit_due()
        early = await asyncio.to_thread(_read_committed, kafka.bootstrap_servers, target, 2.0)
        await transactions.commit()
        late = await asyncio.to_thread(_read_committed, kafka.bootstrap_servers, target)
        await transactions.stop()
        return early, late

    early, late = asyncio.run(scenario())

    assert early == []
    assert late == [b"x"]
