"""A consumer loop on confluent-kafka that retries through delay tiers and parks dead letters."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, TopicPartition

from keybus.batches import poll_batch
from keybus.errors import KeybusError, clause
from keybus.kafka import Consumer, Producer
from keybus.retry.classify import ErrorClassifier, FailureKind
from keybus.retry.errors import ConsumerStoppedError, ParkingError, UndecodableRecordError
from keybus.retry.headers import DUE_MS
from keybus.retry.offsets import OffsetBook
from keybus.retry.pausing import InPlaceAttempts, PartitionKey, PauseBook
from keybus.retry.policy import DeadLetterReason, InPlaceRetry, RetryPolicy
from keybus.retry.record import InboundRecord
from keybus.retry.router import (
    DeadLetterHandler,
    FailureHandler,
    Outcome,
    ParkAction,
    producer_settings,
)

__all__ = ["ConsumerStats", "Decoder", "Handler", "RecordFilter", "RetryingConsumer"]

logger = logging.getLogger(__name__)

TIER_GROUP_SUFFIX = ".retry"
"""Appended to the group id for the client that reads the group's retry tiers."""

TIER_SLACK_RATIO = 0.1
"""A paused retry tier resumes up to this share of its delay after its head record is due."""

MAX_TIER_SLACK_S = 1.0
"""The maximum time a paused retry tier waits past its head record's due time."""

Handler = Callable[[InboundRecord], object]
Decoder = Callable[[InboundRecord], Any]
RecordFilter = Callable[[InboundRecord], bool]


@dataclass
class ConsumerStats:
    """Counts since the consumer started.

    `retried` and `dead_lettered` count records routed to a retry tier or to the dead
    letters. Their copies are acknowledged shortly after, and always before the commit
    that passes them.
    """

    handled: int = 0
    skipped: int = 0
    retried: int = 0
    dead_lettered: int = 0
    retried_in_place: int = 0
    paused: int = 0


