"""The keybus consumer: typed handlers per event type, commits after handling, graceful stop."""

from __future__ import annotations

import inspect
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any, Literal, Self, TypeVar

from confluent_kafka import KafkaError, KafkaException, Message, TopicPartition

from keybus.batches import poll_batch
from keybus.client.errors import ClientClosedError, HandlerError
from keybus.client.policies import ConsumedRecord, Decision, FailurePolicy, StopOnFailure
from keybus.errors import ConfigurationError, KeybusError, clause
from keybus.events.binding import model_codec
from keybus.events.model import Event
from keybus.kafka import Consumer as KafkaConsumer
from keybus.registry.client import RegistryClient
from keybus.serde.codec import AvroDeserializer, SchemaRegistry, corrupt_body_error
from keybus.serde.compiled import DECODE_ERRORS, CompiledCodec, same_decoding
from keybus.serde.schema import ParsedSchema
from keybus.serde.wire import HEADER_SIZE_BYTES, unframe
from keybus.types import SchemaId, check_topic_name

__all__ = ["Consumer", "UnknownEventPolicy", "UnknownEventTypeError"]

logger = logging.getLogger(__name__)

E = TypeVar("E", bound=Event)
Handler = Callable[..., object]
UnknownEventPolicy = Literal["skip", "fail"] | Callable[[ConsumedRecord], object]
""""skip" (log and commit), "fail" (pass to the failure policy) or a function to route it."""

_DEFAULTS: dict[str, Any] = {
    "enable.auto.commit": True,
    "enable.auto.offset.store": False,
    "isolation.level": "read_committed",
    "auto.offset.reset": "earliest",
}


class UnknownEventTypeError(KeybusError):
    """A record's event type has no handler, and the consumer is configured to fail on it."""


@dataclass(frozen=True, slots=True)
class _Route:
    """The decoding and handling of the records of one writer schema id, resolved once.

    Attributes:
        schema_id, writer: the writer schema framed in the records.
        registered: the model, the handler and whether it takes the record, or None when
            no handler takes the writer's type.
        codec: the model codec, when it reads the writer's bytes as the model's schema
            would; otherwise values are resolved to the model's schema by fastavro.
    """

    schema_id: SchemaId
    writer: ParsedSchema
    registered: tuple[type[Event], Handler, bool] | None = None
    codec: CompiledCodec | None = None


