"""Delivery results and handles: what Kafka reported for each published event."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, NamedTuple

from confluent_kafka import KafkaError

from keybus.client.errors import DeliveryError, MessageTooLargeError
from keybus.errors import clause

__all__ = [
    "DeliveryHandle",
    "DeliveryResult",
    "DeliveryWatcher",
    "delivery_error",
    "too_large_error",
]

logger = logging.getLogger(__name__)

_SIZE_ERRORS = frozenset({KafkaError.MSG_SIZE_TOO_LARGE})


class DeliveryResult(NamedTuple):
    """The topic, partition and offset at which Kafka stored an event."""

    event_id: str
    event_type: str
    topic: str
    partition: int
    offset: int


class DeliveryHandle:
    """The pending delivery of one event; `result()` waits for Kafka's acknowledgement.

    `poll` serves delivery callbacks while waiting; the producer passes the client's
    `flush`, which also sends queued records without waiting for `linger.ms`.
    """

    __slots__ = (
        "_poll",
        "_record",
        "_resend",
        "bootstrap_servers",
        "error",
        "event_id",
        "event_type",
        "result_value",
        "size_bytes",
        "topic",
    )

    def __init__(
        self,
        event_id: str,
        event_type: str,
        topic: str,
        size_bytes: int,
        *,
        poll: Callable[[float], Any],
        resend: Callable[[DeliveryHandle, Any], DeliveryHandle] | None = None,
        bootstrap_servers: str | None = None,
    ) -> None:
        self.event_id = event_id
        self.event_type = event_type
        self.topic = topic
        self.size_bytes = size_bytes
        self.bootstrap_servers = bootstrap_servers
        self._poll = poll
        self._resend = resend
        # The failed record as librdkafka returned it, kept only for a resend. Records in
        # flight therefore hold no Python copy of their key, value and headers.
        self._record: Any = None
        self.result_value: DeliveryResult | None = None
        self.error: DeliveryError | None = None

    @property
    def done(self) -> bool:
        """True once Kafka acknowledged the event or reported its failure."""
        return self.result_value is not None or self.error is not None

    def complete(self, error: KafkaError | None, message: Any) -> None:
        """Record the outcome; the producer's delivery callback."""
        if error is None:
            self.result_value = DeliveryResult(
                self.event_id,
                self.event_type,
                message.topic(),
                message.partition(),
                message.offset(),
            )
        else:
            self.error = delivery_error(
                error, self.event_id, self.event_type, self.topic, self.size_bytes
            )
            if isinstance(self.error, MessageTooLargeError) and self._resend is not None:
                # result() sends it again alone; that attempt logs its own failure.
                self._record = message
                logger.debug("record rejected with its batch event_id=%s", self.event_id)
                return
            logger.warning(
                "delivery failed event_id=%s event_type=%s topic=%s error=%s",
                self.event_id,
                self.event_type,
                self.topic,
                error.name(),
            )

    def result(self, timeout_s: float | None = None) -> DeliveryResult:
        """Wait for the delivery, serving delivery callbacks meanwhile.

        The broker rejects a whole batch when one record in it is over the topic's
        size limit, so a record rejected that way is sent once more on its own. A small
        record that only shared the batch is then delivered, and only the oversized one
        fails.

        Raises:
            DeliveryError: Kafka reported a failure, or `timeout_s` passed first.
        """
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while not self.done:
            if deadline is not None and time.monotonic() >= deadline:
                raise self._timeout_error(timeout_s)
            self._poll(0.01)
        if self._record is not None and self._resend is not None:
            retry = self._resend(self, self._record)
            self._resend = None
            self._record = None
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            self.error = None
            try:
                self.result_value = retry.result(remaining)
            except DeliveryError as exc:
                self.error = exc
        if self.error is not None:
            raise self.error
        if self.result_value is None:
            raise self._timeout_error(timeout_s)
        return self.result_value

    def _timeout_error(self, timeout_s: float | None) -> DeliveryError:
        brokers = "the brokers" if self.bootstrap_servers is None else self.bootstrap_servers
        return DeliveryError(
            f"Event {self.event_type} {self.event_id} to topic {self.topic} was not "
            f"acknowledged within {timeout_s} s. It may still be delivered; wait longer, or "
            f"check that Kafka at {brokers} is running and reachable.",
            event_id=self.event_id,
            event_type=self.event_type,
            topic=self.topic,
            kafka_error="_WAIT_TIMED_OUT",
            retryable=True,
        )


