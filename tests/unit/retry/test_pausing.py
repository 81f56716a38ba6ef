"""Holding partitions until their head is due; the consumer client is a fake recording calls."""

from __future__ import annotations

from dataclasses import dataclass, field

from confluent_kafka import TopicPartition

from keybus.retry import InboundRecord
from keybus.retry.pausing import PauseBook


@dataclass
class FakeClient:
    """Record pause and resume calls as (action, topic, partition)."""

    calls: list[tuple[str, str, int]] = field(default_factory=list)

    def pause(self, partitions: list[TopicPartition]) -> None:
        self.calls.extend(("pause", tp.topic, tp.partition) for tp in partitions)

    def resume(self, partitions: list[TopicPartition]) -> None:
        self.calls.extend(("resume", tp.topic, tp.partition) for tp in partitions)


def _record(offset: int) -> InboundRecord:
    return InboundRecord("orders.g.retry.5s", 0, offset, b"k", b"v")


def test_held_records_come_back_in_order_when_due() -> None:
    client = FakeClient()
    book = PauseBook(lambda topic: client)
    book.hold(_record(3), due_s=10.0)

    queued = book.add(_record(4)), book.add(_record(5))
    early = book.release_due(9.9)
    released = book.release_due(10.0)
    book.resume_released()

    assert queued == (True, True)
    assert early == []
    assert [[r.offset for r in records] for _key, records in released] == [[3, 4, 5]]
    assert client.calls == [("pause", "orders.g.retry.5s", 0), ("resume", "orders.g.retry.5s", 0)]
    assert book.next_due_s() is None


def test_hold_again_while_released_keeps_partition_paused() -> None:
    client = FakeClient()
    book = PauseBook(lambda topic: client)
    book.hold(_record(3), due_s=1.0)
    [(_key, records)] = book.release_due(2.0)

    book.hold(records[0], due_s=5.0)
    book.resume_released()

    assert client.calls == [("pause", "orders.g.retry.5s", 0)]
    assert ("orders.g.retry.5s", 0) in book
    assert book.next_due_s() == 5.0


def test_records_of_other_partitions_are_not_taken() -> None:
    book = PauseBook(lambda topic: FakeClient())
    book.hold(_record(3), due_s=1.0)

    assert not book.add(InboundRecord("orders.g.retry.5s", 1, 0, b"k", b"v"))


def test_forget_resumes_revoked_partitions() -> None:
    client = FakeClient()
    book = PauseBook(lambda topic: client)
    book.hold(_record(3), due_s=100.0)

    book.forget([("orders.g.retry.5s", 0), ("other", 1)])

    assert client.calls[-1] == ("resume", "orders.g.retry.5s", 0)
    assert len(book) == 0
