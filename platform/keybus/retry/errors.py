"""Errors of retries and dead letters: stopping the consumer, records that cannot be parked."""

from __future__ import annotations

from keybus.errors import KeybusError

__all__ = [
    "ConsumerStoppedError",
    "ParkingError",
    "RetryConfigError",
    "StopConsumerError",
    "UndecodableRecordError",
]


class RetryConfigError(KeybusError):
    """A retry policy, topic name or subscription has a value keybus cannot use."""


class StopConsumerError(KeybusError):
    """Raised by a handler when the consumer itself is broken and must stop.

    The record is neither retried nor parked and its offset is not committed, so the
    next consumer of the partition reads it again once the fault is fixed.
    """


class UndecodableRecordError(KeybusError):
    """The bytes of a record cannot be decoded into an event; it goes to the dead letters."""

    def __init__(self, message: str, *, topic: str, partition: int, offset: int) -> None:
        super().__init__(message, retryable=False)
        self.topic = topic
        self.partition = partition
        self.offset = offset


class ParkingError(KeybusError):
    """A failed record could not be written to its retry tier or dead-letter topic.

    The offset of the failed record must not be committed; the consumer stops so that
    the record is delivered again after a restart.
    """

    def __init__(self, message: str, *, topic: str, destination: str) -> None:
        super().__init__(message, retryable=True)
        self.topic = topic
        self.destination = destination


class ConsumerStoppedError(KeybusError):
    """The consumer loop stopped because an error classified as fatal was raised."""

    def __init__(self, message: str, *, topic: str, partition: int, offset: int) -> None:
        super().__init__(message, retryable=False)
        self.topic = topic
        self.partition = partition
        self.offset = offset
