"""`keybus event-log replay` rebuilds the projection from the beginning or from a time.

Real Kafka and the real keybus registry, driven through the CLI in-process with
Typer's runner. Two logs are imported one after the other into one topic, under two
record names, and a replay from a time between the imports is compared with a rebuild
from the beginning. The second import appends to a topic that contains the first log's
events, so it passes --allow-mixed-topic.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from keybus.cli import app
from keybus.importer.projections import EventLogProjection
from keybus.testing import KafkaEndpoint
from keybus.testing.plugin import TopicFactory

from .logfiles import DATA, case_figures, read_log

TABLES = ("cases", "case_activities", "activities", "transitions", "positions")


def test_replay_from_time_equals_rebuild(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory, tmp_path: Path
) -> None:
    target = topic(partitions=2)
    servers = ["--bootstrap-servers", kafka.bootstrap_servers, "--registry", schema_registry]
    runner = CliRunner()

    def run_import(name: str, record_name: str, *flags: str) -> None:
        progress = topic(partitions=1, config={"cleanup.policy": "compact"})
        args = ["import", str(DATA / name), "--topic", target, "--progress-topic", progress]
        args += ["--record-name", record_name, "--rejects", str(tmp_path / f"{name}.rejects")]
        result = runner.invoke(app, [*args, *servers, *flags])
        assert result.exit_code == 0, result.output

    def run_replay(db: Path, start: str) -> str:
        replay = ["event-log", "replay", "--topic", target, "--db", str(db), "--from", start]
        result = runner.invoke(app, [*replay, *servers])
        assert result.exit_code == 0, result.output
        return result.output

    run_import("roadtraffic100traces.csv", "keybus.eventlog.RoadFine")
    stale = tmp_path / "stale.db"
    run_replay(stale, "beginning")
    time.sleep(1.5)
    between = datetime.now(UTC).isoformat()
    time.sleep(1.5)
    run_import("running-example.csv", "keybus.eventlog.Compensation", "--allow-mixed-topic")
    full, current, missing = tmp_path / "full.db", tmp_path / "current.db", tmp_path / "missing.db"
    everything = run_replay(full, "beginning")
    copy_database(full, current)

    outputs = {db.stem: run_replay(db, between) for db in (current, stale, missing)}

    expected = dump(full)
    assert "applied 432 events" in everything
    assert len(expected["cases"]) == 106
    assert "applied 0 events (42 read again but included already)" in outputs["current"]
    assert "applied 42 events" in outputs["stale"]
    assert "applied 432 events" in outputs["missing"]
    for db in (current, stale, missing):
        assert dump(db) == expected, db.stem
    projection = EventLogProjection(current)
    for case_id, figures in case_figures(read_log(DATA / "running-example.csv")).items():
        stored = projection.case(case_id)
        assert stored is not None
        assert stored["events"] == figures["events"]
        assert stored["duration_ms"] == figures["duration_ms"]
    projection.close()


def copy_database(source: Path, target: Path) -> None:
    """Copy a SQLite database, its write-ahead log included."""
    with closing(sqlite3.connect(source)) as origin, closing(sqlite3.connect(target)) as copy:
        origin.backup(copy)


def dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Return every row of every table of an event-log database, sorted."""
    with closing(sqlite3.connect(path)) as db:
        return {table: sorted(db.execute(f"SELECT * FROM {table}").fetchall()) for table in TABLES}
