"""Route a failed record to its next retry tier or to the dead letters, acknowledged."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from confluent_kafka import KafkaError, Message

from keybus.errors import clause
from keybus.kafka import Producer
from keybus.retry.classify import ErrorClassifier, FailureKind
from keybus.retry.errors import ConsumerStoppedError, ParkingError
from keybus.retry.headers import FailureState, write_headers
from keybus.retry.naming import dead_letter_topic_name, format_delay, retry_topic_name
from keybus.retry.policy import DeadLetterReason, RetryPolicy
from keybus.retry.record import InboundRecord
from keybus.types import TopicName

__all__ = ["DeadLetterHandler", "FailureHandler", "Outcome", "ParkAction", "producer_settings"]

logger = logging.getLogger(__name__)

DeadLetterHandler = Callable[[InboundRecord, "Outcome"], object]


def producer_settings(bootstrap_servers: str) -> dict[str, str | int]:
    """Return the producer settings for parking: idempotent, acks from all in-sync replicas.

    `linger.ms` is 50 because parked copies are acknowledged in the background and only
    hold back the next commit. Fewer, larger produce requests leave the broker more room
    for the healthy records. `handle` flushes, which sends at once regardless.
    """
    return {
        "bootstrap.servers": bootstrap_servers,
        "enable.idempotence": "true",
        "acks": "all",
        "linger.ms": 50,
    }


class ParkAction(StrEnum):
    """The kind of topic a failed record was parked in."""

    RETRY = "retry"
    DEAD_LETTER = "dead-letter"


@dataclass(frozen=True)
class Outcome:
    """The result of routing one failed record; the caller may commit its offset."""

    action: ParkAction
    destination: TopicName
    state: FailureState


class FailureHandler:
    """Produce a failed record to the right retry tier or dead-letter topic of one group.

    `handle` returns only after the broker acknowledged the parked copy, so the caller
    commits the failed record's offset afterwards and a crash in between yields a
    duplicate, never a loss. `route` and `send` split the same work for callers that
    track acknowledgements themselves and commit only past acknowledged copies. Retry
    tiers and the dead-letter topic are named after the topic where the event was first
    consumed, so a record keeps its topics on every hop.

    Args:
        producer: an idempotent `acks=all` producer (see `producer_settings`).
        group: the consumer group the retries and dead letters belong to.
        policy: tiers, attempt and age limits.
        classifier: which errors are retried, parked at once or stop the consumer.
        dead_letter_topic: a fixed dead-letter topic; by default `<topic>.<group>.dlq`.
        dead_letter_handler: called once after a record is parked; whatever it raises is
            logged and dropped, so a failing handler never parks the record again.
        ack_timeout_s: how long to wait for the broker's acknowledgement.
        log_interval_s: retries are logged as one WARNING with a count per interval;
            every dead letter is logged at WARNING.
    """

    def __init__(
        self,
        producer: Producer,
        *,
        group: str,
        policy: RetryPolicy | None = None,
        classifier: ErrorClassifier | None = None,
        dead_letter_topic: str | None = None,
        dead_letter_handler: DeadLetterHandler | None = None,
        ack_timeout_s: float = 30.0,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        log_interval_s: float = 10.0,
    ) -> None:
        self.producer = producer
        self.group = group
        self.policy = policy or RetryPolicy()
        self.classifier = classifier or ErrorClassifier()
        self.fixed_dead_letter_topic = dead_letter_topic
        self.dead_letter_handler = dead_letter_handler
        self.ack_timeout_s = ack_timeout_s
        self.clock = clock
        self.rng = rng or random.Random()
        self.log_interval_s = log_interval_s
        self._retries_since_log = 0
        self._last_retry_log_s = -log_interval_s

    def retry_topics(self, topic: str) -> list[TopicName]:
        """Return the retry tier topics of this group for source `topic`, shortest first."""
        return [retry_topic_name(topic, self.group, delay) for delay in self.policy.tiers_s]

    def dead_letter_topic(self, topic: str) -> TopicName:
        """Return the dead-letter topic of this group for source `topic`."""
        if self.fixed_dead_letter_topic:
            return TopicName(self.fixed_dead_letter_topic)
        return dead_letter_topic_name(topic, self.group)

    def handle(self, record: InboundRecord, error: BaseException) -> Outcome:
        """Park `record` after `error` and return where it went, once the broker acknowledged.

        Raises:
            ConsumerStoppedError: `error` is classified as fatal; nothing was produced and
                the record's offset must not be committed.
            ParkingError: the broker did not acknowledge the parked copy in time.
        """
        outcome = self.route(record, error)
        self._produce(record, outcome)
        self._parked(record, outcome)
        return outcome

    def route(self, record: InboundRecord, error: BaseException) -> Outcome:
        """Return where `record` goes after `error`, producing nothing.

        Raises:
            ConsumerStoppedError: `error` is classified as fatal.
        """
        kind = self.classifier.classify(error)
        if kind is FailureKind.STOP:
            raise ConsumerStoppedError(
                f"Consumer of group {self.group!r} stopped at {record.topic}[{record.partition}]"
                f"@{record.offset}: {type(error).__name__} is classified as fatal ({error}). "
                "Fix the consumer and restart it; the record will be delivered again.",
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
            ) from error
        now_ms = int(self.clock() * 1000)
        state = FailureState.of(record, self.group).failed(error, now_ms)
        return self.decide(state, kind, now_ms)

    def send(
        self, record: InboundRecord, outcome: Outcome, on_done: Callable[[str | None], object]
    ) -> None:
        """Produce the parked copy without waiting; `on_done` gets None once acknowledged.

        `on_done` runs inside a later `producer.poll()` or `flush()` with None, or with
        the error text when the copy was not written. Until then the caller must not
        commit the record's offset.
        """

        def on_delivery(error: KafkaError | None, _message: Message) -> None:
            if error is None:
                self._parked(record, outcome)
            on_done(None if error is None else str(error))

        self.producer.produce(
            outcome.destination,
            key=record.key,
            value=record.value,
            headers=self._headers(record, outcome),
            on_delivery=on_delivery,
        )

    def _parked(self, record: InboundRecord, outcome: Outcome) -> None:
        self._log(record, outcome)
        if outcome.action is ParkAction.DEAD_LETTER:
            self._notify_dead_letter(record, outcome)

    @staticmethod
    def _headers(record: InboundRecord, outcome: Outcome) -> list[tuple[str, str | bytes | None]]:
        return list(write_headers(record.headers, outcome.state))

    def decide(self, state: FailureState, kind: FailureKind, now_ms: int) -> Outcome:
        """Return the next tier or the dead letters for a record whose state is `state`."""
        if kind is FailureKind.NOT_RETRYABLE:
            return self._dead_letter(state, DeadLetterReason.NOT_RETRYABLE)
        if state.attempts >= self.policy.max_attempts:
            return self._dead_letter(state, DeadLetterReason.MAX_ATTEMPTS)
        base_delay_s = self.policy.base_delay_s(state.attempts)
        delay_ms = int(self.policy.jittered(base_delay_s, self.rng) * 1000)
        origin_ms = state.age_origin_ms or now_ms
        if now_ms + delay_ms > origin_ms + self.policy.max_event_age_s * 1000:
            return self._dead_letter(state, DeadLetterReason.MAX_EVENT_AGE)
        tier_s = self.policy.tier_for(base_delay_s)
        retried = state.evolve(retry_tier=format_delay(tier_s), due_ms=now_ms + delay_ms)
        topic = retry_topic_name(state.original_topic, self.group, tier_s)
        return Outcome(ParkAction.RETRY, topic, retried)

    def park_dead_letter(
        self,
        record: InboundRecord,
        error: BaseException,
        reason: DeadLetterReason,
        *,
        attempts: int = 1,
    ) -> Outcome:
        """Park `record` for `reason` after `attempts` failed deliveries, whatever the error."""
        now_ms = int(self.clock() * 1000)
        state = FailureState.of(record, self.group).failed(error, now_ms)
        state = state.evolve(attempts=state.attempts - 1 + attempts)
        outcome = self._dead_letter(state, reason)
        self._produce(record, outcome)
        self._parked(record, outcome)
        return outcome

    def _dead_letter(self, state: FailureState, reason: DeadLetterReason) -> Outcome:
        parked = state.evolve(dead_letter_reason=reason.value)
        return Outcome(ParkAction.DEAD_LETTER, self.dead_letter_topic(state.original_topic), parked)

    def _produce(self, record: InboundRecord, outcome: Outcome) -> None:
        failures: list[KafkaError] = []
        acknowledged: list[Message] = []

        def on_delivery(error: KafkaError | None, message: Message) -> None:
            if error is not None:
                failures.append(error)
            else:
                acknowledged.append(message)

        self.producer.produce(
            outcome.destination,
            key=record.key,
            value=record.value,
            headers=self._headers(record, outcome),
            on_delivery=on_delivery,
        )
        self.producer.flush(self.ack_timeout_s)
        if failures or not acknowledged:
            reason = (
                str(failures[0]) if failures else f"no acknowledgement in {self.ack_timeout_s} s"
            )
            raise ParkingError(
                f"Record {record.topic}[{record.partition}]@{record.offset} could not be "
                f"written to {outcome.destination}: {clause(reason)}. Its offset was not "
                f"committed; check that topic {outcome.destination} exists (`keybus topics "
                "apply`) and that the brokers are reachable, then restart the consumer.",
                topic=record.topic,
                destination=outcome.destination,
            )

    def _log(self, record: InboundRecord, outcome: Outcome) -> None:
        """Log each dead letter at WARNING, and retries as one WARNING per interval with a count."""
        state = outcome.state
        dead_letter = outcome.action is ParkAction.DEAD_LETTER
        logger.log(
            logging.WARNING if dead_letter else logging.DEBUG,
            "failed record parked action=%s destination=%s topic=%s partition=%s offset=%s "
            "attempts=%s error_type=%s reason=%s",
            outcome.action.value,
            outcome.destination,
            record.topic,
            record.partition,
            record.offset,
            state.attempts,
            state.error_type,
            state.dead_letter_reason,
        )
        if dead_letter:
            return
        self._retries_since_log += 1
        now_s = time.monotonic()
        if now_s - self._last_retry_log_s >= self.log_interval_s:
            logger.warning(
                "failed records sent to retry tiers count=%s group=%s latest_destination=%s "
                "latest_error_type=%s",
                self._retries_since_log,
                self.group,
                outcome.destination,
                state.error_type,
            )
            self._retries_since_log = 0
            self._last_retry_log_s = now_s

    def _notify_dead_letter(self, record: InboundRecord, outcome: Outcome) -> None:
        if self.dead_letter_handler is None:
            return
        try:
            self.dead_letter_handler(record, outcome)
        except Exception:
            # The record is parked and acknowledged; re-parking it on a handler failure
            # would loop, so the failure is logged once and the offset is committed.
            logger.exception(
                "dead-letter handler failed; record stays parked once destination=%s "
                "topic=%s partition=%s offset=%s",
                outcome.destination,
                record.topic,
                record.partition,
                record.offset,
            )
