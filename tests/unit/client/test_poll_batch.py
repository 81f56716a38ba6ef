"""`poll_batch` waits for the first record only and takes the rest from what is fetched."""

from __future__ import annotations

from typing import Any

import pytest

from keybus.batches import poll_batch


class RecordingConsumer:
    """Hands out queued values and records every call with its timeout."""

    def __init__(self, queued: list[str]) -> None:
        self.queued = queued
        self.calls: list[tuple[str, float]] = []

    def poll(self, timeout: float) -> Any:
        self.calls.append(("poll", timeout))
        return self.queued.pop(0) if self.queued else None

    def consume(self, num_messages: int, timeout: float) -> list[Any]:
        self.calls.append(("consume", timeout))
        taken, self.queued = self.queued[:num_messages], self.queued[num_messages:]
        return taken


def test_batch_takes_fetched_records_without_waiting_for_more() -> None:
    consumer = RecordingConsumer(["a", "b", "c"])

    batch = poll_batch(consumer, 500, 2.5)  # type: ignore[arg-type]

    assert batch == ["a", "b", "c"]
    assert consumer.calls == [("poll", 2.5), ("consume", 0)]


def test_batch_stops_at_max_records() -> None:
    consumer = RecordingConsumer(["a", "b", "c", "d"])

    assert poll_batch(consumer, 3, 1.0) == ["a", "b", "c"]  # type: ignore[arg-type]
    assert poll_batch(consumer, 1, 1.0) == ["d"]  # type: ignore[arg-type]
    assert consumer.calls[-1] == ("poll", 1.0)


def test_empty_topic_gives_empty_batch_after_one_wait() -> None:
    consumer = RecordingConsumer([])

    assert poll_batch(consumer, 100, 0.3) == []  # type: ignore[arg-type]
    assert consumer.calls == [("poll", 0.3)]


def test_batch_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="max_records must be at least 1, got 0"):
        poll_batch(RecordingConsumer(["a"]), 0, 1.0)  # type: ignore[arg-type]
