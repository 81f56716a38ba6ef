"""Retry and dead-letter headers: one current value each, first-failure provenance kept."""

from __future__ import annotations

import linecache
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from keybus.retry.record import Headers, InboundRecord

__all__ = [
    "ATTEMPTS",
    "BOOKKEEPING_PREFIX",
    "CONSUMER_GROUP",
    "DEAD_LETTER_REASON",
    "DUE_MS",
    "ERROR_MESSAGE",
    "ERROR_STACKTRACE",
    "ERROR_TYPE",
    "FIRST_FAILURE_MS",
    "LAST_FAILURE_MS",
    "MAX_MESSAGE_BYTES",
    "MAX_STACKTRACE_BYTES",
    "ORIGINAL_OFFSET",
    "ORIGINAL_PARTITION",
    "ORIGINAL_TIMESTAMP_MS",
    "ORIGINAL_TOPIC",
    "REPLAYED_MS",
    "REPLAY_COUNT",
    "RETRY_TIER",
    "FailureState",
    "dead_letter_headers",
    "describe_error",
    "user_headers",
    "write_headers",
]

BOOKKEEPING_PREFIX = "keybus-"
"""Headers with this prefix belong to keybus; every hop replaces them, never appends."""

ORIGINAL_TOPIC = "keybus-original-topic"
ORIGINAL_PARTITION = "keybus-original-partition"
ORIGINAL_OFFSET = "keybus-original-offset"
ORIGINAL_TIMESTAMP_MS = "keybus-original-timestamp-ms"
CONSUMER_GROUP = "keybus-consumer-group"
ATTEMPTS = "keybus-attempts"
FIRST_FAILURE_MS = "keybus-first-failure-ms"
LAST_FAILURE_MS = "keybus-last-failure-ms"
DUE_MS = "keybus-due-ms"
RETRY_TIER = "keybus-retry-tier"
ERROR_TYPE = "keybus-error-type"
ERROR_MESSAGE = "keybus-error-message"
ERROR_STACKTRACE = "keybus-error-stacktrace"
DEAD_LETTER_REASON = "keybus-dead-letter-reason"
REPLAY_COUNT = "keybus-replay-count"
REPLAYED_MS = "keybus-replayed-ms"

MAX_STACKTRACE_BYTES = 2048
"""Bytes of stack trace kept: the last frames and the exception line, so size stays bounded."""

MAX_MESSAGE_BYTES = 512
"""Bytes of the exception message kept."""


@dataclass(slots=True)
class FailureState:
    """The bookkeeping a retried or parked record carries, read from or written to headers.

    `original_*` describe where the event was first consumed and failed; they are kept
    unchanged on every later hop and replay. `attempts` counts failed deliveries since
    the event was first consumed or last replayed. The error fields describe only the
    latest failure. Treat it as read-only and use `evolve` for a changed copy. It is not
    frozen, because a frozen dataclass costs several times more to build and copy, and
    every failed record builds a few.
    """

    original_topic: str
    original_partition: int
    original_offset: int
    original_timestamp_ms: int | None
    group: str
    attempts: int = 0
    first_failure_ms: int | None = None
    last_failure_ms: int | None = None
    replay_count: int = 0
    replayed_ms: int | None = None
    error_type: str | None = None
    error_message: str | None = None
    error_stacktrace: str | None = None
    dead_letter_reason: str | None = None
    retry_tier: str | None = None
    due_ms: int | None = None

    @classmethod
    def of(cls, record: InboundRecord, group: str) -> FailureState:
        """Read the state from `record`'s headers, or start one where the record was read."""
        topic = record.header_text(ORIGINAL_TOPIC)
        if topic is None:
            return cls(
                original_topic=record.topic,
                original_partition=record.partition,
                original_offset=record.offset,
                original_timestamp_ms=record.timestamp_ms,
                group=group,
            )
        return cls(
            original_topic=topic,
            original_partition=_int(record, ORIGINAL_PARTITION) or 0,
            original_offset=_int(record, ORIGINAL_OFFSET) or 0,
            original_timestamp_ms=_int(record, ORIGINAL_TIMESTAMP_MS),
            group=record.header_text(CONSUMER_GROUP) or group,
            attempts=_int(record, ATTEMPTS) or 0,
            first_failure_ms=_int(record, FIRST_FAILURE_MS),
            last_failure_ms=_int(record, LAST_FAILURE_MS),
            replay_count=_int(record, REPLAY_COUNT) or 0,
            replayed_ms=_int(record, REPLAYED_MS),
            error_type=record.header_text(ERROR_TYPE),
            error_message=record.header_text(ERROR_MESSAGE),
            error_stacktrace=record.header_text(ERROR_STACKTRACE),
            dead_letter_reason=record.header_text(DEAD_LETTER_REASON),
            retry_tier=record.header_text(RETRY_TIER),
            due_ms=_int(record, DUE_MS),
        )

    def failed(self, error: BaseException, now_ms: int) -> FailureState:
        """Return the state after one more failed delivery with `error` at `now_ms`."""
        error_type, message, stacktrace = describe_error(error)
        # Built field by field: `dataclasses.replace` costs several times more, once per
        # failed record on the consumer's hot path.
        return FailureState(
            original_topic=self.original_topic,
            original_partition=self.original_partition,
            original_offset=self.original_offset,
            original_timestamp_ms=self.original_timestamp_ms,
            group=self.group,
            attempts=self.attempts + 1,
            first_failure_ms=self.first_failure_ms or now_ms,
            last_failure_ms=now_ms,
            replay_count=self.replay_count,
            replayed_ms=self.replayed_ms,
            error_type=error_type,
            error_message=message,
            error_stacktrace=stacktrace,
        )

    def evolve(self, **changes: Any) -> FailureState:
        """Return a copy with `changes` applied, like `dataclasses.replace` but faster."""
        values = {name: getattr(self, name) for name in _STATE_FIELDS}
        values.update(changes)
        return FailureState(**values)

    @property
    def age_origin_ms(self) -> int | None:
        """The time the event's age counts from: its latest replay, else its record time."""
        return self.replayed_ms or self.original_timestamp_ms or self.first_failure_ms

    @property
    def event_key(self) -> str:
        """The first-failure provenance as `topic:partition:offset`."""
        return f"{self.original_topic}:{self.original_partition}:{self.original_offset}"


