"""Consumer policies: what to do with a record whose handling failed or whose type is unknown."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any, Protocol, runtime_checkable

from keybus.events.cloudevents import CloudEventAttributes, read_headers

__all__ = [
    "ConsumedRecord",
    "Decision",
    "FailurePolicy",
    "SkipOnFailure",
    "StopOnFailure",
]

logger = logging.getLogger(__name__)


@dataclass
class ConsumedRecord:
    """One Kafka record as the consumer saw it, with the decoded event when decoding worked.

    Attributes:
        topic, partition, offset, key, value, headers, timestamp_ms: the Kafka record.
        schema_id: the id framed in the value, when the frame was readable.
        event_type: the writer schema's full name, when it was fetched.
        event: the decoded model (or dict for unknown types), when decoding worked.
        attempt: 1 for the first delivery to the handler, 2 for the first retry, ...
    """

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]] = field(default_factory=list)
    timestamp_ms: int | None = None
    schema_id: int | None = None
    event_type: str | None = None
    event: Any = None
    attempt: int = 1

    @cached_property
    def cloudevent(self) -> CloudEventAttributes:
        """The CloudEvents attributes and trace context from the headers."""
        return read_headers(self.headers)


class Decision(StrEnum):
    """The consumer's next step after a failure.

    RETRY runs the handler again on the same record (the policy may sleep first).
    SKIP commits past the record, for example after the policy parked it in a retry or
    dead-letter topic. STOP stops the consumer without committing the record, so it is
    delivered again after a restart.
    """

    RETRY = "retry"
    SKIP = "skip"
    STOP = "stop"


@runtime_checkable
class FailurePolicy(Protocol):
    """Decide what happens to a record whose decoding or handling raised.

    `error` is the handler's exception, or a serde error (WireFormatError,
    UnknownSchemaIdError) when the record could not be decoded; `record.event` is None
    then. A policy that writes the record elsewhere must return only after the write
    is acknowledged, and then return SKIP.
    """

    def on_failure(self, record: ConsumedRecord, error: Exception) -> Decision: ...


class StopOnFailure:
    """Stop at the first failure; the record stays uncommitted. The default policy."""

    def on_failure(self, record: ConsumedRecord, error: Exception) -> Decision:
        """Return STOP."""
        return Decision.STOP


class SkipOnFailure:
    """Log the failure at ERROR and move on; the record is lost for this group."""

    def on_failure(self, record: ConsumedRecord, error: Exception) -> Decision:
        """Log the record's position and the error, then return SKIP."""
        logger.error(
            "skipping failed record topic=%s partition=%s offset=%s event_type=%s error=%s",
            record.topic,
            record.partition,
            record.offset,
            record.event_type,
            error,
        )
        return Decision.SKIP
