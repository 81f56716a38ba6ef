"""A row too large to publish is rejected, and every other row is imported.

Real Kafka and the real keybus registry, driven through the `keybus import` command
in-process with Typer's runner, or through `run_import` where a test stops an import.
The logs are CSV and XES files written by each test, with values far over Kafka's
default record size limit of about 1 MB.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from keybus.cli import app
from keybus.importer import ImportOptions, LogMapping, open_log, plan_import, run_import
from keybus.testing import KafkaEndpoint
from keybus.testing.plugin import TopicFactory

from .topics import read_events

TIMES = ["2020-01-01T00:00:00+00:00", "2020-01-01T01:00:00+00:00", "2020-01-01T02:00:00+00:00"]
WIDE_COLUMNS = 10
WIDE_FIELD_CHARS = 120_000
HUGE_FIELD_CHARS = 1_500_000


def _run(kafka: KafkaEndpoint, registry: str, progress: str, *args: str) -> Any:
    common = ["--bootstrap-servers", kafka.bootstrap_servers, "--registry", registry]
    return CliRunner().invoke(app, ["import", *args, "--progress-topic", progress, *common])


def _compacted(topic: TopicFactory) -> str:
    return topic(partitions=1, config={"cleanup.policy": "compact"})


def _rejects(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _wide_csv(path: Path) -> Path:
    """Write three rows whose second has 10 fields of 120,000 characters, 1.2 MB in all."""
    names = [f"a{number}" for number in range(WIDE_COLUMNS)]
    lines = ["case:concept:name,concept:name,time:timestamp," + ",".join(names)]
    for case, time in zip(["c0", "c1", "c2"], TIMES, strict=True):
        width = WIDE_FIELD_CHARS if case == "c1" else 1
        lines.append(f"{case},A,{time}," + ",".join("y" * width for _ in names))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _huge_field_csv(path: Path) -> Path:
    """Write three rows whose second has one field of 1,500,000 characters."""
    lines = ["case:concept:name,concept:name,time:timestamp,note"]
    for case, time in zip(["c0", "c1", "c2"], TIMES, strict=True):
        note = "x" * HUGE_FIELD_CHARS if case == "c1" else "short"
        lines.append(f"{case},A,{time},{note}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _huge_field_xes(path: Path) -> Path:
    """Write an XES log of three events whose second has a 1,500,000-character value."""
    traces = []
    for case, time in zip(["c0", "c1", "c2"], TIMES, strict=True):
        note = "x" * HUGE_FIELD_CHARS if case == "c1" else "short"
        traces.append(
            f'<trace><string key="concept:name" value="{case}"/><event>'
            '<string key="concept:name" value="A"/>'
            f'<date key="time:timestamp" value="{time}"/>'
            f'<string key="note" value="{note}"/></event></trace>'
        )
    body = "\n".join(traces)
    path.write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1.0">\n{body}\n</log>\n',
        encoding="utf-8",
    )
    return path


def test_wide_row_over_producer_limit_rejected(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory, tmp_path: Path
) -> None:
    log = _wide_csv(tmp_path / "wide.csv")
    target = topic(partitions=2)
    rejects_path = tmp_path / "wide.rejects.jsonl"

    result = _run(
        kafka,
        schema_registry,
        _compacted(topic),
        str(log),
        "--topic",
        target,
        "--rejects",
        str(rejects_path),
    )

    assert result.exit_code == 0, result.output
    rejects = _rejects(rejects_path)
    assert [reject["row"] for reject in rejects] == [2]
    reason = rejects[0]["reason"]
    assert "over the producer's message.max.bytes (1000000 bytes)" in reason
    assert "--message-max-bytes" in reason
    assert sorted(
        event["case_id"] for event in read_events(kafka.bootstrap_servers, schema_registry, target)
    ) == ["c0", "c2"]


def test_huge_csv_field_read_and_rejected(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory, tmp_path: Path
) -> None:
    log = _huge_field_csv(tmp_path / "huge.csv")
    target = topic(partitions=2)
    rejects_path = tmp_path / "huge.rejects.jsonl"

    result = _run(
        kafka,
        schema_registry,
        _compacted(topic),
        str(log),
        "--topic",
        target,
        "--rejects",
        str(rejects_path),
    )

    assert result.exit_code == 0, result.output
    rejects = _rejects(rejects_path)
    assert [reject["row"] for reject in rejects] == [2]
    assert len(rejects[0]["values"]["note"]) == HUGE_FIELD_CHARS
    assert "record of about 15" in rejects[0]["reason"]
    events = read_events(kafka.bootstrap_servers, schema_registry, target)
    assert sorted(event["case_id"] for event in events) == ["c0", "c2"]


def test_huge_xes_value_rejected(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory, tmp_path: Path
) -> None:
    log = _huge_field_xes(tmp_path / "huge.xes")
    target = topic(partitions=2)
    rejects_path = tmp_path / "huge-xes.rejects.jsonl"

    result = _run(
        kafka,
        schema_registry,
        _compacted(topic),
        str(log),
        "--topic",
        target,
        "--rejects",
        str(rejects_path),
    )

    assert result.exit_code == 0, result.output
    assert [reject["row"] for reject in _rejects(rejects_path)] == [2]
    events = read_events(kafka.bootstrap_servers, schema_registry, target)
    assert sorted(event["case_id"] for event in events) == ["c0", "c2"]


def test_topic_limit_below_producer_limit_rejects_row(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory, tmp_path: Path
) -> None:
    log = _wide_csv(tmp_path / "wide.csv")
    target = topic(partitions=2, config={"max.message.bytes": "500000"})
    rejects_path = tmp_path / "limited.rejects.jsonl"

    result = _run(
        kafka,
        schema_registry,
        _compacted(topic),
        str(log),
        "--topic",
        target,
        "--rejects",
        str(rejects_path),
        "--message-max-bytes",
        "2000000",
    )

    assert result.exit_code == 0, result.output
    rejects = _rejects(rejects_path)
    assert [reject["row"] for reject in rejects] == [2]
    assert f"over max.message.bytes of topic {target} (500000 bytes)" in rejects[0]["reason"]
    events = read_events(kafka.bootstrap_servers, schema_registry, target)
    assert len(events) == 2


def test_raised_limits_publish_wide_row(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory, tmp_path: Path
) -> None:
    log = _wide_csv(tmp_path / "wide.csv")
    target = topic(partitions=2, config={"max.message.bytes": "3000000"})
    rejects_path = tmp_path / "raised.rejects.jsonl"

    result = _run(
        kafka,
        schema_registry,
        _compacted(topic),
        str(log),
        "--topic",
        target,
        "--rejects",
        str(rejects_path),
        "--message-max-bytes",
        "3000000",
    )

    assert result.exit_code == 0, result.output
    assert not rejects_path.exists()
    events = read_events(kafka.bootstrap_servers, schema_registry, target)
    assert sorted(event["case_id"] for event in events) == ["c0", "c1", "c2"]


class _ImportStoppedError(Exception):
    """Raised by a progress callback to stop an import after its first transaction."""


def test_resume_after_stop_keeps_size_rejects_exact(
    kafka: KafkaEndpoint, schema_registry: str, topic: TopicFactory, tmp_path: Path
) -> None:
    log = open_log(_huge_field_csv(tmp_path / "huge.csv"))
    mapping = LogMapping()
    plan = plan_import(log, mapping)
    options = ImportOptions(
        topic=topic(partitions=2),
        bootstrap_servers=kafka.bootstrap_servers,
        registry_url=schema_registry,
        batch_rows=1,
        progress_topic=_compacted(topic),
    )

    def stop_after_first_commit(rows: int) -> None:
        raise _ImportStoppedError

    with pytest.raises(_ImportStoppedError):
        run_import(log, mapping, plan, options, stop_after_first_commit)
    resumed = run_import(log, mapping, plan_import(log, mapping), options)

    assert resumed.resumed_after_row == 1
    assert resumed.published == 1
    assert [reject.row for reject in resumed.rejects] == [2]
    assert resumed.stats.events == 2
    events = read_events(kafka.bootstrap_servers, schema_registry, options.topic)
    assert sorted(event["source_row"] for event in events) == [1, 3]
