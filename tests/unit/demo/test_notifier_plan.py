"""The demo notifier's simulated push gateway and the topics its retries need."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from keybus.demo.notifier import (
    NOTIFICATIONS_TOPIC,
    NOTIFIER_GROUP,
    NOTIFIER_POLICY,
    GatewayTimeoutError,
    NoRecipientError,
    PushGateway,
)
from keybus.retry.specs import retry_topic_specs
from keybus.topics import load_topics

REPO = Path(__file__).resolve().parents[3]


def test_failure_plan_mixes_successes_retries_and_dead_letters() -> None:
    plan = Counter(PushGateway.failing_attempts(f"record-{n}") for n in range(4_000))

    assert set(plan) == {0, 1, 2, 1_000_000}
    # About 4, 2 and 1 in every 40 ids; a wide band keeps the check independent of the hash.
    assert 300 < plan[1] < 500
    assert 120 < plan[2] < 280
    assert 50 < plan[1_000_000] < 150


def test_gateway_fails_the_planned_attempts_then_delivers() -> None:
    gateway = PushGateway(frozenset({"lock-1"}))
    record_id = next(f"r{n}" for n in range(1_000) if gateway.failing_attempts(f"r{n}") == 2)

    for attempt in (1, 2):
        with pytest.raises(
            GatewayTimeoutError, match=f"record {record_id} \\(attempt {attempt}\\)"
        ):
            gateway.send("lock-1", record_id, attempt)
    gateway.send("lock-1", record_id, 3)


def test_lock_without_recipient_is_refused_on_every_attempt() -> None:
    gateway = PushGateway(frozenset({"lock-1"}))

    with pytest.raises(NoRecipientError, match="No recipient is on file for lock 'lock-9'"):
        gateway.send("lock-9", "any", 5)


def test_deploy_topics_declare_every_notifier_retry_topic() -> None:
    declared = {spec.name: spec for spec in load_topics(REPO / "deploy" / "topics.yaml")}
    source = declared[NOTIFICATIONS_TOPIC]

    for spec in retry_topic_specs(
        NOTIFICATIONS_TOPIC, NOTIFIER_GROUP, NOTIFIER_POLICY, partitions=source.partitions
    ):
        assert spec.name in declared, f"{spec.name} is missing from deploy/topics.yaml"
        assert declared[spec.name].partitions == spec.partitions
        assert dict(declared[spec.name].config).items() >= dict(spec.config).items()
