"""Kafka transactions per source partition, for stateless exactly-once processors.

Each source partition gets its own transactional producer, with the transactional id
`{group_id}-{topic}-{partition}`. A batch of a partition's outputs and the offset after
its last record are written in one transaction, so a read_committed consumer sees both
or neither. A worker that starts on a partition first initializes that partition's
producer. Kafka then fences the previous owner, aborts its open transaction and waits
for a commit in progress to finish. Only after that does the worker read the partition's
committed offset (as a stable offset), so records below it are skipped and never
written twice.

This is Kafka's fencing by transactional id from before consumer-group fencing
(KIP-447). aiokafka 0.14 sends offsets with the group id only, so fencing has to come
from the transactional id.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.structs import TopicPartition
from confluent_kafka import ConsumerGroupTopicPartitions, KafkaException, OFFSET_INVALID
from confluent_kafka import TopicPartition as ConfluentTopicPartition
from confluent_kafka.admin import AdminClient

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


class UnstableOffsetError(Exception):
    """The broker returned no stable committed offset for a partition yet."""


class PartitionTransactions:
    """Transactional producers of the source partitions this worker owns.

    Args:
        bootstrap_servers: Kafka to write to, `host:port[,host:port]`.
        group_id: consumer group whose offsets the transactions commit.
        producer_options: extra aiokafka producer settings, such as `linger_ms`.
        offset_timeout_s: how long to wait for a stable committed offset.
    """

    def __init__(
        self,
        bootstrap_servers: str,
        group_id: str,
        *,
        producer_options: Mapping[str, Any] | None = None,
        offset_timeout_s: float = 30.0,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.group_id = group_id
        self.producer_options = dict(producer_options or {})
        self.offset_timeout_s = offset_timeout_s
        self._producers: dict[TopicPartition, AIOKafkaProducer] = {}
        self._next_offsets: dict[TopicPartition, int | None] = {}
        self._admin: AdminClient | None = None

    def transactional_id(self, tp: TopicPartition) -> str:
        """Return the transactional id of a source partition."""
        return f"{self.group_id}-{tp.topic}-{tp.partition}"

    async def next_offset(self, tp: TopicPartition) -> int | None:
        """Return the first offset of `tp` not yet committed; None when nothing was.

        On the first call after an assignment this fences the partition's previous owner
        and reads the stable committed offset; later calls return the offset after the
        last batch this worker committed.
        """
        if tp not in self._next_offsets:
            await self._producer(tp)
            self._next_offsets[tp] = await self._stable_committed(tp)
        return self._next_offsets[tp]

    async def commit(
        self, tp: TopicPartition, outputs: Sequence[Output], next_offset: int
    ) -> None:
        """Write `outputs` and the offset `next_offset` of `tp` in one transaction.

        Raises:
            TransactionError: the transaction failed or this worker was fenced; nothing of
                it is visible to read_committed consumers.
        """
        producer = await self._producer(tp)
        try:
            await producer.begin_transaction()
            for output in outputs:
                await producer.send(
                    output.topic, output.value, key=output.key, headers=output.headers
                )
            await producer.send_offsets_to_transaction({tp: next_offset}, self.group_id)
            await producer.commit_transaction()
        except Exception as exc:
            await self._discard(tp)
            raise TransactionError(
                f"Transaction {self.transactional_id(tp)} failed and was not committed: "
                f"{exc!r}. Its records are read again by the partition's next owner.",
                topic=tp.topic,
                partition=tp.partition,
            ) from exc
        self._next_offsets[tp] = next_offset

    async def reset(self, assigned: Iterable[TopicPartition]) -> None:
        """Forget committed offsets and stop the producers of partitions not in `assigned`.

        Called on every assignment: a partition kept through a rebalance may have been
        written by another worker meanwhile, so its committed offset is read again.
        """
        keep = set(assigned)
        self._next_offsets.clear()
        for tp in [tp for tp in self._producers if tp not in keep]:
            await self._discard(tp)

    async def stop(self) -> None:
        """Stop every producer; no transaction is open between batches."""
        for tp in list(self._producers):
            await self._discard(tp)

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
        except Exception as exc:
            logger.warning(
                "transactional producer stop failed transactional_id=%s error=%r",
                self.transactional_id(tp),
                exc,
            )

    async def _stable_committed(self, tp: TopicPartition) -> int | None:
        deadline = asyncio.get_running_loop().time() + self.offset_timeout_s
        while True:
            try:
                return await asyncio.to_thread(self._fetch_committed, tp)
            except (KafkaException, UnstableOffsetError) as exc:
                if asyncio.get_running_loop().time() > deadline:
                    raise TransactionError(
                        f"No stable committed offset for {tp.topic}[{tp.partition}] in "
                        f"{self.offset_timeout_s} s: {exc}. Check that the broker and its "
                        "transaction coordinator are up.",
                        topic=tp.topic,
                        partition=tp.partition,
                    ) from exc
                await asyncio.sleep(0.1)

    def _fetch_committed(self, tp: TopicPartition) -> int | None:
        if self._admin is None:
            self._admin = AdminClient({"bootstrap.servers": self.bootstrap_servers})
        request = ConsumerGroupTopicPartitions(
            self.group_id, [ConfluentTopicPartition(tp.topic, tp.partition)]
        )
        futures = self._admin.list_consumer_group_offsets([request], require_stable=True)
        result = futures[self.group_id].result(timeout=10)
        for partition in result.topic_partitions or []:
            if partition.error is not None:
                raise UnstableOffsetError(str(partition.error))
            return None if partition.offset == OFFSET_INVALID else int(partition.offset)
        return None
