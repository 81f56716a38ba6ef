"""Read a dead-letter topic: parked records with their failure state, filters and summaries."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from confluent_kafka import KafkaException, TopicPartition

from keybus.batches import poll_batch
from keybus.errors import counted
from keybus.kafka import Consumer
from keybus.retry.errors import RetryConfigError
from keybus.retry.headers import ORIGINAL_TOPIC, FailureState
from keybus.retry.record import InboundRecord

__all__ = [
    "AGE_BUCKETS",
    "DeadLetter",
    "DeadLetterFilter",
    "ErrorSummary",
    "check_dead_letter_topic_name",
    "read_dead_letters",
    "read_topic",
    "summarize",
]

AGE_BUCKETS: tuple[tuple[str, float], ...] = (
    ("< 1 h", 3600.0),
    ("1 h - 1 d", 86400.0),
    (">= 1 d", float("inf")),
)
"""Age buckets of `keybus dlq list`: label and exclusive upper bound in seconds."""


@dataclass(frozen=True)
class DeadLetter:
    """One parked record and the failure state its headers carry."""

    record: InboundRecord
    state: FailureState

    @property
    def event_id(self) -> str:
        """The CloudEvents id (`ce_id`), else the first-failure `topic:partition:offset`."""
        return self.record.header_text("ce_id") or self.state.event_key

    @property
    def event_type(self) -> str | None:
        """The CloudEvents type (`ce_type`), the Avro full name of the event."""
        return self.record.header_text("ce_type")

    @property
    def parked_ms(self) -> int:
        """When the record was parked: its last failure, else its timestamp in the topic."""
        return self.state.last_failure_ms or self.record.timestamp_ms or 0

    def age_s(self, now_s: float) -> float:
        """Return the seconds since the record was parked."""
        return max(0.0, now_s - self.parked_ms / 1000)


@dataclass(frozen=True)
class DeadLetterFilter:
    """The conditions that select the dead letters a command acts on.

    Unset fields match everything.

    `error_type` matches the qualified class name or its last part (`TimeoutError`
    matches `builtins.TimeoutError` and `TimeoutError`). `since_ms` and `until_ms`
    bound the time the record was parked, inclusive.
    """

    error_type: str | None = None
    since_ms: int | None = None
    until_ms: int | None = None
    event_type: str | None = None
    key: str | None = None

    def matches(self, letter: DeadLetter) -> bool:
        """Return whether `letter` passes every set condition."""
        error_type = letter.state.error_type or ""
        checks = (
            self.error_type is None
            or self.error_type in {error_type, error_type.rsplit(".", 1)[-1]},
            self.since_ms is None or letter.parked_ms >= self.since_ms,
            self.until_ms is None or letter.parked_ms <= self.until_ms,
            self.event_type is None or letter.event_type == self.event_type,
            self.key is None or letter.record.key == self.key.encode(),
        )
        return all(checks)


@dataclass
class ErrorSummary:
    """Dead letters of one error type: how many, by age bucket, and the oldest age."""

    error_type: str
    count: int = 0
    by_age: Counter[str] = field(default_factory=Counter)
    oldest_s: float = 0.0


def read_topic(
    bootstrap_servers: str, topic: str, *, timeout_s: float = 30.0
) -> Iterator[InboundRecord]:
    """Yield every record in `topic` up to the end offsets seen at the start, without a group."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap_servers,
            "group.id": f"keybus-reader-{topic}",
            "enable.auto.commit": False,
            "enable.partition.eof": False,
        }
    )
    try:
        yield from _read_partitions(consumer, topic, timeout_s)
    finally:
        consumer.close()


