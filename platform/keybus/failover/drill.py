"""The failover drill: produce, consume, kill the primary, resume in the standby, fail back."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from confluent_kafka import KafkaError, Message, TopicPartition
from confluent_kafka.admin import NewTopic

from keybus.failover.checkpoints import translate_offsets
from keybus.failover.consumer import FailoverConsumer
from keybus.failover.producer import FailoverProducer
from keybus.failover.regions import RegionEndpoint, RegionSelector
from keybus.failover.report import DrillReport
from keybus.kafka import AdminClient, Consumer

__all__ = ["DRILL_MIRROR_SETTINGS", "DrillPlan", "DrillRegions", "run_failover_drill"]

logger = logging.getLogger(__name__)

DRILL_MIRROR_SETTINGS: Mapping[str, str] = {
    "emit.checkpoints.interval.seconds": "1",
    "sync.group.offsets.interval.seconds": "1",
    "refresh.topics.interval.seconds": "2",
    "refresh.groups.interval.seconds": "2",
    "sync.topic.configs.interval.seconds": "5",
    "emit.heartbeats.interval.seconds": "1",
    "offset.lag.max": "10",
}
"""MirrorMaker overrides for drills and tests: one-second checkpoints, topics found within
two seconds, and an offset sync at least every 10 records so translations stay close."""


@dataclass(frozen=True)
class DrillRegions:
    """The two regions of a drill and how to stop and restart the primary's broker."""

    primary: RegionEndpoint
    standby: RegionEndpoint
    kill_primary: Callable[[], None]
    restart_primary: Callable[[], None] | None = None


@dataclass(frozen=True)
class DrillPlan:
    """How many events to send, how fast, and when to kill the primary.

    The consumer can go faster than the producer, so it keeps up with the head of the
    topic the way a healthy service does. The primary dies once the consumer has
    handled `kill_after_consumed` events (half of `events` by default). The producer
    sends that many, then keeps the rest back until the primary is dead, so the
    producer's failover is exercised whatever the count and rates.
    """

    events: int = 5000
    partitions: int = 3
    produce_rate_per_s: float = 400.0
    consume_rate_per_s: float = 600.0
    kill_after_consumed: int | None = None
    failure_threshold: int = 2
    health_timeout_s: float = 1.0
    health_interval_s: float = 0.5
    settle_timeout_s: float = 60.0
    failback_events: int = 500
    mirror_wait_s: float = 90.0


