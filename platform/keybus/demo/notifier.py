"""A downstream service of the demo: it notifies recipients that a courier opened their door.

It reads the router's `notifications.recipients` topic with a `RetryingConsumer`, so it
shows the platform's retry tiers and dead letters on a service that fails the way real
ones do. Its push gateway is simulated and fails by a fixed plan, derived from each
record's id, so every run fails the same records. Some time out once or twice and then
succeed from a retry tier. A few always time out and reach the dead letters after the
last attempt. A notification for a lock without a recipient on file is rejected at once
and parked without retrying.
"""

from __future__ import annotations

import logging
import threading
import time
import zlib
from collections.abc import Collection
from dataclasses import dataclass, field

from keybus.retry import (
    ErrorClassifier,
    FailureState,
    InboundRecord,
    Outcome,
    RetryingConsumer,
    RetryPolicy,
    dead_letter_topic_name,
)

__all__ = [
    "NOTIFICATIONS_TOPIC",
    "NOTIFIER_GROUP",
    "NOTIFIER_POLICY",
    "GatewayTimeoutError",
    "NoRecipientError",
    "NotifierTally",
    "PushGateway",
    "RecipientNotifier",
]

logger = logging.getLogger(__name__)

NOTIFICATIONS_TOPIC = "notifications.recipients"
NOTIFIER_GROUP = "recipient-notifier"
NOTIFIER_POLICY = RetryPolicy(tiers_s=(1.0, 3.0), max_attempts=4, jitter_ratio=0.0)
"""Two short tiers, so that the demo's retries finish within seconds; four deliveries at most."""


class GatewayTimeoutError(TimeoutError):
    """The push gateway timed out; the notification may be retried."""


class NoRecipientError(LookupError):
    """No recipient is on file for the lock; retrying cannot help."""


@dataclass(frozen=True)
class PushGateway:
    """The simulated push service: which calls fail depends only on the record id.

    Of every 40 record ids, four time out on the first attempt, two on the first two
    attempts, and one on every attempt.
    """

    recipients: frozenset[str]
    """Locks whose owner is on file; a notification for any other lock is rejected."""

    def send(self, lock_id: str, record_id: str, attempt: int) -> None:
        """Deliver one notification, or raise the gateway's error for this attempt."""
        if lock_id not in self.recipients:
            raise NoRecipientError(
                f"No recipient is on file for lock {lock_id!r}; enter the lock in the "
                "lock directory, then replay the dead letter."
            )
        if attempt <= self.failing_attempts(record_id):
            raise GatewayTimeoutError(
                f"The push gateway timed out for record {record_id} (attempt {attempt})."
            )

    @staticmethod
    def failing_attempts(record_id: str) -> int:
        """Return how many first attempts time out for `record_id` (a large number: all)."""
        bucket = zlib.crc32(record_id.encode()) % 40
        if bucket < 4:
            return 1
        if bucket < 6:
            return 2
        if bucket == 6:
            return 1_000_000
        return 0


@dataclass
class NotifierTally:
    """Final state of each notification, by record id (its `ce_id` header)."""

    delivered: dict[str, int] = field(default_factory=dict)
    """record id -> the attempt that succeeded (1 for a first-time success)."""
    dead_letters: dict[str, str] = field(default_factory=dict)
    """record id -> dead-letter reason and the error type, as `reason (ErrorType)`."""

    def retried(self) -> dict[str, int]:
        """Return the notifications that were delivered after one or more retries."""
        return {record_id: n for record_id, n in self.delivered.items() if n > 1}

    def settled(self) -> set[str]:
        """Return the record ids that were delivered or parked in the dead letters."""
        return set(self.delivered) | set(self.dead_letters)


class RecipientNotifier:
    """Runs the notification service on a thread until `stop` is called.

    Args:
        bootstrap_servers: the Kafka holding the router's targets and the retry tiers.
        recipients: lock ids whose owner is on file.
        topic: the topic of notifications to send.
        group: the consumer group; it also names the retry tiers and the dead letters.
    """

    def __init__(
        self,
        bootstrap_servers: str,
        recipients: Collection[str],
        *,
        topic: str = NOTIFICATIONS_TOPIC,
        group: str = NOTIFIER_GROUP,
    ) -> None:
        self.topic = topic
        self.group = group
        self.gateway = PushGateway(frozenset(recipients))
        self.tally = NotifierTally()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.consumer = RetryingConsumer(
            bootstrap_servers=bootstrap_servers,
            group=group,
            topics=[topic],
            handler=self._notify,
            policy=NOTIFIER_POLICY,
            classifier=ErrorClassifier(
                retryable=[GatewayTimeoutError], not_retryable=[NoRecipientError]
            ),
            dead_letter_handler=self._parked,
            commit_interval_s=0.5,
        )
        self.error: Exception | None = None
        """What stopped the service's thread, if it stopped by itself."""
        self._thread = threading.Thread(target=self._run, name="recipient-notifier", daemon=True)

    @property
    def dead_letter_topic(self) -> str:
        """The topic where the notifications that could not be delivered are parked."""
        return dead_letter_topic_name(self.topic, self.group)

    def start(self) -> None:
        """Subscribe and start handling notifications."""
        self.consumer.subscribe()
        self._thread.start()

    def stop(self) -> None:
        """Finish the record in hand, commit, and close the consumer."""
        self._stop.set()
        self._thread.join(timeout=30)

    def snapshot(self) -> NotifierTally:
        """Return a copy of the tally, safe to read while the service runs."""
        with self._lock:
            return NotifierTally(dict(self.tally.delivered), dict(self.tally.dead_letters))

    def wait_settled(self, record_ids: Collection[str], timeout_s: float) -> NotifierTally:
        """Wait until each of `record_ids` was delivered or parked, or `timeout_s` ran out.

        Returns the tally at that moment; the caller compares it with `record_ids`.
        """
        deadline = time.monotonic() + timeout_s
        wanted = set(record_ids)
        while not wanted <= self.snapshot().settled() and time.monotonic() < deadline:
            if not self._thread.is_alive():
                break
            time.sleep(0.1)
        return self.snapshot()

    def _run(self) -> None:
        try:
            self.consumer.run(should_stop=self._stop.is_set, poll_timeout_s=0.2)
        except Exception as exc:  # reported by the demo, which then fails
            logger.exception("recipient notifier stopped")
            self.error = exc

    def _notify(self, record: InboundRecord) -> None:
        record_id = record.header_text("ce_id") or f"{record.topic}@{record.offset}"
        lock_id = (record.key or b"").decode("utf-8", "replace")
        attempt = FailureState.of(record, self.group).attempts + 1
        self.gateway.send(lock_id, record_id, attempt)
        with self._lock:
            self.tally.delivered[record_id] = attempt

    def _parked(self, record: InboundRecord, outcome: Outcome) -> None:
        record_id = record.header_text("ce_id") or f"{record.topic}@{record.offset}"
        state = outcome.state
        with self._lock:
            error = (state.error_type or "unknown error").rsplit(".", 1)[-1]
            self.tally.dead_letters[record_id] = f"{state.dead_letter_reason} ({error})"
