"""Replay dead letters to their original topic or first retry tier, once per parking.

The replay ledger is the compacted topic `<dead-letter topic>.replayed`. Its key is the
event id (`ce_id`, else the first-failure `topic:partition:offset`) and its value a JSON
object whose `replay_count` is the replay generation that was delivered. A dead letter
whose own `keybus-replay-count` is below the ledger's value was replayed already and is
skipped, so running a replay twice delivers nothing new. An event that failed again after
a replay is parked with the higher count and can be replayed once more.

Dead letters are never deleted: the topic keeps them until retention removes them, and
the ledger entry is written only after the broker acknowledged the replayed copy.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from confluent_kafka import KafkaError, Message

from keybus.kafka import AdminClient, Producer
from keybus.retry.deadletters import DeadLetter, read_topic
from keybus.retry.errors import ParkingError, RetryConfigError
from keybus.retry.headers import FailureState, write_headers
from keybus.retry.naming import format_delay, replay_ledger_topic_name, split_retry_topic
from keybus.retry.router import producer_settings

__all__ = ["ReplayDestination", "ReplayPlan", "ReplayReport", "plan_replay", "replay"]

logger = logging.getLogger(__name__)

_BATCH = 200
_ACK_TIMEOUT_S = 30.0


class ReplayDestination(StrEnum):
    """The destination of replayed dead letters."""

    ORIGINAL = "original"
    RETRY = "retry"


@dataclass(frozen=True)
class ReplayPlan:
    """One dead letter to replay: the copy's topic, partition and headers."""

    letter: DeadLetter
    topic: str
    partition: int | None
    state: FailureState


@dataclass
class ReplayReport:
    """The counts of a replay, or of what a dry run would replay."""

    selected: int = 0
    already_replayed: int = 0
    replayed: int = 0
    dry_run: bool = False
    missing_ledger_topic: str | None = None
    """The replay ledger topic, when a dry run found it missing and read it as empty."""


def read_ledger(bootstrap_servers: str, dead_letter_topic: str) -> dict[str, int]:
    """Return event id -> latest replayed generation from the replay ledger."""
    ledger: dict[str, int] = {}
    for record in read_topic(bootstrap_servers, replay_ledger_topic_name(dead_letter_topic)):
        if record.key is None or record.value is None:
            continue
        try:
            generation = int(json.loads(record.value)["replay_count"])
        except (ValueError, KeyError, TypeError):
            logger.warning("unreadable replay ledger entry offset=%s", record.offset)
            continue
        ledger[record.key.decode()] = max(ledger.get(record.key.decode(), 0), generation)
    return ledger


def _first_tier(admin: AdminClient, state: FailureState) -> str:
    topics = admin.list_topics(timeout=30).topics
    tiers = {
        delay: name
        for name in topics
        if (delay := split_retry_topic(name, state.original_topic, state.group)) is not None
    }
    if not tiers:
        raise RetryConfigError(
            f"No retry tier of group {state.group!r} for topic {state.original_topic!r} exists "
            f"(expected {state.original_topic}.{state.group}.retry.<delay>). Replay to the "
            "original topic instead, or create the tiers with `keybus topics apply`."
        )
    return tiers[min(tiers)]


def plan_replay(
    letters: Sequence[DeadLetter],
    ledger: dict[str, int],
    destination: ReplayDestination,
    *,
    admin: AdminClient,
    now_ms: int,
) -> tuple[list[ReplayPlan], int]:
    """Return the copies to produce and how many letters the ledger marks as replayed."""
    plans: list[ReplayPlan] = []
    seen = dict(ledger)
    skipped = 0
    partitions = {
        name: len(meta.partitions) for name, meta in admin.list_topics(timeout=30).topics.items()
    }
    for letter in letters:
        state = letter.state
        if seen.get(letter.event_id, 0) > state.replay_count:
            skipped += 1
            continue
        seen[letter.event_id] = state.replay_count + 1
        # The copy keeps the first-failure provenance and gets a fresh attempt budget.
        # The error headers go, because they describe a failure this copy has not had.
        fresh = state.evolve(
            attempts=0,
            error_type=None,
            error_message=None,
            error_stacktrace=None,
            dead_letter_reason=None,
            retry_tier=None,
            due_ms=None,
            replay_count=state.replay_count + 1,
            replayed_ms=now_ms,
        )
        if destination is ReplayDestination.ORIGINAL:
            topic = state.original_topic
            count = partitions.get(topic, 0)
            partition = state.original_partition if state.original_partition < count else None
        else:
            topic = _first_tier(admin, state)
            partition = None
            delay_s = split_retry_topic(topic, state.original_topic, state.group) or 0.0
            fresh = fresh.evolve(due_ms=now_ms, retry_tier=format_delay(delay_s))
        if topic not in partitions:
            raise RetryConfigError(
                f"Replay destination {topic!r} of event {letter.event_id} does not exist. "
                "Create it, or pick the other destination."
            )
        plans.append(ReplayPlan(letter, topic, partition, fresh))
    return plans, skipped


