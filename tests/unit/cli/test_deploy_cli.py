"""`keybus deploy` keeps workers per processor and checks settings before it starts any.

Real: the Typer app, files under a temporary KEYBUS_HOME and, for the status test, a
sleeping Python process that acts as a worker of another processor. No Kafka
runs, so `up` must fail on settings before it tries to connect.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from keybus.cli import app

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KEYBUS_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def router_worker(home: Path) -> Iterator[int]:
    """Start a stand-in worker 0 of the processor `router`, recorded as `deploy up` does."""
    folder = home / "processors" / "router"
    folder.mkdir(parents=True)
    marker = str(folder / "worker-0.data")
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", marker])
    (folder / "worker-0.pid").write_text(f"{process.pid}\n")
    yield process.pid
    process.kill()
    process.wait()


def test_status_shows_only_own_workers(router_worker: int, tmp_path: Path) -> None:
    path = tmp_path / "p3.yaml"
    path.write_text("processors:\n  - {name: r, topology: router}\n")

    result = runner.invoke(app, ["deploy", "status", "-f", str(path)], env={"COLUMNS": "200"})

    assert result.exit_code == 0, result.output
    assert str(router_worker) not in result.output


def test_down_leaves_other_processor_running(router_worker: int, tmp_path: Path) -> None:
    path = tmp_path / "p3.yaml"
    path.write_text("processors:\n  - {name: r, topology: router}\n")

    result = runner.invoke(app, ["deploy", "down", "-f", str(path)])

    assert result.exit_code == 0, result.output
    assert "stopped r: 0 worker(s)" in result.output
    assert Path(f"/proc/{router_worker}").exists()


@pytest.mark.usefixtures("home")
@pytest.mark.parametrize("command", ["up", "render"])
def test_invalid_setting_is_rejected(command: str, tmp_path: Path) -> None:
    path = tmp_path / "p3.yaml"
    path.write_text(
        "processors:\n  - name: r\n    topology: router\n"
        "    env: {KEYBUS_PROCESSING_GUARANTEE: maybe}\n"
    )

    result = runner.invoke(app, ["deploy", command, "-f", str(path)], env={"COLUMNS": "200"})

    assert result.exit_code == 1
    assert "processor 'r': KEYBUS_PROCESSING_GUARANTEE='maybe' is invalid" in result.output


def test_render_options_reach_containers(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("processors:\n  - {name: r, topology: router}\n")
    arguments = [
        "deploy", "render", "-f", str(path),
        "--bootstrap-servers", "kafka:9092", "--registry-url", "http://registry:8081",
    ]  # fmt: skip

    result = runner.invoke(app, arguments)

    assert result.exit_code == 0, result.output
    assert "name: KEYBUS_BOOTSTRAP_SERVERS\n          value: kafka:9092" in result.output
    assert "name: KEYBUS_REGISTRY_URL\n          value: http://registry:8081" in result.output