@dataclass
class _Ledger:
    """What the drill observed, by event index; written by the producer and consumer loops."""

    acks: dict[int, tuple[str, int, int, float]] = field(default_factory=dict)
    seen: list[tuple[int, str, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def on_ack(
        self, index: int, producer: FailoverProducer
    ) -> Callable[[KafkaError | None, Message], None]:
        def record(error: KafkaError | None, message: Message) -> None:
            # Callbacks run before a pending switch is applied, so the bound region is
            # the one that acked this record.
            region = producer.region.name
            if error is None:
                partition = message.partition() or 0
                offset = message.offset() or 0
                with self.lock:
                    self.acks[index] = (region, partition, offset, time.monotonic())

        return record

    def acked(self) -> dict[int, tuple[str, int, int, float]]:
        with self.lock:
            return dict(self.acks)

    def seen_indexes(self) -> set[int]:
        return {index for index, _region, _at in self.seen}


def run_failover_drill(regions: DrillRegions, plan: DrillPlan | None = None) -> DrillReport:
    """Run the whole drill on two mirrored regions and return what it measured."""
    plan = plan or DrillPlan()
    topic = f"drill-{uuid.uuid4().hex[:8]}"
    group = f"drill-{uuid.uuid4().hex[:8]}"
    _create_and_wait_mirrored(regions, topic, plan)
    ledger = _Ledger()
    report = DrillReport(topic=topic, group=group, events_produced=plan.events)
    producer = FailoverProducer(_selector(regions, plan), health_interval_s=plan.health_interval_s)
    consumer = FailoverConsumer(
        _selector(regions, plan),
        group,
        [topic],
        # The broker's smallest session timeout by default (group.min.session.timeout.ms),
        # so a member lost with the primary does not hold up the rejoin at failback long.
        config={"session.timeout.ms": 6000},
        health_interval_s=plan.health_interval_s,
    )
    killed = threading.Event()
    sender = threading.Thread(
        target=_produce_through_loss,
        args=(producer, topic, plan, ledger, killed),
        daemon=True,
    )
    sender.start()
    _consume_through_loss(consumer, regions, plan, ledger, report, killed=killed)
    report.start_sources = {
        f"{tp.topic}-{tp.partition}": start.source
        for tp, start in consumer.last_start_positions.items()
    }
    sender.join(plan.settle_timeout_s)
    _consume_until_settled(consumer, ledger, set(report.unreplicated_at_loss), plan)
    report.producer_resent = producer.resent_total
    report.summarise_failover(ledger.acked(), ledger.seen, regions.primary.name)
    if regions.restart_primary is not None:
        _fail_back(
            regions,
            plan,
            producer=producer,
            consumer=consumer,
            ledger=ledger,
            report=report,
            topic=topic,
        )
    consumer.close()
    return report


def _selector(regions: DrillRegions, plan: DrillPlan) -> RegionSelector:
    return RegionSelector(
        [regions.primary, regions.standby],
        failure_threshold=plan.failure_threshold,
        health_timeout_s=plan.health_timeout_s,
    )


def _create_and_wait_mirrored(regions: DrillRegions, topic: str, plan: DrillPlan) -> None:
    admin = AdminClient({"bootstrap.servers": regions.primary.bootstrap_servers})
    admin.create_topics([NewTopic(topic, plan.partitions, 1)])[topic].result()
    standby = AdminClient({"bootstrap.servers": regions.standby.bootstrap_servers})
    deadline = time.monotonic() + plan.mirror_wait_s
    while time.monotonic() < deadline:
        if topic in standby.list_topics(timeout=5).topics:
            return
        time.sleep(0.5)
    raise TimeoutError(
        f"MirrorMaker did not create topic '{topic}' in region '{regions.standby.name}' "
        f"within {plan.mirror_wait_s:g} s. Check that MirrorMaker runs and lower "
        "refresh.topics.interval.seconds."
    )


def _kill_after(plan: DrillPlan) -> int:
    return min(plan.kill_after_consumed or plan.events // 2, plan.events - 1)


def _produce_through_loss(
    producer: FailoverProducer,
    topic: str,
    plan: DrillPlan,
    ledger: _Ledger,
    killed: threading.Event,
) -> None:
    """Send the events before the kill, wait for it, then send the rest."""
    before = _kill_after(plan)
    _produce(producer, topic, range(before), plan, ledger)
    if not killed.wait(plan.mirror_wait_s + plan.settle_timeout_s):
        logger.warning("drill primary was not killed; sending the rest to it")
    _produce(producer, topic, range(before, plan.events), plan, ledger)


def _produce(
    producer: FailoverProducer, topic: str, indexes: range, plan: DrillPlan, ledger: _Ledger
) -> None:
    started = time.monotonic()
    for count, index in enumerate(indexes):
        callback = ledger.on_ack(index, producer)
        producer.produce(
            topic, str(index).encode(), key=f"aggregate-{index % 50}", on_delivery=callback
        )
        producer.poll(0)
        ahead_s = started + (count + 1) / plan.produce_rate_per_s - time.monotonic()
        if ahead_s > 0:
            time.sleep(ahead_s)
    remaining = producer.flush(plan.settle_timeout_s)
    if remaining:
        logger.warning("drill producer gave up records=%s", remaining)


def _consume_batch(consumer: FailoverConsumer, ledger: _Ledger, plan: DrillPlan) -> int:
    started = time.monotonic()
    batch = consumer.consume(50, 0.2)
    region = consumer.region.name
    now = time.monotonic()
    for record in batch:
        ledger.seen.append((int(record.value() or b"-1"), region, now))
    if batch:
        consumer.commit()
    ahead_s = started + len(batch) / plan.consume_rate_per_s - time.monotonic()
    if ahead_s > 0:
        time.sleep(ahead_s)
    return len(batch)


def _consume_through_loss(
    consumer: FailoverConsumer,
    regions: DrillRegions,
    plan: DrillPlan,
    ledger: _Ledger,
    report: DrillReport,
    *,
    killed: threading.Event,
) -> None:
    kill_after = _kill_after(plan)
    # MirrorMaker checkpoints a group only after a group refresh has found it, so the
    # primary dies once the group has checkpoints, as a long-running service's would.
    next_check = 0.0
    checkpointed = False
    while len(ledger.seen) < kill_after or not checkpointed:
        _consume_batch(consumer, ledger, plan)
        if not checkpointed and time.monotonic() >= next_check:
            next_check = time.monotonic() + 1.0
            checkpointed = _has_checkpoints(consumer, regions, plan)
    standby_ends = _end_offsets(regions.standby.bootstrap_servers, _topic_of(consumer), plan)
    regions.kill_primary()
    killed.set()
    report.loss_at = time.monotonic()
    report.record_loss(ledger.acked(), standby_ends, regions.primary.name)
    report.consumed_at_loss = len(ledger.seen)
    deadline = time.monotonic() + plan.settle_timeout_s
    while consumer.region == regions.primary and time.monotonic() < deadline:
        _consume_batch(consumer, ledger, plan)
    report.switched_at = time.monotonic()


def _consume_until_settled(
    consumer: FailoverConsumer, ledger: _Ledger, may_miss: set[int], plan: DrillPlan
) -> None:
    """Consume until every acked event not lost with the primary was seen, plus a quiet second."""
    deadline = time.monotonic() + plan.settle_timeout_s
    while time.monotonic() < deadline:
        _consume_batch(consumer, ledger, plan)
        missing = set(ledger.acked()) - ledger.seen_indexes() - may_miss
        if not missing:
            break
    quiet_until = time.monotonic() + 1.0
    while time.monotonic() < quiet_until:
        _consume_batch(consumer, ledger, plan)


def _fail_back(
    regions: DrillRegions,
    plan: DrillPlan,
    *,
    producer: FailoverProducer,
    consumer: FailoverConsumer,
    ledger: _Ledger,
    report: DrillReport,
    topic: str,
) -> None:
    assert regions.restart_primary is not None
    regions.restart_primary()
    report.primary_back_at = time.monotonic()
    _consume_until_settled(consumer, ledger, set(), plan)
    producer.failback()
    consumer.failback()
    report.failback_at = time.monotonic()
    start = plan.events
    _produce(producer, topic, range(start, start + plan.failback_events), plan, ledger)
    _consume_until_settled(consumer, ledger, set(), plan)
    report.summarise_failback(ledger.acked(), ledger.seen, regions.primary.name, start)


def _has_checkpoints(consumer: FailoverConsumer, regions: DrillRegions, plan: DrillPlan) -> bool:
    translated = translate_offsets(
        consumer.group_id, regions.primary.name, regions.standby.bootstrap_servers
    )
    return len(translated) >= plan.partitions


def _topic_of(consumer: FailoverConsumer) -> str:
    return consumer.topics[0]


def _end_offsets(bootstrap_servers: str, topic: str, plan: DrillPlan) -> dict[int, int]:
    reader = Consumer(
        {"bootstrap.servers": bootstrap_servers, "group.id": f"drill-lag-{uuid.uuid4().hex}"}
    )
    try:
        return {
            partition: reader.get_watermark_offsets(TopicPartition(topic, partition), timeout=5)[1]
            for partition in range(plan.partitions)
        }
    finally:
        reader.close()