def replay(
    bootstrap_servers: str,
    dead_letter_topic: str,
    letters: Sequence[DeadLetter],
    destination: ReplayDestination,
    *,
    dry_run: bool = False,
    on_planned: Callable[[int], object] = lambda _count: None,
    on_progress: Callable[[int], object] = lambda _count: None,
    clock: Callable[[], float] = time.time,
) -> ReplayReport:
    """Replay `letters` from `dead_letter_topic` once each; see the module docstring.

    `on_planned` receives the number of copies to produce, `on_progress` each batch size.

    Raises:
        RetryConfigError: the ledger or a destination topic does not exist.
        ParkingError: a copy or a ledger entry was not acknowledged; what was
            acknowledged before stays replayed and recorded.
    """
    admin = AdminClient({"bootstrap.servers": bootstrap_servers})
    ledger_topic = replay_ledger_topic_name(dead_letter_topic)
    # A dry run sends nothing, so it can plan without the ledger. A real replay cannot.
    ledger_missing = dry_run and ledger_topic not in admin.list_topics(timeout=30.0).topics
    ledger = {} if ledger_missing else read_ledger(bootstrap_servers, dead_letter_topic)
    plans, skipped = plan_replay(
        letters, ledger, destination, admin=admin, now_ms=int(clock() * 1000)
    )
    report = ReplayReport(selected=len(letters), already_replayed=skipped, dry_run=dry_run)
    report.missing_ledger_topic = ledger_topic if ledger_missing else None
    on_planned(len(plans))
    if dry_run:
        report.replayed = len(plans)
        return report
    producer = Producer(producer_settings(bootstrap_servers))
    for start in range(0, len(plans), _BATCH):
        batch = plans[start : start + _BATCH]
        acknowledged = _produce_copies(producer, batch)
        _record_in_ledger(producer, ledger_topic, acknowledged)
        report.replayed += len(acknowledged)
        on_progress(len(batch))
        if len(acknowledged) < len(batch):
            raise ParkingError(
                f"{len(batch) - len(acknowledged)} replayed copies from {dead_letter_topic} "
                f"were not acknowledged; {report.replayed} were replayed and recorded. The "
                "dead letters are unchanged; run the replay again once the brokers are "
                "reachable, and it continues where it stopped.",
                topic=dead_letter_topic,
                destination=batch[0].topic,
            )
    logger.info(
        "dead letters replayed topic=%s destination=%s replayed=%s already_replayed=%s",
        dead_letter_topic,
        destination.value,
        report.replayed,
        skipped,
    )
    return report


def _produce_copies(producer: Producer, plans: Sequence[ReplayPlan]) -> list[ReplayPlan]:
    acknowledged: list[ReplayPlan] = []
    failures: list[KafkaError] = []
    for plan in plans:

        def on_delivery(
            error: KafkaError | None, _message: Message, plan: ReplayPlan = plan
        ) -> None:
            if error is None:
                acknowledged.append(plan)
            else:
                failures.append(error)

        record = plan.letter.record
        headers: list[tuple[str, str | bytes | None]] = list(
            write_headers(record.headers, plan.state)
        )
        producer.produce(
            plan.topic,
            key=record.key,
            value=record.value,
            headers=headers,
            partition=-1 if plan.partition is None else plan.partition,
            on_delivery=on_delivery,
        )
    producer.flush(_ACK_TIMEOUT_S)
    for error in failures[:3]:
        logger.error("replayed copy not acknowledged error=%s", error)
    return acknowledged


def _record_in_ledger(producer: Producer, ledger_topic: str, plans: Sequence[ReplayPlan]) -> None:
    failures: list[KafkaError] = []
    for plan in plans:
        entry = {
            "replay_count": plan.state.replay_count,
            "replayed_ms": plan.state.replayed_ms,
            "destination": plan.topic,
            "dead_letter_partition": plan.letter.record.partition,
            "dead_letter_offset": plan.letter.record.offset,
        }
        producer.produce(
            ledger_topic,
            key=plan.letter.event_id.encode(),
            value=json.dumps(entry).encode(),
            on_delivery=lambda error, _message: failures.append(error) if error else None,
        )
    remaining = producer.flush(_ACK_TIMEOUT_S)
    if failures or remaining:
        raise ParkingError(
            f"Replay ledger {ledger_topic} did not acknowledge {len(failures) or remaining} "
            "entries; the copies were delivered, so a second replay may deliver them again. "
            "Check the ledger topic exists (`keybus topics apply`).",
            topic=ledger_topic,
            destination=ledger_topic,
        )
