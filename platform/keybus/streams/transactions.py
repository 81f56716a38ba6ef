"""Kafka transactions per source partition, for stateless exactly-once processors.

Each source partition gets its own transactional producer, with the transactional id
`{group_id}-{topic}-{partition}`. The outputs of a partition's records and the offset
after the last of them are written in one transaction, committed every `interval_s`, so
a read_committed consumer sees both or neither. A worker that starts on a partition
first initializes that partition's producer. Kafka then fences the previous owner,
aborts its open transaction and waits for a commit in progress to finish. Only after
that does the worker read the partition's committed offset, so records below it are
skipped and never written twice.

This is Kafka's fencing by transactional id from before consumer-group fencing
(KIP-447). aiokafka 0.14 sends offsets with the group id only, so fencing has to come
from the transactional id.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from aiokafka.structs import TopicPartition

from keybus.errors import KeybusError
from keybus.streams.router import Output

__all__ = ["PartitionTransactions", "TransactionError"]

logger = logging.getLogger(__name__)


class TransactionError(KeybusError):
    """A partition's transaction could not be written; its records were not committed."""

    def __init__(self, message: str, *, topic: str, partition: int) -> None:
        super().__init__(message, retryable=False)
        self.topic = topic
        self.partition = partition


@dataclass
class _OpenTransaction:
    producer: AIOKafkaProducer
    deliveries: list[asyncio.Future[Any]] = field(default_factory=list)
    next_offset: int = 0


