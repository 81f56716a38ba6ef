"""Batches of consumed records that arrive as soon as the first record does.

librdkafka's `consume(num_messages, timeout)` returns when `num_messages` records are in
hand or the timeout has run out. On a topic that carries fewer records than that per
timeout, every batch waits for the whole timeout: at 2,000 events/s, `consume(500, 0.1)`
puts the median record about 100 ms behind its producer. `poll_batch` waits only for the
first record and then takes what the client has already fetched, so a batch costs no
added latency and still grows with the load.
"""

from __future__ import annotations

from typing import Protocol

from confluent_kafka import Message

__all__ = ["poll_batch"]


class _Polling(Protocol):
    def poll(self, timeout: float = ..., /) -> Message | None: ...

    def consume(self, num_messages: int = ..., timeout: float = ..., /) -> list[Message]: ...


def poll_batch(consumer: _Polling, max_records: int, timeout_s: float) -> list[Message]:
    """Return up to `max_records` records, waiting at most `timeout_s` for the first one.

    The records after the first are those already fetched into the client; the call does
    not wait for them. Error events (end of partition, for example) are returned like
    records, as `consume` returns them.
    """
    if max_records < 1:
        raise ValueError(f"max_records must be at least 1, got {max_records}.")
    first = consumer.poll(timeout_s)
    if first is None:
        return []
    if max_records == 1:
        return [first]
    return [first, *consumer.consume(max_records - 1, 0)]
