"""Commit bookkeeping of a retrying consumer: handled records and acknowledged parked copies."""

from __future__ import annotations

from confluent_kafka import TopicPartition

from keybus.retry.errors import ParkingError
from keybus.retry.pausing import PartitionKey

__all__ = ["OffsetBook"]


class OffsetBook:
    """Track per partition the next offset to commit and the parked copies still in flight.

    A failed record's offset counts as done once its copy is produced. The committed
    offset still stops at the oldest copy the broker has not acknowledged yet, so a
    crash before the acknowledgement delivers that record again instead of losing it.
    """

    def __init__(self) -> None:
        self._next: dict[PartitionKey, int] = {}
        self._in_flight: dict[PartitionKey, set[int]] = {}
        self._committed: dict[PartitionKey, int] = {}
        self._failures: list[ParkingError] = []

    def __bool__(self) -> bool:
        return bool(self._next)

    def done(self, key: PartitionKey, offset: int) -> None:
        """Record that the record at `offset` was handled or its parked copy produced."""
        self._next[key] = offset + 1

    def in_flight(self, key: PartitionKey, offset: int) -> None:
        """Record that the parked copy of the record at `offset` awaits its acknowledgement."""
        self._in_flight.setdefault(key, set()).add(offset)

    def acknowledged(self, key: PartitionKey, offset: int) -> None:
        """Record that the parked copy of the record at `offset` was acknowledged."""
        waiting = self._in_flight.get(key)
        if waiting is not None:
            waiting.discard(offset)

    def failed(self, error: ParkingError) -> None:
        """Keep a parking failure; its offset stays in flight and is never committed past."""
        self._failures.append(error)

    def raise_failures(self) -> None:
        """Raise the first parking failure recorded, if any."""
        if self._failures:
            raise self._failures[0]

    def commit_offsets(self, keys: list[PartitionKey] | None = None) -> list[TopicPartition]:
        """Return the offsets to commit now, and remember them as committed."""
        offsets = []
        for key in self._next if keys is None else keys:
            if key not in self._next:
                continue
            offset = min([self._next[key], *self._in_flight.get(key, ())])
            if offset > self._committed.get(key, -1):
                offsets.append(TopicPartition(key[0], key[1], offset))
                self._committed[key] = offset
        return offsets

    def forget(self, keys: list[PartitionKey]) -> None:
        """Drop revoked partitions."""
        for key in keys:
            self._next.pop(key, None)
            self._in_flight.pop(key, None)
            self._committed.pop(key, None)
