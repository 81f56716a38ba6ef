"""`keybus replay` as a user runs it, on real Kafka and the keybus registry."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from keybus.cli import app
from keybus.client import Producer
from keybus.testing import KafkaEndpoint

from .events import delivery_history


def test_replay_rebuilds_delivery_status(
    kafka: KafkaEndpoint, schema_registry: str, prefix: str, tmp_path: Path
) -> None:
    with Producer(kafka.bootstrap_servers, schema_registry, auto_register=True) as producer:
        for event in delivery_history(12):
            producer.publish_nowait(event, topic=prefix + event.topic())
        producer.flush()
    database = tmp_path / "delivery-status.sqlite"
    arguments = [
        "replay",
        "--projection",
        "delivery-status",
        "--from",
        "beginning",
        "--db",
        str(database),
        "--bootstrap-servers",
        kafka.bootstrap_servers,
        "--registry",
        schema_registry,
        "--topic-prefix",
        prefix,
    ]

    result = CliRunner().invoke(app, arguments)

    assert result.exit_code == 0, result.output
    assert "rebuilt delivery-status" in result.output
    with sqlite3.connect(database) as db:
        statuses = dict(db.execute("SELECT status, count(*) FROM deliveries GROUP BY status"))
    assert sum(statuses.values()) == 12
    assert statuses["COMPLETED"] == 4


def test_replay_unknown_projection_fails(tmp_path: Path) -> None:
    arguments = ["replay", "--projection", "no-such", "--db", str(tmp_path / "x.sqlite")]

    result = CliRunner().invoke(app, arguments)

    assert result.exit_code == 1
    assert "No projection is named 'no-such'" in result.output
    assert "delivery-status" in result.output


def test_replay_rejects_bad_time(tmp_path: Path) -> None:
    arguments = ["replay", "--projection", "delivery-status", "--from", "yesterday"]

    result = CliRunner().invoke(app, arguments)

    assert result.exit_code == 1
    assert "--from 'yesterday' is neither 'beginning' nor an ISO 8601 time" in result.output
