"""Imports that meet bytes that are not UTF-8 or a registry that is down.

Real Kafka and the real keybus registry, driven through the `keybus import` command
in-process with Typer's runner. The logs are small CSV files written by each test. The
registry that is down is a free loopback port.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from confluent_kafka.admin import AdminClient
from typer.testing import CliRunner

from keybus.cli import app
from keybus.registry.client import RegistryClient
from keybus.testing import KafkaEndpoint, free_port
from keybus.testing.plugin import TopicFactory

from .topics import read_events

HEADER = b"case:concept:name,concept:name,time:timestamp\n"
ROWS = [
    b"c1,Create,2020-03-28T10:00:00Z\n",
    b"c1,Check,2020-03-28T11:00:00Z\n",
    b"c1,\xff\xfePay,2020-03-28T12:00:00Z\n",
    b"c2,Create,2020-03-29T10:00:00Z\n",
]


def test_row_with_invalid_bytes_rejected_others_published(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory, tmp_path: Path
) -> None:
    log = tmp_path / "latin.csv"
    log.write_bytes(HEADER + b"".join(ROWS))
    target = topic(partitions=1)
    progress = topic(partitions=1, config={"cleanup.policy": "compact"})
    rejects_path = tmp_path / "rejects.jsonl"
    common = ["--bootstrap-servers", kafka.bootstrap_servers, "--registry", schema_registry]

    result = CliRunner().invoke(
        app,
        [
            "import",
            str(log),
            "--topic",
            target,
            "--progress-topic",
            progress,
            "--rejects",
            str(rejects_path),
            *common,
        ],
    )

    assert result.exit_code == 0, result.output
    rejects: list[dict[str, Any]] = [
        json.loads(line) for line in rejects_path.read_text(encoding="utf-8").splitlines()
    ]
    assert [reject["row"] for reject in rejects] == [3]
    assert "line 4 is not UTF-8 text: byte 0xff in field 2" in rejects[0]["reason"]
    assert rejects[0]["values"]["concept:name"] == "\ufffd\ufffdPay"
    events = read_events(kafka.bootstrap_servers, schema_registry, target)
    assert sorted(event["source_row"] for event in events) == [1, 2, 4]


def test_invalid_bytes_row_keeps_column_types(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory, tmp_path: Path
) -> None:
    log = tmp_path / "amounts.csv"
    log.write_bytes(
        b"case:concept:name,concept:name,time:timestamp,amount\n"
        b"c1,Create,2020-03-28T10:00:00Z,120\n"
        b"c1,Pay,2020-03-28T11:00:00Z,\xff30\n"
        b"c2,Create,2020-03-29T10:00:00Z,75\n"
    )
    target = topic(partitions=1)
    progress = topic(partitions=1, config={"cleanup.policy": "compact"})
    schema_path = tmp_path / "schema.avsc"

    result = CliRunner().invoke(
        app,
        [
            "import",
            str(log),
            "--topic",
            target,
            "--progress-topic",
            progress,
            "--rejects",
            str(tmp_path / "rejects.jsonl"),
            "--schema-out",
            str(schema_path),
            "--bootstrap-servers",
            kafka.bootstrap_servers,
            "--registry",
            schema_registry,
        ],
    )

    assert result.exit_code == 0, result.output
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    attributes = {field["name"]: field["type"] for field in schema["fields"][-1]["type"]["fields"]}
    assert attributes["amount"] == "long"
    events = read_events(kafka.bootstrap_servers, schema_registry, target)
    assert sorted(event["attributes"]["amount"] for event in events) == [75, 120]


def test_colliding_topic_name_rejected_before_registration(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory, tmp_path: Path
) -> None:
    log = tmp_path / "orders.csv"
    log.write_bytes(HEADER + ROWS[0] + ROWS[1])
    existing = topic(name=f"import.collide{uuid.uuid4().hex[:8]}", partitions=1)
    colliding = existing.replace(".", "_")

    result = CliRunner().invoke(
        app,
        [
            "import",
            str(log),
            "--topic",
            colliding,
            "--rejects",
            str(tmp_path / "rejects.jsonl"),
            "--bootstrap-servers",
            kafka.bootstrap_servers,
            "--registry",
            schema_registry,
        ],
    )

    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert result.exit_code == 1, result.output
    assert len(errors) == 1, result.output
    assert f"collides with the existing topic {existing}" in errors[0]
    with RegistryClient(schema_registry) as registry:
        assert not [s for s in registry.get_subjects() if s.startswith(colliding)]


def test_registry_down_creates_no_topic(
    kafka: KafkaEndpoint, kafka_admin: AdminClient, tmp_path: Path
) -> None:
    log = tmp_path / "orders.csv"
    log.write_bytes(HEADER + ROWS[0] + ROWS[1])
    target = f"import-no-registry-{uuid.uuid4().hex[:8]}"
    registry = f"http://127.0.0.1:{free_port()}"

    result = CliRunner().invoke(
        app,
        [
            "import",
            str(log),
            "--topic",
            target,
            "--bootstrap-servers",
            kafka.bootstrap_servers,
            "--registry",
            registry,
        ],
    )

    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert result.exit_code == 1, result.output
    assert len(errors) == 1, result.output
    assert f"Schema registry at {registry}" in errors[0]
    topics = kafka_admin.list_topics(timeout=30).topics
    assert target not in topics
    assert f"{target}.import-progress" not in topics


def test_mixed_import_registry_down_no_topic(
    kafka: KafkaEndpoint, kafka_admin: AdminClient, tmp_path: Path
) -> None:
    log = tmp_path / "orders.csv"
    log.write_bytes(HEADER + ROWS[0] + ROWS[1])
    target = f"import-no-registry-{uuid.uuid4().hex[:8]}"
    registry = f"http://127.0.0.1:{free_port()}"

    result = CliRunner().invoke(
        app,
        [
            "import",
            str(log),
            "--topic",
            target,
            "--allow-mixed-topic",
            "--bootstrap-servers",
            kafka.bootstrap_servers,
            "--registry",
            registry,
        ],
    )

    assert result.exit_code == 1, result.output
    topics = kafka_admin.list_topics(timeout=30).topics
    assert target not in topics
    assert f"{target}.import-progress" not in topics


def test_event_log_replay_on_non_database_named(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory, tmp_path: Path
) -> None:
    database = tmp_path / "junk.sqlite"
    database.write_bytes(b"not a database" * 300)

    result = CliRunner().invoke(
        app,
        [
            "event-log",
            "replay",
            "--topic",
            topic(partitions=1),
            "--db",
            str(database),
            "--bootstrap-servers",
            kafka.bootstrap_servers,
            "--registry",
            schema_registry,
        ],
    )

    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert result.exit_code == 1, result.output
    assert len(errors) == 1, result.output
    assert f"SQLite database {database} (--db) cannot be used: file is not a database" in errors[0]