class Consumer:
    """Consume events and dispatch each to the handler registered for its type.

    Values are decoded with the writer's schema from the registry and resolved to the
    handler's model, so records written with an older or newer compatible schema both
    reach the handler. An offset is stored for commit only after the handler returns,
    which gives at-least-once delivery. Stored offsets are committed every
    `commit_interval_ms`, on partition revocation and on close. SIGTERM and SIGINT stop
    `run()` after the record in hand.

    Args:
        bootstrap_servers: Kafka's `bootstrap.servers`.
        group_id: the consumer group.
        registry: a registry client or the registry's base URL.
        topics: topics to subscribe to; by default the topics of the handled types.
        unknown_events: what to do with events that have no handler.
        failure_policy: decides on records whose decoding or handling failed.
        commit_interval_ms: how often stored offsets are committed.
        config: extra librdkafka settings; they override the defaults, which read
            only committed transactional records and start new groups at the earliest offset.
    """

    def __init__(
        self,
        bootstrap_servers: str,
        group_id: str,
        registry: SchemaRegistry | str,
        *,
        topics: Sequence[str] | None = None,
        unknown_events: UnknownEventPolicy = "skip",
        failure_policy: FailurePolicy | None = None,
        commit_interval_ms: int = 1000,
        batch_size: int = 500,
        config: Mapping[str, Any] | None = None,
    ) -> None:
        # A client built here from a URL is closed with this object; a given one is not.
        self._own_registry: RegistryClient | None = None
        if isinstance(registry, str):
            registry = self._own_registry = RegistryClient(registry)
        self.registry: SchemaRegistry = registry
        self.group_id = group_id
        # Checked here, because librdkafka's subscribe() accepts an invalid name silently.
        self.topics: list[str] | None = None
        if topics is not None:
            self.topics = [check_topic_name(topic) for topic in topics]
        self.unknown_events = unknown_events
        self.failure_policy = failure_policy or StopOnFailure()
        self.batch_size = batch_size
        settings = {
            **_DEFAULTS,
            "bootstrap.servers": bootstrap_servers,
            "group.id": group_id,
            "auto.commit.interval.ms": commit_interval_ms,
            **(config or {}),
        }
        self._kafka = KafkaConsumer(settings)
        self._deserializer = AvroDeserializer(self.registry)
        self._handlers: dict[str, tuple[type[Event], Handler, bool]] = {}
        # Routes by the 5-byte wire-format header of the record value, one per writer schema.
        self._routes: dict[bytes, _Route] = {}
        self._stopping = threading.Event()
        self._closed = False
        self._subscribed = False
        self.handled = 0

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def handler(self, event_type: type[E]) -> Callable[[Handler], Handler]:
        """Register the decorated function as the handler of `event_type`.

        The function takes the event, or the event and its `ConsumedRecord`.
        """

        def register(function: Handler) -> Handler:
            self.add_handler(event_type, function)
            return function

        return register

    def add_handler(self, event_type: type[Event], function: Handler) -> None:
        """Register `function` as the handler of `event_type`."""
        name = event_type.__avro_name__
        if name in self._handlers:
            raise ConfigurationError(
                f"Event type {name} already has a handler ({self._handlers[name][1].__name__}). "
                "Register one handler per event type and dispatch inside it."
            )
        wants_record = len(inspect.signature(function).parameters) >= 2
        self._handlers[name] = (event_type, function, wants_record)
        self._routes.clear()

    def subscribed_topics(self) -> list[str]:
        """Return the topics `run()` subscribes to.

        Raises:
            InvalidTopicNameError: a handled event type names a topic Kafka rejects.
        """
        if self.topics is not None:
            return self.topics
        topics = sorted({event_type.__topic__ for event_type, _, _ in self._handlers.values()})
        for topic in topics:
            check_topic_name(topic)
        if not topics:
            raise ConfigurationError(
                "The consumer has no handlers and no topics. Register a handler with "
                "@consumer.handler(EventType) or pass topics=[...]."
            )
        return topics

    def run(
        self,
        *,
        max_events: int | None = None,
        idle_timeout_s: float | None = None,
        poll_timeout_s: float = 0.5,
        handle_signals: bool = True,
    ) -> int:
        """Consume until stopped, `max_events` records are handled, or idle for `idle_timeout_s`.

        Returns the number of records handled in this call.

        Raises:
            HandlerError: the failure policy decided to stop; the failed record is not
                committed.
        """
        if self._closed:
            raise ClientClosedError("Consumer is closed; create a new one to consume again.")
        if not self._subscribed:
            self._kafka.subscribe(self.subscribed_topics(), on_revoke=self._on_revoke)
            self._subscribed = True
        handled_before = self.handled
        try:
            with self._signals(handle_signals):
                self._loop(handled_before, max_events, idle_timeout_s, poll_timeout_s)
        finally:
            self._stopping.clear()
        self.commit()
        return self.handled - handled_before

    def _loop(
        self,
        handled_before: int,
        max_events: int | None,
        idle_timeout_s: float | None,
        poll_timeout_s: float,
    ) -> None:
        limit = None if max_events is None else handled_before + max_events
        last_record = time.monotonic()
        while not self._stopping.is_set():
            messages = poll_batch(self._kafka, self.batch_size, poll_timeout_s)
            if messages:
                last_record = time.monotonic()
            elif idle_timeout_s is not None and time.monotonic() - last_record > idle_timeout_s:
                return
            self._process_batch(messages, limit)

    def _process_batch(self, messages: list[Message], limit: int | None) -> None:
        """Handle `messages` in order until done, stopped or `limit` records are handled.

        The client's position has already moved past the whole batch. When the batch is
        left early, the partitions are sought back to the first record not handled, so
        that a later `run()` gets it again instead of storing offsets past it.
        """
        stopping = self._stopping
        position = 0
        try:
            for message in messages:
                if stopping.is_set():
                    break
                self._process(message)
                position += 1
                if limit is not None and self.handled >= limit:
                    stopping.set()
        finally:
            if position < len(messages):
                self._rewind(messages[position:])

    def _rewind(self, messages: list[Message]) -> None:
        first: dict[tuple[str, int], int] = {}
        for message in messages:
            topic, partition, offset = message.topic(), message.partition(), message.offset()
            if message.error() is None and topic is not None:
                first.setdefault((topic, partition or 0), offset or 0)
        for (topic, partition), offset in first.items():
            try:
                self._kafka.seek(TopicPartition(topic, partition, offset))
            except KafkaException:
                logger.exception(
                    "rewind failed, a later run() skips records from this offset "
                    "group_id=%s topic=%s partition=%s offset=%s",
                    self.group_id,
                    topic,
                    partition,
                    offset,
                )

    def stop(self) -> None:
        """Ask `run()` to return after the record in hand; safe from signal handlers and threads."""
        self._stopping.set()

    def commit(self) -> None:
        """Commit the offsets stored for handled records, waiting for the broker."""
        try:
            self._kafka.commit(asynchronous=False)
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError._NO_OFFSET:
                raise

    def close(self) -> None:
        """Commit stored offsets and leave the group."""
        if self._closed:
            return
        self._closed = True
        try:
            self.commit()
        finally:
            self._kafka.close()
            if self._own_registry is not None:
                self._own_registry.close()
            logger.info("consumer closed group_id=%s handled=%s", self.group_id, self.handled)

    def _process(self, message: Any) -> None:
        error = message.error()
        if error is not None:
            if error.fatal():
                raise KafkaException(error)
            logger.warning("consumer error group_id=%s error=%s", self.group_id, error)
            return
        self.handle(message)
        self._kafka.store_offsets(message=message)
        self.handled += 1

    def handle(self, message: Any) -> None:
        """Decode one Kafka message and run its handler under the policies; commits nothing.

        Raises:
            HandlerError: the failure policy returned STOP.
        """
        record = ConsumedRecord.from_message(message)
        while True:
            try:
                self._dispatch(record)
            except Exception as exc:  # every handler error goes to the failure policy
                decision = self.failure_policy.on_failure(record, exc)
                if decision is Decision.SKIP:
                    return
                if decision is Decision.STOP:
                    raise self._stop_error(record, exc) from exc
                record.attempt += 1
            else:
                return

    def _dispatch(self, record: ConsumedRecord) -> None:
        value = record.value or b""
        route = self._routes.get(value[:HEADER_SIZE_BYTES]) or self._route(record)
        record.schema_id = route.schema_id
        record.event_type = route.writer.name
        if route.registered is None:
            self._unknown(record, route.writer)
            return
        event_type, handler, wants_record = route.registered
        codec = route.codec
        if codec is not None:
            try:
                record.event = codec.decode(value, HEADER_SIZE_BYTES)
            except DECODE_ERRORS as exc:
                body = memoryview(value)[HEADER_SIZE_BYTES:]
                raise corrupt_body_error(body, route.writer, exc) from exc
        else:
            record.event = self._resolve(value, route.writer, event_type)
        if wants_record:
            handler(record.event, record)
        else:
            handler(record.event)

    def _route(self, record: ConsumedRecord) -> _Route:
        """Resolve and cache the route of the record's writer schema.

        Raises:
            WireFormatError: the value is not framed in the wire format.
            UnknownSchemaIdError: the registry has no schema with the framed id.
        """
        schema_id, _ = unframe(record.value)
        record.schema_id = schema_id
        writer = self._deserializer.writer_schema(schema_id)
        registered = self._handlers.get(writer.name or "")
        codec = None
        if registered is not None:
            event_type = registered[0]
            codec = model_codec(event_type)
            if codec is not None and not same_decoding(writer, event_type.avro_schema()):
                codec = None
        route = _Route(schema_id, writer, registered, codec)
        self._routes[bytes(record.value or b"")[:HEADER_SIZE_BYTES]] = route
        return route

    def _resolve(self, value: bytes, writer: ParsedSchema, event_type: type[Event]) -> Event:
        """Decode with the writer's schema resolved to the model's, which differs from it."""
        body = memoryview(value)[HEADER_SIZE_BYTES:]
        decoded = self._deserializer.decode_body(body, writer, event_type.avro_schema())
        return event_type.from_avro(decoded)

    def _unknown(self, record: ConsumedRecord, writer: ParsedSchema) -> None:
        policy = self.unknown_events
        if policy == "skip":
            logger.debug(
                "skipping event without handler event_type=%s topic=%s offset=%s",
                record.event_type,
                record.topic,
                record.offset,
            )
            return
        if policy == "fail":
            raise UnknownEventTypeError(
                f"Event type {record.event_type} at {record.topic}[{record.partition}]@"
                f"{record.offset} has no handler. Register one with @consumer.handler(...), "
                "or build the consumer with unknown_events='skip' or a routing function."
            )
        _, body = unframe(record.value)
        record.event = self._deserializer.decode_body(body, writer, None)
        policy(record)

    def _stop_error(self, record: ConsumedRecord, exc: Exception) -> HandlerError:
        self._stopping.set()
        return HandlerError(
            f"Handling {record.event_type or 'an undecodable record'} at {record.topic}"
            f"[{record.partition}]@{record.offset} failed on attempt {record.attempt}: "
            f"{type(exc).__name__}: {clause(exc)}. The record is not committed and will be "
            "consumed again; fix the cause or pass a failure_policy that retries or parks it.",
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            event_type=record.event_type,
        )

    def _on_revoke(self, consumer: KafkaConsumer, partitions: list[TopicPartition]) -> None:
        logger.info("partitions revoked group_id=%s count=%s", self.group_id, len(partitions))
        self.commit()

    @contextmanager
    def _signals(self, enabled: bool) -> Iterator[None]:
        if not enabled or threading.current_thread() is not threading.main_thread():
            yield
            return

        def request_stop(signum: int, frame: FrameType | None) -> None:
            logger.info("stop requested signal=%s group_id=%s", signum, self.group_id)
            self.stop()

        previous = {
            sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