class RetryingConsumer:
    """Consume topics for one group; failed records go through retry tiers to the dead letters.

    Two confluent-kafka clients read the source topics (in `group`) and the group's
    retry tiers (in `<group>.retry`), and one loop polls both. A record is committed only after its
    handler returned or after its parked copy was acknowledged. A retry tier partition
    whose head record is not yet due is paused until it is, so the poll loop never
    sleeps and the group never expels the consumer.

    A tier resumes up to a tenth of its delay (at most 1 s) after its head record is
    due, so retried records come back that much late at most and one resume serves all
    records that fell due meanwhile.

    Per-key order: while an event waits in a retry tier, later events with the same key
    are handled, so order per key holds only for events that succeed first time. A
    policy with `in_place` set keeps strict order instead by pausing the partition and
    retrying the head record in place, within a bounded budget.

    With `tiers_only`, it reads only the retry tiers of `topics`. That serves a source
    consumer (the SDK consumer or a Faust agent) that parks its failures with a
    `FailureHandler` of the same group and policy. Pass that handler as
    `failure_handler` so both sides share it, and its group, policy and classifier then
    override the arguments here.

    Args:
        bootstrap_servers: the Kafka to read from and park in.
        group: the consumer group; it also names the retry tiers and dead letters.
        topics: the source topics.
        handler: called with each record; whatever it raises is classified.
        policy: tiers, attempt and age limits, or in-place retries.
        classifier: which errors are retried, parked at once or stop the consumer.
        decoder: turns a record's value into `record.event`; its errors park the
            record as undecodable, except keybus errors marked retryable.
        record_filter: records it returns False for are committed without handling.
        dead_letter_topic: a fixed dead-letter topic instead of `<topic>.<group>.dlq`.
        dead_letter_handler: called once per parked dead letter (see FailureHandler).
        consumer_config: extra confluent-kafka consumer settings.
        commit_interval_s: how often offsets are committed.
        tiers_only: read only the retry tiers of `topics`.
        failure_handler: a shared FailureHandler to park with.
    """

    def __init__(
        self,
        *,
        bootstrap_servers: str,
        group: str,
        topics: Sequence[str],
        handler: Handler,
        policy: RetryPolicy | None = None,
        classifier: ErrorClassifier | None = None,
        decoder: Decoder | None = None,
        record_filter: RecordFilter | None = None,
        dead_letter_topic: str | None = None,
        dead_letter_handler: DeadLetterHandler | None = None,
        consumer_config: Mapping[str, Any] | None = None,
        commit_interval_s: float = 1.0,
        tiers_only: bool = False,
        failure_handler: FailureHandler | None = None,
    ) -> None:
        self.group = group
        self.tiers_only = tiers_only
        self.topics = list(topics)
        self.handler = handler
        self.decoder = decoder
        self.record_filter = record_filter
        self.commit_interval_s = commit_interval_s
        self.stats = ConsumerStats()

        self.failures = failure_handler or FailureHandler(
            Producer(producer_settings(bootstrap_servers)),
            group=group,
            policy=policy,
            classifier=classifier,
            dead_letter_topic=dead_letter_topic,
            dead_letter_handler=dead_letter_handler,
        )
        settings = {
            "bootstrap.servers": bootstrap_servers,
            "group.id": group,
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            **(consumer_config or {}),
        }
        self._retry_tiers = {
            tier: delay_s for topic in self.topics for tier, delay_s in self._tiers(topic)
        }
        # The retry tiers get a client of their own, in the group `<group>.retry`.
        # Pausing a tier partition in the client that also reads the source topics
        # stalled the source partitions for about 200 ms each time (librdkafka 2.16),
        # and a group of their own keeps tier rebalances off the source partitions.
        self.consumer = None if tiers_only else Consumer(settings)
        self.tier_consumer = None
        if self._retry_tiers:
            self.tier_consumer = Consumer({**settings, "group.id": group + TIER_GROUP_SUFFIX})
        self.pauses = PauseBook(self._client_for)
        self._in_place: dict[PartitionKey, InPlaceAttempts] = {}
        self.offsets = OffsetBook()
        self._last_commit_s = time.monotonic()
        self._subscribed = False

    @property
    def policy(self) -> RetryPolicy:
        """The retry policy of this consumer."""
        return self.failures.policy

    def _tiers(self, topic: str) -> list[tuple[str, float]]:
        if self.policy.in_place:
            return []
        return list(zip(self.failures.retry_topics(topic), self.policy.tiers_s, strict=True))

    def subscribed_topics(self) -> list[str]:
        """Return the source topics followed by their retry tiers, or the tiers alone."""
        tiers = sorted(self._retry_tiers)
        return tiers if self.tiers_only else self.topics + tiers

    def _clients(self) -> list[Consumer]:
        return [client for client in (self.consumer, self.tier_consumer) if client is not None]

    def _client_for(self, topic: str) -> Consumer:
        client = self.tier_consumer if topic in self._retry_tiers else self.consumer
        if client is None:
            raise ValueError(
                f"Topic {topic!r} is neither a source topic nor a retry tier of consumer group "
                f"{self.group!r}; only records this consumer read can be held."
            )
        return client

    def subscribe(self) -> None:
        """Join the group on the source topics and, with a second client, the retry tiers."""
        if self.consumer is not None:
            self.consumer.subscribe(
                self.topics, on_assign=self._on_assign, on_revoke=self._on_revoke
            )
        if self.tier_consumer is not None:
            self.tier_consumer.subscribe(
                sorted(self._retry_tiers), on_assign=self._on_assign, on_revoke=self._on_revoke
            )
        self._subscribed = True
        logger.info("retrying consumer subscribed group=%s topics=%s", self.group, self.topics)

    def run(
        self,
        *,
        should_stop: Callable[[], bool] = lambda: False,
        poll_timeout_s: float = 0.5,
        batch_size: int = 500,
    ) -> None:
        """Poll and handle records until `should_stop` returns True, then close."""
        try:
            while not should_stop():
                self.poll_once(timeout_s=poll_timeout_s, batch_size=batch_size)
        finally:
            self.close()

    def poll_once(self, *, timeout_s: float = 0.5, batch_size: int = 500) -> int:
        """Deliver held records that are due, poll one batch and handle it.

        Returns the number of records delivered or held from this batch.
        """
        if not self._subscribed:
            self.subscribe()
        self.failures.producer.poll(0)
        self.offsets.raise_failures()
        self._deliver_released(time.time())

        next_due = self.pauses.next_due_s()
        if next_due is not None:
            timeout_s = max(0.0, min(timeout_s, next_due - time.time()))
        messages = self._consume(batch_size, timeout_s)
        handled = 0
        for message in messages:
            if self._accept(message):
                record = InboundRecord.from_message(message)
                if not self.pauses.add(record):
                    self._deliver(record)
                handled += 1

        self._commit_if_due()
        return handled

    def _consume(self, batch_size: int, timeout_s: float) -> list[Message]:
        """Poll the tier client without waiting, then the source client with `timeout_s`.

        The source client waits only when the tiers had nothing; a consumer with tiers
        alone waits on the tier client.
        """
        messages: list[Message] = []
        if self.tier_consumer is not None:
            wait_s = 0.0 if self.consumer is not None else timeout_s
            messages = poll_batch(self.tier_consumer, batch_size, wait_s)
        if self.consumer is not None:
            wait_s = 0.0 if messages else timeout_s
            messages += poll_batch(self.consumer, batch_size, wait_s)
        return messages

    def _deliver_released(self, now_s: float) -> None:
        """Deliver the records of held partitions that are due, in order, then resume them."""
        for key, records in self.pauses.release_due(now_s):
            for index, record in enumerate(records):
                if key in self.pauses:
                    # An earlier record held the partition again, so the rest wait behind it.
                    for waiting in records[index:]:
                        self.pauses.add(waiting)
                    break
                self._deliver(record)
        self.pauses.resume_released()

    def _accept(self, message: Message) -> bool:
        error = message.error()
        if error is None:
            return True
        if error.code() == KafkaError._PARTITION_EOF:
            return False
        if error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART:
            # A topic created a moment ago can be missing from the broker's metadata for a
            # while. A tier that stays missing also makes parking fail, naming the tier.
            logger.warning("subscribed topic not available group=%s error=%s", self.group, error)
            return False
        if error.fatal() or not error.retriable():
            raise KafkaException(error)
        logger.warning("consumer error group=%s error=%s", self.group, error)
        return False

    def _deliver(self, record: InboundRecord) -> None:
        key = (record.topic, record.partition)
        tier_s = self._retry_tiers.get(record.topic)
        if tier_s is not None:
            due_ms = _due_ms(record)
            if due_ms is not None and due_ms > time.time() * 1000:
                # Records behind the head fall due a few milliseconds apart. Resuming a
                # little after the head is due lets one resume serve a batch of them.
                slack_s = min(TIER_SLACK_RATIO * tier_s, MAX_TIER_SLACK_S)
                self.pauses.hold(record, due_ms / 1000 + slack_s)
                self.stats.paused += 1
                return
        if self._process(record):
            self._in_place.pop(key, None)
            self.offsets.done(key, record.offset)

    def process(self, record: InboundRecord) -> None:
        """Decode, filter and handle one record, raising what the handler raised."""
        if self.decoder is not None:
            record.event = self._decode(self.decoder, record)
        if self.record_filter is not None and not self.record_filter(record):
            self.stats.skipped += 1
            return
        self.handler(record)
        self.stats.handled += 1

    @staticmethod
    def _decode(decoder: Decoder, record: InboundRecord) -> Any:
        try:
            return decoder(record)
        except KeybusError as exc:
            if exc.retryable:
                raise
            raise _undecodable(record, exc) from exc
        except Exception as exc:
            raise _undecodable(record, exc) from exc

    def _process(self, record: InboundRecord) -> bool:
        """Handle `record`; return True when its offset may be committed."""
        try:
            self.process(record)
        except Exception as error:  # noqa: BLE001 - a handler may raise anything; it is classified
            return self._on_failure(record, error)
        return True

    def _on_failure(self, record: InboundRecord, error: Exception) -> bool:
        in_place = self.policy.in_place
        if in_place is not None and self.failures.classifier.classify(error) is (
            FailureKind.RETRYABLE
        ):
            return self._retry_in_place(record, error, in_place)
        outcome = self.failures.route(record, error)
        self._send(record, outcome)
        if outcome.action is ParkAction.RETRY:
            self.stats.retried += 1
        else:
            self.stats.dead_lettered += 1
        return True

    def _send(self, record: InboundRecord, outcome: Outcome) -> None:
        """Produce the parked copy without waiting; the commit waits for its acknowledgement."""
        key = (record.topic, record.partition)
        self.offsets.in_flight(key, record.offset)

        def on_done(problem: str | None) -> None:
            if problem is None:
                self.offsets.acknowledged(key, record.offset)
                return
            self.offsets.failed(
                ParkingError(
                    f"Record {record.topic}[{record.partition}]@{record.offset} could not be "
                    f"written to {outcome.destination}: {problem}. Its offset was not "
                    f"committed; check that {outcome.destination} exists (`keybus topics "
                    "apply`) and the brokers are reachable, then restart the consumer.",
                    topic=record.topic,
                    destination=outcome.destination,
                )
            )

        while True:
            try:
                self.failures.send(record, outcome, on_done)
            except BufferError:
                # The producer queue is full, so serve delivery reports until there is room.
                self.failures.producer.poll(0.1)
            else:
                return

    def _retry_in_place(
        self, record: InboundRecord, error: Exception, budget: InPlaceRetry
    ) -> bool:
        key = (record.topic, record.partition)
        now_s = time.time()
        attempts = self._in_place.get(key)
        if attempts is None or attempts.offset != record.offset:
            attempts = self._in_place[key] = InPlaceAttempts(record.offset, now_s)
        attempts.attempts += 1

        backoff_s = budget.backoff_for(attempts.attempts)
        spent_s = now_s + backoff_s - attempts.started_s
        if attempts.attempts < budget.max_attempts and spent_s <= budget.budget_s:
            logger.warning(
                "retrying in place topic=%s partition=%s offset=%s attempts=%s backoff_s=%.3f",
                record.topic,
                record.partition,
                record.offset,
                attempts.attempts,
                backoff_s,
            )
            self.pauses.hold(record, now_s + backoff_s)
            self.stats.retried_in_place += 1
            return False

        del self._in_place[key]
        if budget.on_exhausted == "stop":
            raise ConsumerStoppedError(
                f"In-place retry budget of group {self.group!r} used up at {record.topic}"
                f"[{record.partition}]@{record.offset} after {attempts.attempts} attempts: "
                f"{clause(error)}. Fix the dependency and restart; the record is delivered again.",
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
            ) from error
        self.failures.park_dead_letter(
            record, error, DeadLetterReason.IN_PLACE_BUDGET, attempts=attempts.attempts
        )
        self.stats.dead_lettered += 1
        return True

    def _commit_if_due(self) -> None:
        if self.offsets and time.monotonic() - self._last_commit_s >= self.commit_interval_s:
            self._commit_pending()

    def _commit_pending(
        self, keys: list[PartitionKey] | None = None, *, wait: bool = False
    ) -> None:
        """Commit past handled records and acknowledged copies; `wait` flushes copies first."""
        if wait:
            self.failures.producer.flush(self.failures.ack_timeout_s)
        self.failures.producer.poll(0)
        offsets = self.offsets.commit_offsets(keys)
        for client in self._clients():
            own = [tp for tp in offsets if self._client_for(tp.topic) is client]
            if own:
                client.commit(offsets=own, asynchronous=False)
        self._last_commit_s = time.monotonic()

    def _on_assign(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        logger.info("partitions assigned group=%s count=%s", self.group, len(partitions))

    def _on_revoke(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        keys = [(tp.topic, tp.partition) for tp in partitions]
        try:
            self._commit_pending(keys, wait=True)
        except KafkaException as exc:
            logger.warning("commit on revoke failed group=%s error=%s", self.group, exc)
        self.pauses.forget(keys)
        self.offsets.forget(keys)
        for key in keys:
            self._in_place.pop(key, None)
        logger.info("partitions revoked group=%s count=%s", self.group, len(partitions))

    def close(self) -> None:
        """Commit what was handled or parked and leave the group."""
        try:
            self._commit_pending(wait=True)
        finally:
            for client in self._clients():
                client.close()
        logger.info("retrying consumer closed group=%s stats=%s", self.group, self.stats)


def _due_ms(record: InboundRecord) -> int | None:
    text = record.header_text(DUE_MS)
    try:
        return None if text is None else int(text)
    except ValueError:
        return None


def _undecodable(record: InboundRecord, error: Exception) -> UndecodableRecordError:
    return UndecodableRecordError(
        f"Record {record.topic}[{record.partition}]@{record.offset} cannot be decoded: "
        f"{type(error).__name__}: {clause(error)}. It was parked in the dead letters; check which "
        "producer wrote it and with which schema.",
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
    )
