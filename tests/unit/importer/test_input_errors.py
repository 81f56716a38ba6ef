"""Bad import inputs rejected before Kafka is touched: files written by each test.

No broker or registry is involved: plan_import, open_log and load_schema read only the
file, and the CLI runs a dry run, which stops before connecting.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from keybus.cli import app
from keybus.errors import ConfigurationError
from keybus.importer import LogFormatError, LogMapping, open_log, plan_import
from keybus.importer.replay import ReplayStats
from keybus.importer.schema import load_schema

_MAPPING = LogMapping(case="case", activity="activity", timestamp="time")
_ROWS = "case,activity,time\nc1,start,2024-01-01T00:00:00Z\nc1,end,2024-01-01T01:00:00Z\n"


@pytest.mark.parametrize("text", ["", "case,activity,time\n"])
def test_empty_log_rejected_naming_file(tmp_path: Path, text: str) -> None:
    path = tmp_path / "empty.csv"
    path.write_text(text)

    with pytest.raises(LogFormatError) as raised:
        plan_import(open_log(path), _MAPPING)

    assert "empty.csv has no event rows" in raised.value.message


def test_empty_log_rejected_with_given_schema(tmp_path: Path) -> None:
    full = tmp_path / "full.csv"
    full.write_text(_ROWS)
    schema = plan_import(open_log(full), _MAPPING).schema
    empty = tmp_path / "empty.csv"
    empty.write_text("case,activity,time\n")

    with pytest.raises(LogFormatError) as raised:
        plan_import(open_log(empty), _MAPPING, schema=schema)

    assert "empty.csv has no event rows" in raised.value.message


@pytest.mark.parametrize("name", ["log.xes.gz", "log.csv.gz"])
def test_gz_name_without_gzip_data_rejected(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(_ROWS)

    with pytest.raises(LogFormatError) as raised:
        open_log(path)

    assert f"{name} is named .gz but is not gzip data" in raised.value.message


def test_malformed_schema_file_named(tmp_path: Path) -> None:
    path = tmp_path / "reviewed.json"
    path.write_text('{"type": "record",')

    with pytest.raises(ConfigurationError) as raised:
        load_schema(path)

    assert "reviewed.json is not valid JSON at line 1" in raised.value.message


def test_schema_file_not_object_rejected(tmp_path: Path) -> None:
    path = tmp_path / "reviewed.json"
    path.write_text("[1, 2]")

    with pytest.raises(ConfigurationError) as raised:
        load_schema(path)

    assert "contains a JSON list" in raised.value.message


def test_dry_run_with_schema_says_rows_not_counted(tmp_path: Path) -> None:
    log = tmp_path / "small.csv"
    log.write_text(_ROWS)
    schema = tmp_path / "schema.json"
    columns = ["--case", "case", "--activity", "activity", "--timestamp", "time"]
    runner = CliRunner()
    runner.invoke(
        app,
        ["import", str(log), "--topic", "t", *columns, "--schema-out", str(schema), "--dry-run"],
    )

    result = runner.invoke(
        app, ["import", str(log), "--topic", "t", *columns, "--schema", str(schema), "--dry-run"]
    )

    assert result.exit_code == 0, result.output
    assert "rows: None" not in result.output
    assert "rows: not counted" in result.output


def test_import_help_shows_column_defaults() -> None:
    result = CliRunner().invoke(app, ["import", "--help"], env={"COLUMNS": "200"})

    assert "default: case:concept:name" in result.output


class _Record:
    def __init__(self, offset: int) -> None:
        self._offset = offset

    def topic(self) -> str:
        return "lock-devices"

    def partition(self) -> int:
        return 0

    def offset(self) -> int:
        return self._offset


def test_replay_skips_counted_first_few_logged(caplog: pytest.LogCaptureFixture) -> None:
    stats = ReplayStats()
    reasons: list[Any] = ["UnknownSchemaIdError"] * 3 + ["no event-log fields"] * 17

    with caplog.at_level(logging.DEBUG, logger="keybus.importer.replay"):
        for offset, reason in enumerate(reasons):
            stats.skip(reason, _Record(offset), "detail")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]

    assert stats.skipped == 20
    assert stats.skipped_by_reason == {"UnknownSchemaIdError": 3, "no event-log fields": 17}
    assert len(warnings) == 6
