"""Rows that cannot be published go to the rejects file with their row and reason.

Real Kafka and the real keybus registry, driven through the `keybus import` command
in-process with Typer's runner. The logs are small CSV files written by each test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from keybus.cli import app
from keybus.testing import KafkaEndpoint
from keybus.testing.plugin import TopicFactory

from .topics import read_events

HEADER = "case:concept:name,concept:name,time:timestamp,org:resource,amount\n"
CLEAN_ROWS = [
    "c1,Create,2020-03-28 10:00:00+01:00,r1,10\n",
    "c1,Check,2020-03-30 09:00:00+02:00,r2,12\n",
    "c2,Create,2020-03-29 10:00:00+01:00,,7\n",
    "c2,Pay,2020-04-01 10:00:00.125+02:00,r1,7\n",
]


def _write(path: Path, rows: list[str]) -> Path:
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def _run(kafka: KafkaEndpoint, registry: str, topic: TopicFactory, *args: str) -> Any:
    progress = topic(partitions=1, config={"cleanup.policy": "compact"})
    common = ["--bootstrap-servers", kafka.bootstrap_servers, "--registry", registry]
    return CliRunner().invoke(app, ["import", *args, "--progress-topic", progress, *common])


def _rejects(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_unparseable_timestamp_rejected(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory, tmp_path: Path
) -> None:
    rows = [*CLEAN_ROWS[:2], "c1,Pay,2020-13-45 25:61:00+01:00,r1,12\n", *CLEAN_ROWS[2:]]
    log = _write(tmp_path / "bad-time.csv", rows)
    target = topic(partitions=2)
    rejects_path = tmp_path / "rejects.jsonl"

    result = _run(
        kafka, schema_registry, topic, str(log), "--topic", target, "--rejects", str(rejects_path)
    )

    assert result.exit_code == 0, result.output
    rejects = _rejects(rejects_path)
    assert len(rejects) == 1
    assert rejects[0]["row"] == 3
    assert rejects[0]["case_id"] == "c1"
    assert "timestamp column 'time:timestamp'" in rejects[0]["reason"]
    assert "'2020-13-45 25:61:00+01:00' is not an ISO 8601" in rejects[0]["reason"]
    assert rejects[0]["values"]["time:timestamp"] == "2020-13-45 25:61:00+01:00"
    assert "rejected row 3" in result.output
    events = read_events(kafka.bootstrap_servers, schema_registry, target)
    assert sorted(e["source_row"] for e in events) == [1, 2, 4, 5]


def test_value_breaking_inferred_schema_rejected(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory, tmp_path: Path
) -> None:
    rows = [*CLEAN_ROWS, "c2,Refund,2020-04-02 10:00:00+02:00,r2,12abc\n"]
    log = _write(tmp_path / "bad-amount.csv", rows)
    target = topic(partitions=2)
    rejects_path = tmp_path / "rejects.jsonl"

    result = _run(
        kafka,
        schema_registry,
        topic,
        str(log),
        "--topic",
        target,
        "--infer-rows",
        "4",
        "--rejects",
        str(rejects_path),
    )

    assert result.exit_code == 0, result.output
    rejects = _rejects(rejects_path)
    assert [reject["row"] for reject in rejects] == [5]
    assert "field attributes.amount (column 'amount')" in rejects[0]["reason"]
    assert "'12abc' is not a 64-bit integer" in rejects[0]["reason"]
    assert "the schema requires a long" in rejects[0]["reason"]
    events = read_events(kafka.bootstrap_servers, schema_registry, target)
    assert sorted(e["source_row"] for e in events) == [1, 2, 3, 4]
    assert {e["attributes"]["amount"] for e in events} == {10, 12, 7}


def test_reviewed_schema_rejects_breaking_value(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory, tmp_path: Path
) -> None:
    clean = _write(tmp_path / "clean.csv", CLEAN_ROWS)
    schema_path = tmp_path / "schema.avsc"
    target = topic(partitions=1)
    review = _run(
        kafka,
        schema_registry,
        topic,
        str(clean),
        "--topic",
        target,
        "--schema-out",
        str(schema_path),
        "--dry-run",
    )
    later = _write(tmp_path / "later.csv", [*CLEAN_ROWS, "c3,Create,2020-04-03,r1,n/a\n"])
    rejects_path = tmp_path / "rejects.jsonl"

    result = _run(
        kafka,
        schema_registry,
        topic,
        str(later),
        "--topic",
        target,
        "--schema",
        str(schema_path),
        "--rejects",
        str(rejects_path),
    )

    assert review.exit_code == 0, review.output
    assert "amount" in review.output
    assert result.exit_code == 0, result.output
    rejects = _rejects(rejects_path)
    assert [reject["row"] for reject in rejects] == [5]
    assert "'n/a' is not a 64-bit integer" in rejects[0]["reason"]
    events = read_events(kafka.bootstrap_servers, schema_registry, target)
    assert len(events) == 4


def test_every_row_rejected_exits_nonzero(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory, tmp_path: Path
) -> None:
    rows = ["c1,Create,not a time,r1,10\n", "c2,Create,neither,r1,7\n"]
    log = _write(tmp_path / "all-bad.csv", rows)
    target = topic(partitions=1)
    rejects_path = tmp_path / "rejects.jsonl"

    result = _run(
        kafka, schema_registry, topic, str(log), "--topic", target, "--rejects", str(rejects_path)
    )

    assert result.exit_code == 1, result.output
    assert "Every row of all-bad.csv was rejected (2 rows)" in result.output
    assert str(rejects_path) in result.output.replace("\n", "")
    assert len(_rejects(rejects_path)) == 2


def test_clean_import_writes_no_rejects_file(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory, tmp_path: Path
) -> None:
    log = _write(tmp_path / "clean.csv", CLEAN_ROWS)
    target = topic(partitions=1)
    rejects_path = tmp_path / "rejects.jsonl"

    result = _run(
        kafka, schema_registry, topic, str(log), "--topic", target, "--rejects", str(rejects_path)
    )

    assert result.exit_code == 0, result.output
    assert not rejects_path.exists()