def _read_partitions(consumer: Consumer, topic: str, timeout_s: float) -> Iterator[InboundRecord]:
    metadata = consumer.list_topics(topic, timeout=timeout_s).topics.get(topic)
    if metadata is None or metadata.error is not None or not metadata.partitions:
        raise RetryConfigError(
            f"Topic {topic!r} does not exist. Check the name (dead-letter topics are named "
            "<topic>.<group>.dlq, their replay ledgers <topic>.<group>.dlq.replayed) or "
            "create it with `keybus topics apply --subscriptions FILE`."
        )
    starts: list[TopicPartition] = []
    ends: dict[int, int] = {}
    for partition in metadata.partitions:
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout_s)
        if high > low:
            starts.append(TopicPartition(topic, partition, low))
            ends[partition] = high
    consumer.assign(starts)
    deadline = time.monotonic() + timeout_s
    while ends:
        if time.monotonic() > deadline:
            raise KafkaException(
                f"Reading {topic} timed out after {timeout_s} s with partitions "
                f"{sorted(ends)} unfinished. Check that the brokers are reachable."
            )
        messages = poll_batch(consumer, 500, 0.05)
        for message in messages:
            if message.error() is not None:
                continue
            record = InboundRecord.from_message(message)
            if record.offset < ends.get(record.partition, 0):
                yield record
            if record.offset + 1 >= ends.get(record.partition, 0):
                ends.pop(record.partition, None)
        if not messages:
            # A transaction's commit marker can be the last offset, and it is never
            # returned as a record, so the position shows that the end was passed.
            for tp in consumer.position([TopicPartition(topic, p) for p in ends]):
                if tp.offset >= ends[tp.partition]:
                    ends.pop(tp.partition, None)


def check_dead_letter_topic_name(topic: str) -> None:
    """Reject a topic not named `<topic>.<group>.dlq`.

    Raises:
        RetryConfigError: the name does not end in `.dlq` after a topic and a group.
    """
    parts = topic.split(".")
    if len(parts) >= 3 and parts[-1] == "dlq" and all(parts[-3:-1]):
        return
    raise RetryConfigError(
        f"Topic {topic!r} is not a dead-letter topic: dead-letter topics are named "
        "<topic>.<group>.dlq. Check the name, or pass --any-topic to read it anyway."
    )


def read_dead_letters(
    bootstrap_servers: str,
    dead_letter_topic: str,
    letter_filter: DeadLetterFilter | None = None,
    *,
    any_topic: bool = False,
) -> list[DeadLetter]:
    """Return the dead letters now in the topic that pass `letter_filter`, in offset order.

    Unless `any_topic` is set, the topic must be named `<topic>.<group>.dlq`, and a topic
    with records must have at least one that carries keybus's dead-letter headers.

    Raises:
        RetryConfigError: the topic does not exist, or is not a dead-letter topic.

    NOTE: matching dead letters are held in memory, values included; a topic with
    millions of them needs a streaming variant.
    """
    if not any_topic:
        check_dead_letter_topic_name(dead_letter_topic)
    letters = []
    records = parked = 0
    for record in read_topic(bootstrap_servers, dead_letter_topic):
        records += 1
        parked += record.header_text(ORIGINAL_TOPIC) is not None
        letter = DeadLetter(record, FailureState.of(record, group=""))
        if letter_filter is None or letter_filter.matches(letter):
            letters.append(letter)
    if records and not parked and not any_topic:
        raise RetryConfigError(
            f"Topic {dead_letter_topic!r} contains {counted(records, 'record')}, but none carries "
            f"keybus's dead-letter header {ORIGINAL_TOPIC}, so it is not a dead-letter "
            "topic of a keybus consumer. Check the name, or pass --any-topic to read it anyway."
        )
    return letters


def summarize(letters: Sequence[DeadLetter], now_s: float) -> list[ErrorSummary]:
    """Count dead letters per error type and age bucket, the most frequent type first."""
    summaries: dict[str, ErrorSummary] = {}
    for letter in letters:
        error_type = letter.state.error_type or "(unknown)"
        summary = summaries.setdefault(error_type, ErrorSummary(error_type))
        age_s = letter.age_s(now_s)
        summary.count += 1
        summary.by_age[next(label for label, bound in AGE_BUCKETS if age_s < bound)] += 1
        summary.oldest_s = max(summary.oldest_s, age_s)
    return sorted(summaries.values(), key=lambda summary: (-summary.count, summary.error_type))
