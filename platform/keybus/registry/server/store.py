"""The Kafka-backed store: a reader that applies the topics in order, and a fenced writer."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from confluent_kafka import KafkaError, KafkaException, Message, TopicPartition

from keybus.batches import poll_batch
from keybus.kafka import Consumer, Producer
from keybus.registry.server.coordination import (
    CoordinationRecord,
    HighWaterMark,
    PrimaryAnnouncement,
    decode_coordination,
    encode_high_water_mark,
    encode_primary,
)
from keybus.registry.server.errors import ErrorCode
from keybus.registry.server.records import (
    RecordFormatError,
    StoreRecord,
    decode_record,
    encode_record,
)
from keybus.registry.server.state import RegistryState

__all__ = ["KafkaStore", "StoreTopics"]

logger = logging.getLogger(__name__)

_POLL_TIMEOUT_S = 0.05
_TRANSACTION_TIMEOUT_MS = 10_000


@dataclass(frozen=True, slots=True)
class StoreTopics:
    """The schemas topic (Confluent's format) and keybus's coordination topic."""

    schemas: str
    coordination: str


_Decoded = tuple[str, int, StoreRecord | CoordinationRecord | None]


class KafkaStore:
    """Apply the schemas and coordination topics to the state, and write as the primary.

    A background thread consumes both single-partition topics with read_committed
    isolation and hands decoded records to the event loop, which alone changes the state.
    The writer uses one transactional id shared by every instance: opening it fences any
    earlier primary, whose later writes then fail instead of issuing duplicate ids.
    """

    def __init__(self, bootstrap_servers: str, topics: StoreTopics, state: RegistryState) -> None:
        self.topics = topics
        self.state = state
        self.primary: PrimaryAnnouncement | None = None
        self.on_fenced: Callable[[], None] = lambda: None
        self._bootstrap_servers = bootstrap_servers
        self._applied: dict[str, int] = {topics.schemas: 0, topics.coordination: 0}
        self._producer: Producer | None = None
        self._stopping = threading.Event()
        self._reader: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._progress = asyncio.Event()

    async def start(self, timeout_s: float) -> None:
        """Start the reader and wait until it has applied both topics to their end."""
        self._loop = asyncio.get_running_loop()
        self._progress = asyncio.Event()
        self._reader = threading.Thread(
            target=self._read, name="keybus-registry-reader", daemon=True
        )
        self._reader.start()
        await self.catch_up(timeout_s)

    async def stop(self) -> None:
        """Stop the reader and close the writer."""
        self._stopping.set()
        if self._reader is not None:
            await asyncio.to_thread(self._reader.join, 10.0)
        await self.close_writer()

    async def catch_up(self, timeout_s: float) -> None:
        """Wait until the state includes everything committed to both topics so far."""
        ends = await asyncio.to_thread(self._end_offsets)
        for topic, end in ends.items():
            await self._wait_applied(topic, end, timeout_s)

    def _end_offsets(self) -> dict[str, int]:
        consumer = Consumer(self._consumer_config())
        try:
            return {topic: _high_watermark(consumer, topic) for topic in self._applied}
        finally:
            consumer.close()

    async def _wait_applied(self, topic: str, offset: int, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while self._applied[topic] < offset:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ErrorCode.OPERATION_TIMEOUT.error(
                    detail=f"topic {topic} was applied up to offset {self._applied[topic]}, "
                    f"not {offset}, within {timeout_s} s. Check that Kafka is reachable."
                )
            self._progress.clear()
            try:
                await asyncio.wait_for(self._progress.wait(), timeout=min(remaining, 0.5))
            except TimeoutError:
                continue

    @property
    def reader_alive(self) -> bool:
        """Whether the background reader still applies new records."""
        return self._reader is not None and self._reader.is_alive()

    def applied_offset(self, topic: str) -> int:
        """Return the offset after the last applied record of a topic."""
        return self._applied[topic]

    async def wait_schemas_offset(self, offset: int, timeout_s: float) -> None:
        """Wait until the schemas topic is applied up to `offset` (exclusive)."""
        await self._wait_applied(self.topics.schemas, offset, timeout_s)

    def _consumer_config(self) -> dict[str, object]:
        return {
            "bootstrap.servers": self._bootstrap_servers,
            "group.id": f"keybus-registry-reader-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
            "enable.partition.eof": True,
            "fetch.wait.max.ms": 20,
            "auto.offset.reset": "earliest",
        }

    def _read(self) -> None:
        consumer = Consumer(self._consumer_config())
        consumer.assign([TopicPartition(topic, 0, 0) for topic in self._applied])
        try:
            while not self._stopping.is_set():
                messages = poll_batch(consumer, 1000, _POLL_TIMEOUT_S)
                if messages:
                    batch = [decoded for m in messages if (decoded := self._decode(m)) is not None]
                    assert self._loop is not None
                    self._loop.call_soon_threadsafe(self._apply, batch)
        except Exception:
            logger.exception("Registry store reader stopped on an unexpected error")
            raise
        finally:
            consumer.close()

    def _decode(self, message: Message) -> _Decoded | None:
        topic, offset = message.topic() or "", message.offset() or 0
        error = message.error()
        if error is not None:
            if error.code() == KafkaError._PARTITION_EOF:
                return topic, offset, None
            logger.warning("Registry store read error topic=%s error=%s", topic, error)
            return None
        key, value = message.key(), message.value()
        try:
            if topic == self.topics.coordination:
                return topic, offset + 1, decode_coordination(key, value)
            return topic, offset + 1, decode_record(key or b"", value)
        except (RecordFormatError, ValueError, KeyError) as exc:
            logger.error(  # noqa: TRY400 - the message names the cause
                "Skipping unreadable record topic=%s offset=%s error=%s", topic, offset, exc
            )
            return topic, offset + 1, None

    def _apply(self, batch: list[_Decoded]) -> None:
        for topic, next_offset, record in batch:
            if isinstance(record, PrimaryAnnouncement):
                self.primary = record
                logger.info(
                    "Primary announced url=%s instance_id=%s", record.url, record.instance_id
                )
            elif isinstance(record, HighWaterMark):
                self.state.note_schema_id(record.schema_id)
            elif record is not None:
                self.state.apply(record)
            self._applied[topic] = max(self._applied[topic], next_offset)
        self._progress.set()

    async def open_writer(self, transactional_id: str, timeout_s: float) -> None:
        """Open the transactional writer, fencing every earlier writer of the same id."""
        config = {
            "bootstrap.servers": self._bootstrap_servers,
            "transactional.id": transactional_id,
            "transaction.timeout.ms": _TRANSACTION_TIMEOUT_MS,
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": 0,
        }
        producer = Producer(config)
        await asyncio.to_thread(producer.init_transactions, timeout_s)
        self._producer = producer
        logger.info("Opened fenced writer transactional_id=%s", transactional_id)

    async def close_writer(self) -> None:
        """Close the writer, so that a primary that steps down writes nothing more."""
        producer, self._producer = self._producer, None
        if producer is not None:
            await asyncio.to_thread(producer.flush, 5.0)

    async def announce(self, announcement: PrimaryAnnouncement, timeout_s: float) -> None:
        """Announce this instance as the primary through the coordination topic."""
        key, value = encode_primary(announcement)
        await self._transact([(self.topics.coordination, key, value)], timeout_s)

    async def write(
        self, records: Sequence[StoreRecord], *, high_water_mark: int | None = None
    ) -> None:
        """Write records in one transaction and wait until the state applied them."""
        payloads: list[tuple[str, bytes, bytes | None]] = []
        if high_water_mark is not None:
            key, value = encode_high_water_mark(HighWaterMark(high_water_mark))
            payloads.append((self.topics.coordination, key, value))
        payloads += [(self.topics.schemas, *encode_record(record)) for record in records]
        await self._transact(payloads, timeout_s=10.0)

    async def _transact(
        self, payloads: list[tuple[str, bytes, bytes | None]], timeout_s: float
    ) -> None:
        producer = self._producer
        if producer is None:
            raise ErrorCode.UNKNOWN_PRIMARY.error(detail="this instance is not the primary")
        last_offsets = await asyncio.to_thread(_run_transaction, producer, payloads, timeout_s)
        if last_offsets is None:
            self._producer = None
            self.on_fenced()
            raise ErrorCode.PRIMARY_FENCED.error(detail="a newer primary fenced its writer")
        for topic, offset in last_offsets.items():
            await self._wait_applied(topic, offset + 1, timeout_s)


def _high_watermark(consumer: Consumer, topic: str, timeout_s: float = 30.0) -> int:
    """Return the end offset of partition 0, retrying while a new topic gets its leader."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return int(consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10.0)[1])
        except KafkaException as exc:
            # A topic created a moment ago returns NOT_LEADER_FOR_PARTITION until its
            # leader is elected, and the client does not flag that error as retriable.
            if time.monotonic() > deadline:
                raise
            logger.debug("Waiting for partition leader topic=%s error=%s", topic, exc)
            time.sleep(0.2)


def _run_transaction(
    producer: Producer, payloads: list[tuple[str, bytes, bytes | None]], timeout_s: float
) -> dict[str, int] | None:
    """Write payloads in one transaction and return the last offset per topic, or None if fenced."""
    offsets: dict[str, int] = {}

    def delivered(error: KafkaError | None, message: Message) -> None:
        if error is None:
            topic = message.topic() or ""
            offsets[topic] = max(offsets.get(topic, -1), message.offset() or 0)

    try:
        producer.begin_transaction()
        for topic, key, value in payloads:
            producer.produce(topic, key=key, value=value, on_delivery=delivered)
        producer.flush(timeout_s)
        producer.commit_transaction(timeout_s)
    except KafkaException as exc:
        error = exc.args[0]
        if error.fatal() or error.code() == KafkaError._FENCED:
            logger.warning("Registry writer fenced by a newer primary error=%s", error)
            return None
        if error.txn_requires_abort():
            producer.abort_transaction(timeout_s)
        raise ErrorCode.STORE_ERROR.error(
            detail=f"the write transaction failed ({error.str()}) and nothing was written. Retry."
        ) from exc
    return offsets
