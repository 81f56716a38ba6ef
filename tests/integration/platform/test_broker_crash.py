"""A broker killed with SIGKILL mid-send keeps every acknowledged record.

Runs its own throwaway LocalKafka (not the session's), because the test kills it.
"""

from __future__ import annotations

import threading
import time

from confluent_kafka import Consumer, Message, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from keybus.testing import local_kafka

SEND_DURATION_S = 12.0


def _send_until(servers: str, topic: str, stop: threading.Event, acked: set[int]) -> int:
    producer = Producer(
        {
            "bootstrap.servers": servers,
            "enable.idempotence": True,
            "acks": "all",
            "message.timeout.ms": 120_000,
            "linger.ms": 2,
        }
    )

    def on_delivery(error: object, message: Message) -> None:
        if error is None:
            acked.add(int(message.value()))  # type: ignore[arg-type]

    sent = 0
    while not stop.is_set():
        try:
            producer.produce(
                topic, key=str(sent % 10), value=str(sent).encode(), on_delivery=on_delivery
            )
        except BufferError:
            producer.poll(0.1)
            continue
        sent += 1
        producer.poll(0)
        time.sleep(0.0005)
    producer.flush(120)
    return sent


def _read_all(servers: str, topic: str) -> list[int]:
    consumer = Consumer(
        {"bootstrap.servers": servers, "group.id": "crash-check", "auto.offset.reset": "earliest"}
    )
    consumer.subscribe([topic])
    values: list[int] = []
    idle = 0
    while idle < 8:
        batch = consumer.consume(num_messages=1000, timeout=1.0)
        idle = 0 if batch else idle + 1
        values.extend(int(r.value()) for r in batch if r.error() is None)  # type: ignore[arg-type]
    consumer.close()
    return values


def test_acknowledged_records_survive_sigkill() -> None:
    with local_kafka("crash") as cluster:
        servers = cluster.bootstrap_servers
        admin = AdminClient({"bootstrap.servers": servers})
        admin.create_topics([NewTopic("crash-events", 3, 1)])["crash-events"].result()
        acked: set[int] = set()
        stop = threading.Event()
        outcome: dict[str, int] = {}
        sender = threading.Thread(
            target=lambda: outcome.update(sent=_send_until(servers, "crash-events", stop, acked))
        )
        sender.start()
        time.sleep(3)
        acked_before_kill = len(acked)

        cluster.stop(kill=True)
        time.sleep(1)
        cluster.start()
        time.sleep(SEND_DURATION_S - 4)
        stop.set()
        sender.join(180)
        values = _read_all(servers, "crash-events")

    assert acked_before_kill > 0
    assert len(acked) > acked_before_kill
    assert acked <= set(values), f"{len(acked - set(values))} acknowledged records lost"
    assert len(values) == len(set(values)), "idempotent producer wrote duplicates"
