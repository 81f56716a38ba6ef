"""SIGTERM mid-stream: the consumer finishes the event in hand, commits and exits; nothing is lost.

The consumer runs in a real subprocess against real Kafka and the keybus registry, and
writes each handled event id to a file before the handler returns.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

from confluent_kafka import Consumer as KafkaConsumer
from confluent_kafka import TopicPartition

from keybus import Producer
from keybus.catalog import DoorLocked
from keybus.catalog.com.example.access import LockTrigger
from keybus.testing import KafkaEndpoint
from keybus.testing.plugin import TopicFactory

WORKER = textwrap.dedent(
    """
    import sys, time
    from keybus import Consumer
    from keybus.catalog import DoorLocked

    servers, registry, topic, group, output = sys.argv[1:6]
    consumer = Consumer(servers, group, registry, topics=[topic], batch_size=10)

    @consumer.handler(DoorLocked)
    def handle(event):
        time.sleep(0.02)
        with open(output, "a") as handle_file:
            handle_file.write(f"{event.event_id}\\n")

    consumer.run(idle_timeout_s=float(sys.argv[6]))
    consumer.close()
    """
)

EVENTS = 300


def _start(
    script: Path,
    *,
    kafka: KafkaEndpoint,
    registry: str,
    topic: str,
    group: str,
    output: Path,
    idle_s: float,
) -> subprocess.Popen[bytes]:
    arguments = [kafka.bootstrap_servers, registry, topic, group, str(output), str(idle_s)]
    return subprocess.Popen([sys.executable, str(script), *arguments])


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def _committed(kafka: KafkaEndpoint, topic: str, group: str) -> int:
    consumer = KafkaConsumer({"bootstrap.servers": kafka.bootstrap_servers, "group.id": group})
    try:
        [position] = consumer.committed([TopicPartition(topic, 0)], timeout=10)
    finally:
        consumer.close()
    return int(position.offset)


def test_sigterm_mid_stream_loses_nothing(
    kafka: KafkaEndpoint, topic: TopicFactory, schema_registry: str, tmp_path: Path
) -> None:
    name = topic()
    group = f"sigterm-{uuid.uuid4().hex[:8]}"
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    output = tmp_path / "handled.txt"
    events = [
        DoorLocked(lock_id="l", trigger=LockTrigger.AUTO_RELOCK, open_duration_ms=i)
        for i in range(EVENTS)
    ]
    with Producer(kafka.bootstrap_servers, schema_registry, auto_register=True) as producer:
        producer.publish_batch(events, topic=name)

    first = _start(
        script,
        kafka=kafka,
        registry=schema_registry,
        topic=name,
        group=group,
        output=output,
        idle_s=60,
    )
    deadline = time.monotonic() + 60
    while len(_lines(output)) < 50 and time.monotonic() < deadline:
        time.sleep(0.05)
    first.send_signal(signal.SIGTERM)
    first_exit = first.wait(timeout=30)
    handled_first = len(_lines(output))
    committed_first = _committed(kafka, name, group)

    second = _start(
        script,
        kafka=kafka,
        registry=schema_registry,
        topic=name,
        group=group,
        output=output,
        idle_s=5,
    )
    second_exit = second.wait(timeout=120)
    handled = _lines(output)

    assert first_exit == 0
    assert 50 <= handled_first < EVENTS
    assert committed_first == handled_first
    assert second_exit == 0
    assert sorted(handled) == sorted(str(e.event_id) for e in events)
    assert len(handled) == EVENTS
