"""The keybus producer: publish typed events as framed Avro with CloudEvents headers."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, NamedTuple, Self

from confluent_kafka import KafkaError, KafkaException

from keybus.client.delivery import (
    DeliveryHandle,
    DeliveryResult,
    DeliveryWatcher,
    too_large_error,
)
from keybus.client.errors import (
    ClientClosedError,
    DeliveryError,
    PublishBatchError,
    TransactionError,
)
from keybus.errors import ConfigurationError, clause, counted
from keybus.events.binding import model_codec
from keybus.events.cloudevents import Headers, check_traceparent, event_headers
from keybus.events.model import Event, utc_now
from keybus.kafka import Producer as KafkaProducer
from keybus.registry.client import RegistryClient
from keybus.serde.codec import AvroSerializer, SchemaRegistry
from keybus.serde.naming import SubjectNameStrategy, SubjectStrategy, resolve_strategy
from keybus.serde.schema import ParsedSchema, parse_schema

__all__ = ["DeliveryHandle", "DeliveryResult", "Producer"]

logger = logging.getLogger(__name__)

_DEFAULTS: dict[str, Any] = {
    "enable.idempotence": True,
    "acks": "all",
    "linger.ms": 5,
    "compression.type": "none",
    # The Java client's partitioner (murmur2 of the key). librdkafka's own default
    # (consistent_random, CRC32) would put a key on another partition than Faust and
    # Java producers do, which breaks per-aggregate order and co-partitioned joins.
    "partitioner": "murmur2_random",
}
_TRANSACTION_TIMEOUT_S = 30.0
_EXIT_FLUSH_S = 5.0
"""Seconds a `with` block that ends with an error waits for its queued events to flush."""


class _Prepared(NamedTuple):
    """One encoded record ready for `produce`.

    A named tuple, because it is built once per event and a frozen dataclass takes about
    three times as long to construct.
    """

    topic: str
    key: bytes
    value: bytes
    headers: Headers
    event_id: str
    event_type: str


class Producer:
    """Publish events generated from the catalog to Kafka, one call per event.

    Every event is validated by its pydantic model, encoded by its schema's compiled
    encoder in the Confluent wire format, keyed by its aggregate id and sent to its
    aggregate's topic with CloudEvents binary-mode headers and a W3C `traceparent`.
    Idempotence and `acks=all` are on unless `config` turns them off.

    Args:
        bootstrap_servers: Kafka's `bootstrap.servers`.
        registry: a registry client or the registry's base URL.
        source: the CloudEvents `source` of every event, a URI naming this service.
        subject_strategy: how subjects are named: "topic_record" (default), "topic",
            "record" or a function (topic, record name, is_key) -> subject.
        auto_register: register missing schemas instead of failing.
        event_types: event classes to prepare at startup, so a schema problem fails
            the constructor instead of the first publish.
        transactional_id: enables `transaction()`; unique per producer instance.
        config: extra librdkafka settings; they override the defaults.
    """

    def __init__(
        self,
        bootstrap_servers: str,
        registry: SchemaRegistry | str,
        *,
        source: str = "urn:keybus:producer",
        subject_strategy: SubjectNameStrategy | str | SubjectStrategy = "topic_record",
        auto_register: bool = False,
        event_types: Iterable[type[Event]] = (),
        transactional_id: str | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> None:
        # A client built here from a URL is closed with this object; a given one is not.
        self._own_registry: RegistryClient | None = None
        if isinstance(registry, str):
            registry = self._own_registry = RegistryClient(registry)
        self.registry: SchemaRegistry = registry
        self.source = source
        self.subject_strategy = resolve_strategy(subject_strategy)
        self.auto_register = auto_register
        self.transactional_id = transactional_id
        self.bootstrap_servers = bootstrap_servers
        settings = {**_DEFAULTS, "bootstrap.servers": bootstrap_servers, **(config or {})}
        if transactional_id is not None:
            settings["transactional.id"] = transactional_id
        if str(settings.get("enable.idempotence")).lower() != "true":
            logger.warning("producer idempotence is off; retries may write duplicates")
        self.message_max_bytes = int(settings.get("message.max.bytes", 1_000_000))
        self._kafka = KafkaProducer(settings)
        self._serializers: dict[type[Event], AvroSerializer] = {}
        self._dict_serializers: dict[str, AvroSerializer] = {}
        self._closed = False
        self._in_transaction = False
        self._watcher = DeliveryWatcher(self._kafka.poll)
        for event_type in event_types:
            self.serializer(event_type)
        if transactional_id is not None:
            self._kafka.init_transactions(_TRANSACTION_TIMEOUT_S)
        logger.info("producer started bootstrap_servers=%s", bootstrap_servers)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc is None:
            self.close()
            return
        # The block's own error explains more than a flush timeout would, so the flush is
        # short and what it leaves is noted on that error instead of replacing it.
        try:
            self.close(_EXIT_FLUSH_S)
        except DeliveryError:
            remaining = len(self._kafka)
            exc.add_note(
                f"{counted(remaining, 'queued event')} still unacknowledged by Kafka at "
                f"{self.bootstrap_servers} when the with block closed the producer after "
                f"{_EXIT_FLUSH_S} s."
            )
            logger.warning(
                "producer closed with events unacknowledged bootstrap_servers=%s events=%s",
                self.bootstrap_servers,
                remaining,
            )

    def serializer(self, event_type: type[Event]) -> AvroSerializer:
        """Return the serializer of `event_type`, building and checking it on first use."""
        serializer = self._serializers.get(event_type)
        if serializer is None:
            serializer = AvroSerializer(
                event_type.avro_schema(),
                self.registry,
                subject_strategy=self.subject_strategy,
                auto_register=self.auto_register,
                validate=False,
                codec=model_codec(event_type),
            )
            serializer.header(event_type.__topic__)
            self._serializers[event_type] = serializer
        return serializer

    def publish(
        self,
        event: Event,
        *,
        topic: str | None = None,
        traceparent: str | None = None,
        timeout_s: float | None = 30.0,
    ) -> DeliveryResult:
        """Publish one event and wait until Kafka acknowledges it.

        Raises:
            SerializationError: the event does not fit its schema.
            MessageTooLargeError: the record is over the producer's or broker's limit.
            DeliveryError: Kafka reported a failure, or no acknowledgement came within `timeout_s`.
        """
        return self.publish_nowait(event, topic=topic, traceparent=traceparent).result(timeout_s)

    def publish_nowait(
        self, event: Event, *, topic: str | None = None, traceparent: str | None = None
    ) -> DeliveryHandle:
        """Hand one event to the client's queue and return its pending delivery."""
        return self._send(self.prepare(event, topic=topic, traceparent=traceparent))

    async def publish_async(
        self, event: Event, *, topic: str | None = None, traceparent: str | None = None
    ) -> DeliveryResult:
        """Publish one event from asyncio code; await the delivery without blocking the loop."""
        handle = self.publish_nowait(event, topic=topic, traceparent=traceparent)
        return await self._watcher.wait(handle)

    def publish_batch(
        self, events: Sequence[Event], *, topic: str | None = None, timeout_s: float | None = 60.0
    ) -> list[DeliveryResult]:
        """Publish several events and wait for all of them.

        Every event is encoded before the first is sent, so an invalid event rejects
        the whole batch with nothing sent. A delivery failure of some events does not
        stop the others.

        Raises:
            PublishBatchError: some events were not delivered; it lists each failure.
        """
        prepared = [self.prepare(event, topic=topic) for event in events]
        handles = [self._send(record) for record in prepared]
        self._kafka.flush(-1 if timeout_s is None else timeout_s)
        failures: list[DeliveryError] = []
        results: list[DeliveryResult] = []
        for handle in handles:
            try:
                results.append(handle.result(timeout_s))
            except DeliveryError as exc:
                failures.append(exc)
        if failures:
            raise PublishBatchError(failures, delivered=len(results))
        return results

    def publish_dict(
        self,
        value: Mapping[str, Any],
        *,
        schema: ParsedSchema | str | dict[str, Any],
        topic: str,
        key: str | None = None,
        event_id: str,
        timeout_s: float | None = 30.0,
    ) -> DeliveryResult:
        """Publish a plain value with an explicit schema, validating it first.

        Union branches are chosen by record name and field set. A dict that fits two
        record branches equally well is rejected instead of being written as the first.
        """
        parsed = schema if isinstance(schema, ParsedSchema) else parse_schema(schema)
        serializer = self._dict_serializers.get(parsed.fingerprint)
        if serializer is None:
            serializer = AvroSerializer(
                parsed,
                self.registry,
                subject_strategy=self.subject_strategy,
                auto_register=self.auto_register,
            )
            self._dict_serializers[parsed.fingerprint] = serializer
        event_type = parsed.name or "<unnamed>"
        headers = event_headers(
            event_id=event_id,
            event_type=event_type,
            source=self.source,
            occurred_at=utc_now(),
            subject=key or "",
        )
        record = _Prepared(
            topic=topic,
            key=(key or "").encode(),
            value=serializer.encode(dict(value), topic),
            headers=headers,
            event_id=event_id,
            event_type=event_type,
        )
        return self._send(record).result(timeout_s)

    def prepare(
        self, event: Event, *, topic: str | None = None, traceparent: str | None = None
    ) -> _Prepared:
        """Encode one event into the key, value and headers it is sent with."""
        if self._closed:
            raise ClientClosedError("Producer is closed; create a new one to publish again.")
        event_type = type(event)
        serializer = self._serializers.get(event_type)
        if serializer is None:
            if not isinstance(event, Event):
                raise ConfigurationError(
                    f"publish() takes a generated event model, not {type(event).__name__}. "
                    "Use publish_dict() with an explicit schema for plain values."
                )
            serializer = self.serializer(event_type)
        target = topic or event_type.__topic__
        datum = event if serializer.reads_attributes else event.to_avro()
        value = serializer.encode_body(datum, serializer.header(target))
        event_id = str(event.event_id)
        key = event.aggregate_id
        headers = event_headers(
            event_id=event_id,
            event_type=event_type.__avro_name__,
            source=self.source,
            occurred_at=event.occurred_at,
            subject=key,
            traceparent=None if traceparent is None else check_traceparent(traceparent),
        )
        return _Prepared(target, key.encode(), value, headers, event_id, event_type.__avro_name__)

    def _send(self, record: _Prepared, *, alone: bool = False) -> DeliveryHandle:
        handle = DeliveryHandle(
            record.event_id,
            record.event_type,
            record.topic,
            len(record.value),
            poll=self._kafka.flush,
            resend=None if alone else self._send_alone,
            bootstrap_servers=self.bootstrap_servers,
        )
        while True:
            try:
                self._kafka.produce(
                    record.topic,
                    value=record.value,
                    key=record.key,
                    headers=record.headers,
                    on_delivery=handle.complete,
                )
            except BufferError:
                # The local queue is full: serve delivery reports to make room, then retry.
                self._kafka.poll(0.05)
            except KafkaException as exc:
                raise self._produce_error(exc, record) from exc
            else:
                return handle

    def _send_alone(self, handle: DeliveryHandle, message: Any) -> DeliveryHandle:
        record = _Prepared(
            handle.topic,
            message.key(),
            message.value(),
            message.headers() or [],
            handle.event_id,
            handle.event_type,
        )
        # Flushing first and right after keeps the record out of other records' batches.
        self._kafka.flush(_TRANSACTION_TIMEOUT_S)
        resent = self._send(record, alone=True)
        self._kafka.flush(_TRANSACTION_TIMEOUT_S)
        return resent

    def _produce_error(self, exc: KafkaException, record: _Prepared) -> DeliveryError:
        error: KafkaError = exc.args[0]
        if error.code() == KafkaError.MSG_SIZE_TOO_LARGE:
            return too_large_error(
                record.event_id,
                record.event_type,
                record.topic,
                len(record.value),
                broker=False,
                limit_bytes=self.message_max_bytes,
            )
        return DeliveryError(
            f"Event {record.event_type} {record.event_id} could not be queued for topic "
            f"{record.topic}: {error.name()}: {clause(error.str())}.",
            event_id=record.event_id,
            event_type=record.event_type,
            topic=record.topic,
            kafka_error=error.name(),
            retryable=bool(error.retriable()),
        )

    @contextlib.contextmanager
    def transaction(self, timeout_s: float = _TRANSACTION_TIMEOUT_S) -> Iterator[Self]:
        """Publish the events of a `with` block atomically: all become visible, or none.

        Raises:
            TransactionError: the producer has no transactional_id, or the commit failed;
                the transaction is then aborted.
        """
        if self.transactional_id is None:
            raise TransactionError(
                "transaction() needs a transactional producer. Pass transactional_id=... "
                "(unique per producer instance) to Producer()."
            )
        if self._in_transaction:
            raise TransactionError("A transaction is already open on this producer.")
        self._kafka.begin_transaction()
        self._in_transaction = True
        try:
            yield self
        except BaseException:
            self._abort(timeout_s)
            raise
        else:
            self._commit(timeout_s)
        finally:
            self._in_transaction = False

    def _commit(self, timeout_s: float) -> None:
        try:
            self._kafka.commit_transaction(timeout_s)
        except KafkaException as exc:
            error: KafkaError = exc.args[0]
            if error.txn_requires_abort():
                self._abort(timeout_s)
            raise TransactionError(
                f"Transaction commit failed: {error.name()}: {clause(error.str())}. No event of it "
                "is visible to read_committed consumers; publish them again.",
                retryable=bool(error.retriable()),
            ) from exc
        logger.debug("transaction committed transactional_id=%s", self.transactional_id)

    def _abort(self, timeout_s: float) -> None:
        try:
            self._kafka.abort_transaction(timeout_s)
        except KafkaException as exc:
            raise TransactionError(f"Transaction abort failed: {exc}.") from exc
        logger.info("transaction aborted transactional_id=%s", self.transactional_id)

    def flush(self, timeout_s: float = 30.0) -> None:
        """Wait until every queued event is acknowledged or failed.

        Raises:
            DeliveryError: events were still queued when `timeout_s` passed.
        """
        remaining = self._kafka.flush(timeout_s)
        if remaining:
            events = "1 event was" if remaining == 1 else f"{remaining} events were"
            raise DeliveryError(
                f"{events} still unacknowledged after {timeout_s} s. Check that Kafka at "
                f"{self.bootstrap_servers} is running and reachable, then flush again or "
                "close the producer.",
                event_id="<several>",
                event_type="<several>",
                topic="<several>",
                kafka_error="_FLUSH_TIMED_OUT",
                retryable=True,
            )

    def close(self, timeout_s: float = 30.0) -> None:
        """Flush queued events and stop; further publishing raises ClientClosedError."""
        if self._closed:
            return
        try:
            self.flush(timeout_s)
        finally:
            self._closed = True
            self._watcher.stop()
            if self._own_registry is not None:
                self._own_registry.close()
            logger.info("producer closed transactional_id=%s", self.transactional_id)
