"""Consumer policies: what to do with a record whose handling failed or whose type is unknown."""

from __future__ import annotations

import logging
from enum import StrEnum
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


class ConsumedRecord:
    """One Kafka record as the consumer saw it, with the decoded event when decoding worked.

    A record built from a confluent-kafka message reads its headers from the message
    only when a handler or policy first reads them. Turning eight headers into Python
    tuples costs more than the rest of the record's dispatch.

    Attributes:
        topic, partition, offset, key, value, headers, timestamp_ms: the Kafka record.
        schema_id: the id framed in the value, when the frame was readable.
        event_type: the writer schema's full name, when it was fetched.
        event: the decoded model (or dict for unknown types), when decoding worked.
        attempt: 1 for the first delivery to the handler, 2 for the first retry, ...
    """

    __slots__ = (
        "_cloudevent",
        "_headers",
        "_message",
        "attempt",
        "event",
        "event_type",
        "key",
        "offset",
        "partition",
        "schema_id",
        "timestamp_ms",
        "topic",
        "value",
    )

    def __init__(  # noqa: PLR0917 - callers pass the Kafka fields by position
        self,
        topic: str,
        partition: int,
        offset: int,
        key: bytes | None,
        value: bytes | None,
        headers: list[tuple[str, bytes]] | None = None,
        timestamp_ms: int | None = None,
        schema_id: int | None = None,
        event_type: str | None = None,
        event: Any = None,
        attempt: int = 1,
    ) -> None:
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self._headers: list[tuple[str, bytes]] | None = [] if headers is None else headers
        self.timestamp_ms = timestamp_ms
        self._message: Any = None
        self._cloudevent: CloudEventAttributes | None = None
        self.schema_id = schema_id
        self.event_type = event_type
        self.event = event
        self.attempt = attempt

    @classmethod
    def from_message(cls, message: Any) -> ConsumedRecord:
        """Build the record of a confluent-kafka `Message`, whose headers are read on first use."""
        record = _new(cls)
        record.topic = message.topic()
        record.partition = message.partition()
        record.offset = message.offset()
        record.key = message.key()
        record.value = message.value()
        record.timestamp_ms = message.timestamp()[1]
        record._headers = None
        record._message = message
        record._cloudevent = None
        record.schema_id = None
        record.event_type = None
        record.event = None
        record.attempt = 1
        return record

    @property
    def headers(self) -> list[tuple[str, bytes]]:
        """The record headers as (name, value) pairs, in the order they were written."""
        headers = self._headers
        if headers is None:
            headers = self._headers = self._message.headers() or []
            self._message = None
        return headers

    @headers.setter
    def headers(self, headers: list[tuple[str, bytes]]) -> None:
        self._headers = headers
        self._cloudevent = None

    @property
    def cloudevent(self) -> CloudEventAttributes:
        """The CloudEvents attributes and trace context from the headers."""
        if self._cloudevent is None:
            self._cloudevent = read_headers(self.headers)
        return self._cloudevent

    def __repr__(self) -> str:
        return (
            f"ConsumedRecord(topic={self.topic!r}, partition={self.partition}, "
            f"offset={self.offset}, event_type={self.event_type!r}, attempt={self.attempt})"
        )


_new = object.__new__


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