class PartitionTransactions:
    """Transactional producers of the source partitions this worker owns.

    Args:
        bootstrap_servers: Kafka to write to, `host:port[,host:port]`.
        group_id: consumer group whose offsets the transactions commit.
        interval_s: how long a transaction stays open before it commits, in seconds.
            read_committed consumers see its outputs only after the commit.
        producer_options: extra aiokafka producer settings, such as `linger_ms`.
        offset_timeout_s: how long to retry reading a committed offset, in seconds.
    """

    def __init__(
        self,
        bootstrap_servers: str,
        group_id: str,
        *,
        interval_s: float = 0.1,
        producer_options: Mapping[str, Any] | None = None,
        offset_timeout_s: float = 30.0,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.group_id = group_id
        self.interval_s = interval_s
        self.producer_options = dict(producer_options or {})
        self.offset_timeout_s = offset_timeout_s
        self._producers: dict[TopicPartition, AIOKafkaProducer] = {}
        self._next_offsets: dict[TopicPartition, int | None] = {}
        self._open: dict[TopicPartition, _OpenTransaction] = {}
        self._committing: dict[TopicPartition, asyncio.Future[None]] = {}
        self._opened_at: float | None = None
        self._admin: AIOKafkaAdminClient | None = None

    def transactional_id(self, tp: TopicPartition) -> str:
        """Return the transactional id of a source partition."""
        return f"{self.group_id}-{tp.topic}-{tp.partition}"

    async def next_offset(self, tp: TopicPartition) -> int | None:
        """Return the first offset of `tp` not yet written; None when nothing was committed.

        On the first call after an assignment this fences the partition's previous owner
        and reads the committed offset. Later calls return the offset after the last
        record this worker wrote.
        """
        if tp not in self._next_offsets:
            await self._producer(tp)
            self._next_offsets[tp] = await self._committed(tp)
        return self._next_offsets[tp]

    async def write(self, tp: TopicPartition, outputs: Sequence[Output], next_offset: int) -> None:
        """Send `outputs` in the open transaction of `tp`, which will commit `next_offset`.

        The transaction is begun when needed and committed by `commit` or `commit_due`.

        Raises:
            TransactionError: the producer failed or this worker was fenced.
        """
        await self._wait_committed(tp)
        producer = await self._producer(tp)
        try:
            transaction = self._open.get(tp)
            if transaction is None:
                await producer.begin_transaction()
                transaction = self._open[tp] = _OpenTransaction(producer)
                if self._opened_at is None:
                    self._opened_at = time.monotonic()
            for output in outputs:
                delivery = await producer.send(
                    output.topic, output.value, key=output.key, headers=output.headers
                )
                transaction.deliveries.append(delivery)
        except Exception as exc:
            raise self._failed(tp, exc) from exc
        transaction.next_offset = next_offset
        self._next_offsets[tp] = next_offset

    async def commit_due(self) -> None:
        """Start committing the open transactions once the oldest is `interval_s` old.

        The commits run in the background, so routing goes on meanwhile; the next write
        to a partition waits for its commit.

        Raises:
            TransactionError: an earlier background commit failed.
        """
        for tp, task in list(self._committing.items()):
            if task.done():
                await self._wait_committed(tp)
        if self._opened_at is not None and time.monotonic() - self._opened_at >= self.interval_s:
            self._start_commits()

    async def commit(self) -> None:
        """Commit every open transaction with its partition's offset and wait for all.

        Raises:
            TransactionError: a transaction failed or this worker was fenced; nothing of it
                is visible to read_committed consumers.
        """
        self._start_commits()
        for tp in list(self._committing):
            await self._wait_committed(tp)

    def _start_commits(self) -> None:
        transactions, self._open, self._opened_at = self._open, {}, None
        for tp, transaction in transactions.items():
            self._committing[tp] = asyncio.ensure_future(self._commit(tp, transaction))

    async def _wait_committed(self, tp: TopicPartition) -> None:
        task = self._committing.pop(tp, None)
        if task is not None:
            await task

    async def reset(self, assigned: Iterable[TopicPartition]) -> None:
        """Commit, forget written offsets, and stop producers of partitions not in `assigned`.

        Called on every assignment. A partition kept through a rebalance may have been
        written by another worker meanwhile, so its committed offset is read again.
        """
        await self.commit()
        keep = set(assigned)
        self._next_offsets.clear()
        for tp in [tp for tp in self._producers if tp not in keep]:
            await self._discard(tp)

    async def stop(self) -> None:
        """Stop every producer; an open transaction is aborted by the partition's next owner."""
        self._open, self._opened_at = {}, None
        for task in self._committing.values():
            task.cancel()
        self._committing.clear()
        for tp in list(self._producers):
            await self._discard(tp)
        if self._admin is not None:
            await self._admin.close()
            self._admin = None

    async def _commit(self, tp: TopicPartition, transaction: _OpenTransaction) -> None:
        producer = transaction.producer
        try:
            # Every output must be acknowledged before the offset commits with them.
            await asyncio.gather(*transaction.deliveries)
            offsets = {tp: transaction.next_offset}
            await producer.send_offsets_to_transaction(offsets, self.group_id)
            await producer.commit_transaction()
        except Exception as exc:
            raise self._failed(tp, exc) from exc

    def _failed(self, tp: TopicPartition, exc: Exception) -> TransactionError:
        return TransactionError(
            f"Transaction {self.transactional_id(tp)} failed and was not committed: "
            f"{exc!r}. Its records are read again by the partition's next owner.",
            topic=tp.topic,
            partition=tp.partition,
        )

    async def _producer(self, tp: TopicPartition) -> AIOKafkaProducer:
        producer = self._producers.get(tp)
        if producer is None:
            producer = AIOKafkaProducer(
                bootstrap_servers=self.bootstrap_servers,
                transactional_id=self.transactional_id(tp),
                enable_idempotence=True,
                acks="all",
                **self.producer_options,
            )
            # start() initializes the producer id, which fences the previous owner.
            await producer.start()
            self._producers[tp] = producer
            logger.info(
                "transactional producer started transactional_id=%s",
                self.transactional_id(tp),
            )
        return producer

    async def _discard(self, tp: TopicPartition) -> None:
        self._next_offsets.pop(tp, None)
        producer = self._producers.pop(tp, None)
        if producer is None:
            return
        try:
            await producer.stop()
        except KafkaError as exc:
            logger.warning(
                "transactional producer stop failed transactional_id=%s error=%r",
                self.transactional_id(tp),
                exc,
            )

    async def _committed(self, tp: TopicPartition) -> int | None:
        # NOTE: aiokafka 0.14 cannot ask for stable offsets (OffsetFetch require_stable).
        # This relies on the producer's start having waited, in InitProducerId, for the
        # previous owner's transaction to complete, offsets included.
        deadline = time.monotonic() + self.offset_timeout_s
        while True:
            try:
                admin = await self._admin_client()
                offsets = await admin.list_consumer_group_offsets(self.group_id, partitions=[tp])
            except KafkaError as exc:
                if time.monotonic() > deadline:
                    raise TransactionError(
                        f"No committed offset for {tp.topic}[{tp.partition}] in "
                        f"{self.offset_timeout_s} s: {exc!r}. Check that the broker and its "
                        "group coordinator are up.",
                        topic=tp.topic,
                        partition=tp.partition,
                    ) from exc
                await asyncio.sleep(0.1)
                continue
            found = offsets.get(tp)
            return None if found is None or found.offset < 0 else int(found.offset)

    async def _admin_client(self) -> AIOKafkaAdminClient:
        if self._admin is None:
            admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap_servers)
            await admin.start()
            self._admin = admin
        return self._admin