class DeliveryWatcher:
    """Serve delivery callbacks on a background thread and settle asyncio futures.

    The thread starts on the first `wait()`, so producers that never use asyncio run
    no extra thread.

    NOTE: unlike `DeliveryHandle.result()`, this path does not resend a record that
    the broker rejected only because it shared a batch with an oversized one. Such an
    event fails with MessageTooLargeError, and `publish()` sends it again.
    """

    def __init__(self, poll: Callable[[float], Any]) -> None:
        self._poll = poll
        self._lock = threading.Lock()
        self._pending: list[tuple[DeliveryHandle, Callable[[], object]]] = []
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    async def wait(self, handle: DeliveryHandle) -> DeliveryResult:
        """Return the handle's result without blocking the running event loop."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[DeliveryResult] = loop.create_future()
        with self._lock:
            self._pending.append(
                (handle, lambda: loop.call_soon_threadsafe(_settle, future, handle))
            )
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="keybus-producer-deliveries", daemon=True
                )
                self._thread.start()
        return await future

    def stop(self) -> None:
        """Stop the thread, if one runs."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)

    def _run(self) -> None:
        while not self._stopped.is_set():
            self._poll(0.05)
            with self._lock:
                waiting = []
                for handle, settle in self._pending:
                    if handle.done:
                        settle()
                    else:
                        waiting.append((handle, settle))
                self._pending = waiting


def _settle(future: asyncio.Future[DeliveryResult], handle: DeliveryHandle) -> None:
    if future.done():
        return
    if handle.error is not None:
        future.set_exception(handle.error)
    elif handle.result_value is not None:
        future.set_result(handle.result_value)


def delivery_error(
    error: KafkaError, event_id: str, event_type: str, topic: str, size_bytes: int
) -> DeliveryError:
    """Translate a librdkafka delivery error into a DeliveryError naming the event."""
    if error.code() in _SIZE_ERRORS:
        return too_large_error(event_id, event_type, topic, size_bytes, broker=True)
    return DeliveryError(
        f"Event {event_type} {event_id} was not delivered to topic {topic}: "
        f"{error.name()}: {clause(error.str())}. "
        + ("Kafka says a retry can succeed." if error.retriable() else "Retrying will not help."),
        event_id=event_id,
        event_type=event_type,
        topic=topic,
        kafka_error=error.name(),
        retryable=bool(error.retriable()),
    )


def too_large_error(
    event_id: str,
    event_type: str,
    topic: str,
    size_bytes: int,
    *,
    broker: bool,
    limit_bytes: int | None = None,
) -> MessageTooLargeError:
    """Build the error for a record over a size limit, naming the setting to raise."""
    if broker:
        where = (
            f"which the broker rejected as over topic {topic}'s max.message.bytes (or the "
            "broker's message.max.bytes when the topic does not set it)"
        )
    else:
        where = f"over this producer's message.max.bytes ({limit_bytes} bytes)"
    return MessageTooLargeError(
        f"Event {event_type} {event_id} is {size_bytes} bytes of Avro, {where}. Make the "
        "event smaller (store large content elsewhere and send a reference), or raise "
        "the limit on the producer, the topic and the broker together.",
        event_id=event_id,
        event_type=event_type,
        topic=topic,
        size_bytes=size_bytes,
    )
