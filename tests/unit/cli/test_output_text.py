"""Help, tables and counts of the keybus command, run in-process; nothing is started."""

from __future__ import annotations

import io

import pytest
from typer.testing import CliRunner

from keybus.cli import app
from keybus.cli.console import PIPED_WIDTH, _width
from keybus.errors import counted
from keybus.schemas.gate import GateResult, render_report
from keybus.types import Subject


@pytest.mark.parametrize("command", ["demo", "run"])
def test_command_usage_without_subcommand(command: str) -> None:
    result = CliRunner().invoke(app, [command, "--help"])

    assert result.exit_code == 0, result.output
    assert f"Usage: keybus {command} [OPTIONS]" in result.output
    assert "COMMAND [ARGS]" not in result.output


def test_piped_output_not_cut_at_80_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)

    assert _width(io.StringIO()) == PIPED_WIDTH


def test_columns_variable_respected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")

    assert _width(io.StringIO()) is None


@pytest.mark.parametrize(
    ("count", "expected"), [(0, "0 records"), (1, "1 record"), (2, "2 records")]
)
def test_counted_agrees_in_number(count: int, expected: str) -> None:
    assert counted(count, "record") == expected


def test_gate_report_one_registered_version() -> None:
    result = GateResult(
        event_type="com.example.access.DoorUnlocked",
        subject=Subject("lock-devices-com.example.access.DoorUnlocked"),
        compatibility_level="BACKWARD",
        registered_versions=1,
        already_registered=True,
        problems=[],
    )

    report = render_report([result])

    assert "1 registered version)" in report
    assert "1 schema checked" in report
