"""`keybus replay` as a user runs it, on real Kafka and the keybus registry.

A replay from a time is compared with a rebuild from the beginning on three databases:
one as current as the rebuild, one built before some of the events older than the
time, and none at all. The lock directory has entries older than the time, so a replay
that drops reference data shows up as missing rows in `locks`.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from keybus.catalog.com.example.reference import LockDirectoryEntry
from keybus.cli import app
from keybus.client import Producer
from keybus.testing import KafkaEndpoint

from .events import access_history, delivery_history, lock_directory
from .test_projections import dump, publish


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


@pytest.mark.parametrize("name", ["delivery-status", "site-access"])
def test_replay_from_time_equals_rebuild(
    name: str, kafka: KafkaEndpoint, schema_registry: str, prefix: str, tmp_path: Path
) -> None:
    directory, access, deliveries = lock_directory(), access_history(30), delivery_history(40)
    moved = LockDirectoryEntry(lock_id="lock-1", site_id="site-9", owner_id="owner-1")
    connection = ["--bootstrap-servers", kafka.bootstrap_servers, "--registry", schema_registry]
    connection += ["--topic-prefix", prefix]
    publish(kafka, schema_registry, prefix, directory[:5] + access[:60] + deliveries[:30])
    stale = tmp_path / "stale.sqlite"
    invoke_replay(connection, name, stale, "beginning")
    time.sleep(1.0)
    publish(kafka, schema_registry, prefix, access[60:75] + deliveries[30:40])
    time.sleep(1.0)
    moment = datetime.now(UTC).isoformat()
    time.sleep(1.0)
    publish(kafka, schema_registry, prefix, [moved, *directory[5:], *access[75:], *deliveries[40:]])
    full = tmp_path / "full.sqlite"
    invoke_replay(connection, name, full, "beginning")
    current = tmp_path / "current.sqlite"
    shutil.copy(full, current)
    missing = tmp_path / "missing.sqlite"

    outputs = {
        path.stem: invoke_replay(connection, name, path, moment)
        for path in (current, stale, missing)
    }

    expected = dump(name, full)
    assert "in the database already, applied again" in outputs["current"]
    assert "replayed" in outputs["stale"]
    assert f"No database at {missing}" in outputs["missing"]
    for path in (missing, stale, current):
        assert dump(name, path) == expected, path.stem
        assert counter(path) == counter(full), path.stem


def invoke_replay(connection: list[str], name: str, path: Path, since: str) -> str:
    """Run `keybus replay` on one database and return its output."""
    arguments = ["replay", "--projection", name, "--from", since, "--db", str(path)]

    result = CliRunner().invoke(app, [*arguments, *connection])

    assert result.exit_code == 0, result.output
    return result.output


def counter(path: Path) -> int:
    """Return the applied-event counter of a projection's database."""
    with sqlite3.connect(path) as db:
        row = db.execute("SELECT value FROM keybus_counters WHERE name = 'events_applied'")
        return int(row.fetchone()[0])
