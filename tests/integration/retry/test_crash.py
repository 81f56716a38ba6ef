"""A consumer killed with SIGKILL after parking and before committing loses nothing.

Real: the session's Kafka broker and a consumer process started with the test's Python
and killed by its pid. Nothing is faked; duplicates are allowed and counted.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from confluent_kafka import Consumer, TopicPartition
from retry_kit import GroupTopics, drive, produce, read_all, settle, unique_group

from keybus.retry import InboundRecord, RetryingConsumer, RetryPolicy
from keybus.testing import KafkaEndpoint
from keybus.testing.plugin import TopicFactory

SCRIPT = Path(__file__).with_name("crash_consumer.py")
POLICY = RetryPolicy(tiers_s=(1.0, 2.0), max_attempts=4, jitter_ratio=0.0)


def _run_until_parked(servers: str, source: str, group: str, expected: int) -> Counter[str]:
    """Start the consumer process, kill it once `expected` records are parked; return handled."""
    process = subprocess.Popen(
        [sys.executable, str(SCRIPT), servers, source, group],
        stdout=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    reader = threading.Thread(target=lambda: [lines.put(line) for line in process.stdout or ()])
    reader.start()

    handled: Counter[str] = Counter()
    parked = 0
    deadline = time.monotonic() + 60
    try:
        while parked < expected and time.monotonic() < deadline:
            try:
                kind, _, key = lines.get(timeout=1.0).strip().partition(" ")
            except queue.Empty:
                continue
            if kind == "HANDLED":
                handled[key] += 1
            elif kind == "PARKED":
                parked += 1
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        reader.join(timeout=10)
    assert parked == expected, f"only {parked} of {expected} records were parked in time"
    assert process.returncode == -signal.SIGKILL
    return handled


def _committed(servers: str, group: str, topic: str) -> int:
    consumer = Consumer({"bootstrap.servers": servers, "group.id": group})
    try:
        [position] = consumer.committed([TopicPartition(topic, 0)], timeout=10)
        return position.offset
    finally:
        consumer.close()


def test_sigkill_between_parking_and_commit_loses_nothing(
    kafka: KafkaEndpoint, topic: TopicFactory, group_topics: GroupTopics
) -> None:
    servers = kafka.bootstrap_servers
    source = topic()
    group = unique_group("crash")
    retry_1s, _retry_2s, dead_letters, _ledger = group_topics(source, group, POLICY)
    keys = [f"fail-{i}" if i % 10 == 3 else f"ok-{i}" for i in range(30)]
    produce(servers, source, [(key.encode(), b"{}") for key in keys])

    first_life = _run_until_parked(servers, source, group, expected=3)
    committed_after_kill = _committed(servers, group, source)
    parked_before_restart = len(read_all(servers, retry_1s))
    second_life: Counter[str] = Counter()

    def handler(record: InboundRecord) -> None:
        second_life[(record.key or b"").decode()] += 1

    consumer = RetryingConsumer(
        bootstrap_servers=servers,
        group=group,
        topics=[source],
        handler=handler,
        policy=POLICY,
        consumer_config={"session.timeout.ms": 6000},
    )
    drive(consumer, lambda: all(second_life[key] for key in keys), timeout_s=30)
    settle(consumer, 2.5)
    consumer.close()

    total = first_life + second_life
    duplicates = sum(total.values()) - len(keys)
    print(f"records={len(keys)} handled={sum(total.values())} duplicates={duplicates}")
    assert committed_after_kill < 0, "the killed consumer must not have committed"
    assert parked_before_restart == 3
    assert set(total) == set(keys), "every record is handled at least once"
    assert all(second_life[key] == 2 for key in keys if key.startswith("fail-")), second_life
    assert duplicates == sum(first_life.values()) + 3
    assert read_all(servers, dead_letters) == []
