"""An undecodable record reaches the router's dead-letter topic, and `keybus dlq` reads it.

Real: the broker, the registry, one router worker process and the `keybus` command.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from confluent_kafka import Consumer, Producer

from keybus.streams.workers import WorkerGroup
from keybus.testing import KafkaEndpoint
from keybus.testing.plugin import TopicFactory


def _keybus(servers: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "keybus.cli", *args, "--bootstrap-servers", servers],
        capture_output=True,
        text=True,
        check=False,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "TERM": "dumb"},
    )


def _first_record(servers: str, topic: str, timeout_s: float) -> dict[str, bytes]:
    consumer = Consumer(
        {
            "bootstrap.servers": servers,
            "group.id": f"check-{topic}",
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([topic])
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            record = consumer.poll(0.5)
            if record is not None and record.error() is None:
                return {"value": record.value() or b"", **dict(record.headers() or [])}
    finally:
        consumer.close()
    raise AssertionError(f"nothing arrived on {topic} within {timeout_s} s")


def test_undecodable_record_parked_for_dlq(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory, tmp_path: Path
) -> None:
    servers = kafka.bootstrap_servers
    source, target = topic(), topic()
    app_id = f"router-{source}"
    dead_letters = topic(name=f"{source}.{app_id}.dlq")
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        f"version: 1\nrules:\n  - name: all\n    source: {source}\n"
        f"    pattern: {{type: [{{exists: true}}]}}\n    targets: [{target}]\n"
    )
    group = WorkerGroup(
        with_parent=True,
        topology="router",
        folder=tmp_path / "workers",
        environment={
            "KEYBUS_BOOTSTRAP_SERVERS": servers,
            "KEYBUS_REGISTRY_URL": schema_registry,
            "KEYBUS_RULES_FILE": str(rules),
            "KEYBUS_APP_ID": app_id,
        },
    )
    producer = Producer({"bootstrap.servers": servers})
    producer.produce(
        source, key=b"lock-7", value=b"\xff\xfe not avro", headers=[("ce_id", b"bad-1")]
    )
    producer.flush(10)
    try:
        group.start(1)
        group.wait_healthy(1, seconds=5.0)
        parked = _first_record(servers, dead_letters, timeout_s=60)
    finally:
        group.stop()
    listed = _keybus(servers, "dlq", "list", dead_letters, "--json")

    assert parked["value"] == b"\xff\xfe not avro"
    assert parked["ce_id"] == b"bad-1"
    assert parked["keybus-original-topic"] == source.encode()
    assert parked["keybus-original-offset"] == b"0"
    assert parked["keybus-consumer-group"] == app_id.encode()
    assert parked["keybus-dead-letter-reason"] == b"not-retryable"
    assert listed.returncode == 0, listed.stderr
    summary = json.loads(listed.stdout)
    assert summary["total"] == 1
    [row] = summary["errors"]
    assert row["error_type"].rpartition(".")[2] == "WireFormatError", row
