"""Errors of the producer and consumer: delivery failures, size limits, transactions, handlers."""

from __future__ import annotations

from keybus.errors import KeybusError

__all__ = [
    "ClientClosedError",
    "ClientError",
    "DeliveryError",
    "HandlerError",
    "MessageTooLargeError",
    "PublishBatchError",
    "TransactionError",
]


class ClientError(KeybusError):
    """A producer or consumer operation failed."""


class ClientClosedError(ClientError):
    """A producer or consumer was used after `close()`."""


class DeliveryError(ClientError):
    """Kafka did not acknowledge an event.

    Attributes:
        event_id: the id of the event that was not delivered.
        event_type: its Avro full name.
        topic: the topic it was sent to.
        kafka_error: librdkafka's error name, for example `_MSG_TIMED_OUT`.
    """

    def __init__(
        self,
        message: str,
        *,
        event_id: str,
        event_type: str,
        topic: str,
        kafka_error: str,
        retryable: bool,
    ) -> None:
        super().__init__(message, retryable=retryable)
        self.event_id = event_id
        self.event_type = event_type
        self.topic = topic
        self.kafka_error = kafka_error


class MessageTooLargeError(DeliveryError):
    """An event's record is larger than the producer, topic or broker accepts.

    Attributes:
        size_bytes: the size of the record value.
    """

    def __init__(
        self, message: str, *, event_id: str, event_type: str, topic: str, size_bytes: int
    ) -> None:
        super().__init__(
            message,
            event_id=event_id,
            event_type=event_type,
            topic=topic,
            kafka_error="MSG_SIZE_TOO_LARGE",
            retryable=False,
        )
        self.size_bytes = size_bytes


class PublishBatchError(ClientError):
    """Some events of a batch were not delivered; the others were.

    Attributes:
        failures: the delivery error of each failed event, in batch order.
        delivered: how many events of the batch were delivered.
    """

    def __init__(self, failures: list[DeliveryError], delivered: int) -> None:
        ids = ", ".join(f.event_id for f in failures[:5])
        more = f" and {len(failures) - 5} more" if len(failures) > 5 else ""
        super().__init__(
            f"{len(failures)} of {len(failures) + delivered} events were not delivered "
            f"(event ids {ids}{more}); the other {delivered} were. First error: "
            f"{failures[0].message}",
            retryable=all(f.retryable for f in failures),
        )
        self.failures = failures
        self.delivered = delivered


class TransactionError(ClientError):
    """A Kafka transaction could not begin, commit or abort."""


class HandlerError(ClientError):
    """A consumer handler raised and the failure policy decided to stop.

    Attributes:
        topic, partition, offset: where the record that failed sits.
        event_type: its Avro full name, when it could be decoded.
    """

    def __init__(
        self, message: str, *, topic: str, partition: int, offset: int, event_type: str | None
    ) -> None:
        super().__init__(message, retryable=False)
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.event_type = event_type
