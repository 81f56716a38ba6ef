"""Partitions paused until a time: retry tiers waiting for their head record, in-place retries."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from confluent_kafka import TopicPartition

__all__ = ["InPlaceAttempts", "PartitionKey", "PauseBook", "PausingConsumer"]

logger = logging.getLogger(__name__)

PartitionKey = tuple[str, int]


class PausingConsumer(Protocol):
    """The part of a confluent-kafka Consumer that pausing needs."""

    def pause(self, partitions: list[TopicPartition]) -> None: ...

    def resume(self, partitions: list[TopicPartition]) -> None: ...

    def seek(self, partition: TopicPartition) -> None: ...


class PauseBook:
    """Pause partitions until their head record is due, and resume them when it is.

    Pausing stops fetching, and seeking back to the head record makes the client drop
    what it already fetched for the partition, so the head record is fetched again after
    the resume. The poll loop keeps running meanwhile, which keeps the consumer in its
    group; it never sleeps for a record.
    """

    def __init__(self, consumer: PausingConsumer) -> None:
        self._consumer = consumer
        self._due_s: dict[PartitionKey, float] = {}

    def __contains__(self, key: PartitionKey) -> bool:
        return key in self._due_s

    def __len__(self) -> int:
        return len(self._due_s)

    def pause_until(self, topic: str, partition: int, offset: int, due_s: float) -> None:
        """Pause the partition and rewind it to `offset` until the time `due_s`."""
        tp = TopicPartition(topic, partition, offset)
        self._consumer.pause([tp])
        self._consumer.seek(tp)
        self._due_s[(topic, partition)] = due_s
        logger.debug(
            "partition paused topic=%s partition=%s offset=%s due_s=%.3f",
            topic,
            partition,
            offset,
            due_s,
        )

    def resume_due(self, now_s: float) -> int:
        """Resume every partition whose time has come; return how many were resumed."""
        due = [key for key, due_s in self._due_s.items() if due_s <= now_s]
        if not due:
            return 0
        self._consumer.resume([TopicPartition(topic, partition) for topic, partition in due])
        for key in due:
            del self._due_s[key]
        return len(due)

    def next_due_s(self) -> float | None:
        """Return the earliest time a paused partition is due, or None when none is paused."""
        return min(self._due_s.values(), default=None)

    def forget(self, keys: list[PartitionKey]) -> None:
        """Drop revoked partitions; a new assignment starts unpaused."""
        for key in keys:
            self._due_s.pop(key, None)


@dataclass
class InPlaceAttempts:
    """The in-place retry budget used so far by the head record of one partition."""

    offset: int
    started_s: float
    attempts: int = 0
