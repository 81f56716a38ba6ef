"""The demo's recipient notifier on real Kafka: retried from the tiers or parked with a reason."""

from __future__ import annotations

import json
import uuid

from confluent_kafka import Consumer, Producer

from keybus.demo.notifier import NOTIFIER_POLICY, PushGateway, RecipientNotifier
from keybus.retry import FailureState, InboundRecord
from keybus.retry.specs import retry_topic_specs
from keybus.testing import KafkaEndpoint
from keybus.testing.plugin import TopicFactory


def _ids_failing(times: int, count: int) -> list[str]:
    """Return `count` record ids whose first `times` gateway calls time out."""
    ids = (str(uuid.UUID(int=n)) for n in range(100_000))
    return [i for i in ids if PushGateway.failing_attempts(i) == times][:count]


def test_notifications_delivered_or_parked(kafka: KafkaEndpoint, topic: TopicFactory) -> None:
    source = topic(partitions=2)
    group = f"notifier-{uuid.uuid4().hex[:8]}"
    for spec in retry_topic_specs(source, group, NOTIFIER_POLICY, partitions=2):
        topic(partitions=spec.partitions, config=spec.config, name=spec.name)
    succeeds, once, twice = _ids_failing(0, 5), _ids_failing(1, 4), _ids_failing(2, 2)
    never = _ids_failing(1_000_000, 2)
    plan: dict[str, tuple[str, int | None]] = {
        **dict.fromkeys(succeeds[:3], ("lock-1", 1)),
        **dict.fromkeys(once[:3], ("lock-1", 2)),
        **dict.fromkeys(twice, ("lock-2", 3)),
        **dict.fromkeys(never, ("lock-1", None)),
        **dict.fromkeys([*succeeds[3:], *once[3:]], ("lock-unknown", None)),
    }
    producer = Producer({"bootstrap.servers": kafka.bootstrap_servers})
    for record_id, (lock_id, _attempt) in plan.items():
        value = json.dumps({"lock_id": lock_id, "text": "opened"}).encode()
        producer.produce(source, key=lock_id, value=value, headers=[("ce_id", record_id)])
    assert producer.flush(30) == 0

    notifier = RecipientNotifier(
        kafka.bootstrap_servers, {"lock-1", "lock-2"}, topic=source, group=group
    )
    notifier.start()
    try:
        tally = notifier.wait_settled(plan, timeout_s=90)
    finally:
        notifier.stop()

    assert notifier.error is None
    assert tally.delivered == {i: n for i, (_lock, n) in plan.items() if n is not None}
    never_answers = {i for i, (lock, n) in plan.items() if n is None and lock == "lock-1"}
    no_recipient = {i for i, (lock, _n) in plan.items() if lock == "lock-unknown"}
    assert tally.dead_letters == {
        **dict.fromkeys(never_answers, "max-attempts (GatewayTimeoutError)"),
        **dict.fromkeys(no_recipient, "not-retryable (NoRecipientError)"),
    }
    parked = _read_all(kafka, notifier.dead_letter_topic, len(tally.dead_letters))
    states = {r.header_text("ce_id"): FailureState.of(r, group) for r in parked}
    assert set(states) == never_answers | no_recipient
    assert {states[i].attempts for i in never_answers} == {NOTIFIER_POLICY.max_attempts}
    assert {states[i].attempts for i in no_recipient} == {1}


def _read_all(kafka: KafkaEndpoint, name: str, count: int) -> list[InboundRecord]:
    consumer = Consumer(
        {
            "bootstrap.servers": kafka.bootstrap_servers,
            "group.id": f"read-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([name])
    records: list[InboundRecord] = []
    try:
        for _ in range(300):
            if len(records) >= count:
                break
            message = consumer.poll(0.2)
            if message is not None and message.error() is None:
                records.append(InboundRecord.from_message(message))
    finally:
        consumer.close()
    return records
