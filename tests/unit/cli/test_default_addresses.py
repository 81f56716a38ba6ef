"""Commands connect to the east region's configured ports by default.

Real: the `keybus` Typer app and librdkafka. No Kafka runs, so each command points at a
free loopback port and must name it, with the setting to change, in its error.
"""

from __future__ import annotations

import socket

import pytest
from typer.testing import CliRunner

from keybus.cli import app

runner = CliRunner()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def east_port(monkeypatch: pytest.MonkeyPatch) -> int:
    port = _free_port()
    monkeypatch.delenv("KEYBUS_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.setenv("KEYBUS_EAST_KAFKA_PORT", str(port))
    return port


def test_run_names_east_port_and_setting(east_port: int) -> None:
    result = runner.invoke(app, ["run", "router", "--workers", "2"])

    assert result.exit_code == 1
    assert "Missing argument" not in result.output
    assert f"Kafka is not reachable at 127.0.0.1:{east_port}" in result.output
    assert "KEYBUS_BOOTSTRAP_SERVERS" in result.output


def test_dev_down_help_says_every_region() -> None:
    result = runner.invoke(app, ["dev", "down", "--help"], env={"COLUMNS": "200"})

    assert result.exit_code == 0
    assert "Default: every known region" in result.output
    assert "KEYBUS_REGIONS, else east" not in result.output
