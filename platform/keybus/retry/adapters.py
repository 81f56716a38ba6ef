"""Plug retry tiers into the SDK consumer and Faust agents through one FailureHandler."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from keybus.client import ConsumedRecord, Consumer, Decision, HandlerError
from keybus.retry.consumer import RetryingConsumer
from keybus.retry.errors import ConsumerStoppedError, ParkingError, StopConsumerError
from keybus.retry.record import InboundRecord
from keybus.retry.router import FailureHandler

__all__ = [
    "RetryTiersPolicy",
    "handle_failure_async",
    "inbound_from_consumed",
    "inbound_from_faust",
    "sdk_tier_consumer",
]

logger = logging.getLogger(__name__)


def inbound_from_consumed(record: ConsumedRecord) -> InboundRecord:
    """Convert an SDK consumer's record, keeping the decoded event."""
    return InboundRecord(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        key=record.key,
        value=record.value,
        headers=tuple((name, value or b"") for name, value in record.headers),
        # confluent-kafka reports a missing timestamp as 0 or -1.
        timestamp_ms=record.timestamp_ms
        if record.timestamp_ms and record.timestamp_ms > 0
        else None,
        event=record.event,
    )


class RetryTiersPolicy:
    """A `FailurePolicy` for `keybus.Consumer` that parks failures in retry tiers or dead letters.

    It returns SKIP once the parked copy is acknowledged, so the SDK consumer commits
    past the record, and STOP when the error is fatal or the copy could not be written,
    so the record stays uncommitted. Serve the tiers with `sdk_tier_consumer`.
    """

    def __init__(self, failures: FailureHandler) -> None:
        self.failures = failures

    def on_failure(self, record: ConsumedRecord, error: Exception) -> Decision:
        """Park the record and return SKIP, or return STOP."""
        try:
            self.failures.handle(inbound_from_consumed(record), error)
        except ConsumerStoppedError:
            return Decision.STOP
        except ParkingError:
            logger.exception(
                "parking failed; stopping topic=%s partition=%s offset=%s",
                record.topic,
                record.partition,
                record.offset,
            )
            return Decision.STOP
        return Decision.SKIP


class _MessageView:
    """The confluent-kafka `Message` accessors the SDK consumer reads, over an InboundRecord."""

    def __init__(self, record: InboundRecord) -> None:
        self._record = record

    def topic(self) -> str:
        return self._record.topic

    def partition(self) -> int:
        return self._record.partition

    def offset(self) -> int:
        return self._record.offset

    def key(self) -> bytes | None:
        return self._record.key

    def value(self) -> bytes | None:
        return self._record.value

    def headers(self) -> list[tuple[str, bytes]]:
        return list(self._record.headers)

    def timestamp(self) -> tuple[int, int]:
        return (1, self._record.timestamp_ms or 0)

    def error(self) -> None:
        return None


def sdk_tier_consumer(
    sdk_consumer: Consumer, failures: FailureHandler, bootstrap_servers: str
) -> RetryingConsumer:
    """Return a consumer of the retry tiers that hands due records to `sdk_consumer.handle`.

    The SDK consumer must use `RetryTiersPolicy(failures)`, so a record that fails again
    is parked in its next tier by the same handler. A STOP decision stops this consumer
    too, without committing the record.
    """

    def deliver(record: InboundRecord) -> None:
        try:
            sdk_consumer.handle(_MessageView(record))
        except HandlerError as exc:
            raise StopConsumerError(exc.message) from exc

    return RetryingConsumer(
        bootstrap_servers=bootstrap_servers,
        group=failures.group,
        topics=sdk_consumer.subscribed_topics(),
        handler=deliver,
        tiers_only=True,
        failure_handler=failures,
    )


def inbound_from_faust(event: Any) -> InboundRecord:
    """Convert a Faust `EventT` (from `stream.events()`) using its `message` attributes.

    Faust gives headers as a list of pairs or as a mapping; both are accepted.

    NOTE: the Faust helpers are tested with faust-streaming's `Message` in a stand-in
    event; no Faust agent runs them in the tests yet.
    """
    message = event.message
    timestamp = message.timestamp
    raw_headers = message.headers or []
    if isinstance(raw_headers, Mapping):
        raw_headers = list(raw_headers.items())
    return InboundRecord(
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        key=message.key,
        value=message.value,
        headers=tuple((name, value or b"") for name, value in raw_headers),
        timestamp_ms=None if timestamp is None else int(timestamp * 1000),
        event=event.value,
    )


async def handle_failure_async(
    failures: FailureHandler, record: InboundRecord, error: BaseException
) -> None:
    """Park a failed record from an asyncio consumer (a Faust agent) without blocking its loop.

    The broker acknowledgement is awaited in a worker thread. The agent acknowledges its
    event afterwards, so the offset is committed only once the parked copy is safe.
    """
    await asyncio.get_running_loop().run_in_executor(None, failures.handle, record, error)
