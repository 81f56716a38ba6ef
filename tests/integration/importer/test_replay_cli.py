"""`keybus event-log replay` rebuilds the projection from the beginning or from a time.

Real Kafka and the real keybus registry, driven through the CLI in-process with
Typer's runner. Two logs are imported one after the other into one topic, under two
record names, so a replay from a time between the imports covers only the second log.
The second import appends to a topic that contains the first log's events, so it
passes --allow-mixed-topic.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from keybus.cli import app
from keybus.importer.projections import EventLogProjection
from keybus.testing import KafkaEndpoint
from keybus.testing.plugin import TopicFactory

from .logfiles import DATA, case_figures, read_log


def test_replay_from_beginning_and_time(
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

    run_import("roadtraffic100traces.csv", "keybus.eventlog.RoadFine")
    time.sleep(1.5)
    between = datetime.now(UTC)
    time.sleep(1.5)
    run_import("running-example.csv", "keybus.eventlog.Compensation", "--allow-mixed-topic")
    db = tmp_path / "projection.db"
    replay = ["event-log", "replay", "--topic", target, "--db", str(db), *servers]

    everything = runner.invoke(app, [*replay, "--from", "beginning"])
    all_cases = EventLogProjection(db).summary()["cases"]
    later = runner.invoke(app, [*replay, "--from", between.isoformat()])
    projection = EventLogProjection(db)

    assert everything.exit_code == 0, everything.output
    assert "applied 432 events" in everything.output
    assert all_cases == 106
    assert later.exit_code == 0, later.output
    assert "applied 42 events" in later.output
    assert projection.summary()["cases"] == 6
    for case_id, figures in case_figures(read_log(DATA / "running-example.csv")).items():
        stored = projection.case(case_id)
        assert stored is not None
        assert stored["events"] == figures["events"]
        assert stored["duration_ms"] == figures["duration_ms"]
    projection.close()
