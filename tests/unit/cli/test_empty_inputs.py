"""Commands given an empty topics file or catalog folder fail and name it.

Files and folders are real. No Kafka or registry runs, because the empty input is
rejected before either is contacted, so the addresses point at ports where nothing listens.
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from keybus.cli import app

runner = CliRunner()


def test_topics_plan_empty_file_fails(tmp_path: Path) -> None:
    empty = tmp_path / "topics.yaml"
    empty.write_text("")

    result = runner.invoke(app, ["topics", "plan", "-f", str(empty), "-b", "127.0.0.1:1"])

    assert result.exit_code == 1
    assert str(empty) in result.output
    assert "declares no topics" in result.output


def test_topics_plan_empty_list_fails(tmp_path: Path) -> None:
    empty = tmp_path / "topics.yaml"
    empty.write_text("topics: []\n")

    result = runner.invoke(app, ["topics", "plan", "-f", str(empty), "-b", "127.0.0.1:1"])

    assert result.exit_code == 1
    assert "declares no topics" in result.output


def test_schemas_check_empty_folder_fails(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["schemas", "check", "--catalog", str(tmp_path), "--registry", "http://127.0.0.1:1"]
    )

    assert result.exit_code == 1
    assert str(tmp_path) in result.output
    assert "contains no .avsc files" in result.output


def test_schemas_check_catalog_without_events_fails(tmp_path: Path) -> None:
    (tmp_path / "com.example.Money.avsc").write_text(
        '{"type": "record", "name": "Money", "namespace": "com.example",'
        ' "fields": [{"name": "cents", "type": "long"}]}'
    )

    result = runner.invoke(
        app, ["schemas", "check", "--catalog", str(tmp_path), "--registry", "http://127.0.0.1:1"]
    )

    assert result.exit_code == 1
    assert "declares no events" in result.output
