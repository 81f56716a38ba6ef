"""Partitions held back until a time: retry tiers waiting for their head, in-place retries."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from confluent_kafka import TopicPartition

from keybus.retry.record import InboundRecord

__all__ = ["InPlaceAttempts", "PartitionKey", "PauseBook", "PausingConsumer"]

logger = logging.getLogger(__name__)

PartitionKey = tuple[str, int]


class PausingConsumer(Protocol):
    """The part of a confluent-kafka Consumer that pausing needs."""

    def pause(self, partitions: list[TopicPartition]) -> None: ...

    def resume(self, partitions: list[TopicPartition]) -> None: ...


@dataclass
class _Held:
    due_s: float
    records: list[InboundRecord] = field(default_factory=list)


class PauseBook:
    """Hold a partition's records from its head on until a time, with the partition paused.

    Pausing stops fetching, and the client drops what it fetched but did not deliver. On
    resume it fetches again after the last record it delivered (librdkafka 2.16). The
    records it delivered past the head are kept here in order, so nothing is fetched
    twice and no seek is needed. A seek restarts the fetcher and stalled every other
    partition of the consumer for about 200 ms in measurements. The poll loop keeps
    running meanwhile, which keeps the consumer in its group; it never sleeps.
    """

    def __init__(self, client_for: Callable[[str], PausingConsumer]) -> None:
        self._client_for = client_for
        self._held: dict[PartitionKey, _Held] = {}
        self._released: set[PartitionKey] = set()

    def __contains__(self, key: PartitionKey) -> bool:
        return key in self._held

    def __len__(self) -> int:
        return len(self._held)

    def hold(self, record: InboundRecord, due_s: float) -> None:
        """Hold back `record` and everything after it on its partition until `due_s`."""
        key = (record.topic, record.partition)
        if key in self._released:
            self._released.discard(key)
        else:
            client = self._client_for(record.topic)
            client.pause([TopicPartition(record.topic, record.partition)])
        self._held[key] = _Held(due_s, [record])
        logger.debug(
            "partition held topic=%s partition=%s offset=%s due_s=%.3f",
            record.topic,
            record.partition,
            record.offset,
            due_s,
        )

    def add(self, record: InboundRecord) -> bool:
        """Queue `record` behind its held partition's head; return False when not held."""
        held = self._held.get((record.topic, record.partition))
        if held is None:
            return False
        held.records.append(record)
        return True

    def release_due(self, now_s: float) -> list[tuple[PartitionKey, list[InboundRecord]]]:
        """Return the held records of every partition whose time has come, in order.

        The partitions stay paused until `resume_released`, so that records delivered
        from the list can hold their partition again without a gap.
        """
        due = [key for key, held in self._held.items() if held.due_s <= now_s]
        released = [(key, self._held.pop(key).records) for key in due]
        self._released.update(due)
        return released

    def resume_released(self) -> None:
        """Resume the released partitions that no record held again."""
        self._resume(list(self._released))
        self._released.clear()

    def _resume(self, keys: list[PartitionKey]) -> None:
        for topic, partition in keys:
            self._client_for(topic).resume([TopicPartition(topic, partition)])

    def next_due_s(self) -> float | None:
        """Return the earliest time a held partition is due, or None when none is held."""
        return min((held.due_s for held in self._held.values()), default=None)

    def forget(self, keys: list[PartitionKey]) -> None:
        """Resume and drop revoked partitions; their records are fetched again from the commit."""
        revoked = [key for key in keys if key in self._held or key in self._released]
        self._resume(revoked)
        for key in revoked:
            self._held.pop(key, None)
            self._released.discard(key)


@dataclass
class InPlaceAttempts:
    """The in-place retry budget used so far by the head record of one partition."""

    offset: int
    started_s: float
    attempts: int = 0