_STATE_FIELDS = tuple(field.name for field in fields(FailureState))


def _int(record: InboundRecord, name: str) -> int | None:
    text = record.header_text(name)
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        return None


def _truncate_bytes(text: str, limit: int, *, keep_end: bool = False) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    marker = "...[truncated]..."
    room = limit - len(marker)
    if keep_end:
        return marker + data[-room:].decode("utf-8", errors="ignore")
    return data[:room].decode("utf-8", errors="ignore") + marker


def describe_error(error: BaseException) -> tuple[str, str, str]:
    """Return the qualified type, the truncated message and the truncated stack trace."""
    error_type = type(error)
    qualified = f"{error_type.__module__}.{error_type.__qualname__}"
    if error_type.__module__ == "builtins":
        qualified = error_type.__qualname__
    message = _truncate_bytes(str(error), MAX_MESSAGE_BYTES)
    # The frames are cut from the top and the exception line is added back whole, so a
    # long message cannot push the frames out and the innermost frames always remain.
    # Frames are rendered straight from the traceback: the standard formatter of Python
    # 3.11 also stats every source file and compiles each line to place carets, which
    # costs about 1 ms per failure and is of no use in a header.
    frames = "".join(
        f'  File "{frame.f_code.co_filename}", line {lineno}, in {frame.f_code.co_name}\n'
        f"    {linecache.getline(frame.f_code.co_filename, lineno).strip()}\n"
        for frame, lineno in traceback.walk_tb(error.__traceback__)
    )
    last_line = f"{qualified}: {message}\n"
    room = MAX_STACKTRACE_BYTES - len(last_line.encode("utf-8"))
    trace = "Traceback (most recent call last):\n" + frames
    return qualified, message, _truncate_bytes(trace, room, keep_end=True) + last_line


def user_headers(headers: Headers) -> Headers:
    """Return the record's own headers, in order, without any keybus bookkeeping header."""
    return tuple(item for item in headers if not item[0].startswith(BOOKKEEPING_PREFIX))


def write_headers(record_headers: Headers, state: FailureState) -> list[tuple[str, bytes]]:
    """Return the record's own headers followed by exactly one header per set field of `state`."""
    fields: list[tuple[str, object]] = [
        (ORIGINAL_TOPIC, state.original_topic),
        (ORIGINAL_PARTITION, state.original_partition),
        (ORIGINAL_OFFSET, state.original_offset),
        (ORIGINAL_TIMESTAMP_MS, state.original_timestamp_ms),
        (CONSUMER_GROUP, state.group),
        (ATTEMPTS, state.attempts or None),
        (FIRST_FAILURE_MS, state.first_failure_ms),
        (LAST_FAILURE_MS, state.last_failure_ms),
        (REPLAY_COUNT, state.replay_count or None),
        (REPLAYED_MS, state.replayed_ms),
        (ERROR_TYPE, state.error_type),
        (ERROR_MESSAGE, state.error_message),
        (ERROR_STACKTRACE, state.error_stacktrace),
        (DEAD_LETTER_REASON, state.dead_letter_reason),
        (RETRY_TIER, state.retry_tier),
        (DUE_MS, state.due_ms),
    ]
    headers = list(user_headers(record_headers))
    headers.extend((name, str(value).encode()) for name, value in fields if value is not None)
    return headers


def dead_letter_headers(
    record_headers: Sequence[tuple[str, bytes]],
    *,
    topic: str,
    partition: int,
    offset: int,
    timestamp_ms: int | None,
    group: str,
    error: BaseException,
    reason: str,
    now_ms: int,
) -> list[tuple[str, bytes]]:
    """Return the headers of a record parked at its first failure, without any retry.

    Stream processors park records that no attempt can fix, such as undecodable bytes,
    with the same bookkeeping as a retrying consumer, so `keybus dlq` lists and replays
    them alike.
    """
    state = FailureState(
        original_topic=topic,
        original_partition=partition,
        original_offset=offset,
        original_timestamp_ms=timestamp_ms,
        group=group,
    )
    parked = state.failed(error, now_ms).evolve(dead_letter_reason=reason)
    return write_headers(tuple(record_headers), parked)
