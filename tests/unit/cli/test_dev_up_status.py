"""`keybus dev status` and the port checks of `keybus dev up`, on faked running processes.

Faked: each running Kafka, registry and MirrorMaker is a sleeping Python process whose
command line carries what the real one's does (the server.properties path, `registry
serve --port N`, the mm2.properties path), recorded in a pid file under a temporary
KEYBUS_HOME. No Kafka runs and nothing listens on the ports.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from keybus.cli import app
from keybus.cli import dev as dev_cli
from keybus.cli import mirror as mirror_cli
from keybus.cli.dev import check_up_ports
from keybus.cli.mirror import check_dev_mirror, dev_mirror
from keybus.cluster import ClusterPortMismatchError, region_cluster
from keybus.cluster.process import pid_alive
from keybus.errors import ConfigurationError
from keybus.registry.server.local import (
    RegistryPortInUseError,
    RegistryPortMismatchError,
    region_registry,
)
from keybus.testing import free_port

runner = CliRunner()

_SLEEP = [sys.executable, "-c", "import time; time.sleep(120)"]


class FakeProcesses:
    """Sleeping processes that stand in for running ones, killed after the test."""

    def __init__(self) -> None:
        self.processes: list[subprocess.Popen[bytes]] = []

    def run(self, arguments: list[str], pid_file: Path) -> int:
        process = subprocess.Popen([*_SLEEP, *arguments])
        self.processes.append(process)
        pid_file.parent.mkdir(parents=True, exist_ok=True)
        pid_file.write_text(f"{process.pid}\n")
        return process.pid

    def kill_all(self) -> None:
        for process in self.processes:
            process.kill()
            process.wait()


@pytest.fixture
def fakes() -> Iterator[FakeProcesses]:
    processes = FakeProcesses()
    yield processes
    processes.kill_all()


@pytest.fixture
def region_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Set KEYBUS_HOME and free ports for both regions, and return them as variables."""
    env = {
        "KEYBUS_HOME": str(tmp_path),
        "KEYBUS_EAST_KAFKA_PORT": str(free_port()),
        "KEYBUS_EAST_CONTROLLER_PORT": str(free_port()),
        "KEYBUS_EAST_REGISTRY_PORT": str(free_port()),
        "KEYBUS_WEST_KAFKA_PORT": str(free_port()),
        "KEYBUS_WEST_CONTROLLER_PORT": str(free_port()),
        "KEYBUS_WEST_REGISTRY_PORT": str(free_port()),
        "COLUMNS": "300",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def _run_west_kafka(fakes: FakeProcesses) -> int:
    cluster = region_cluster("west")
    cluster.folder.mkdir(parents=True)
    cluster.properties_path.write_text(
        f"listeners=PLAINTEXT://127.0.0.1:{cluster.port},"
        f"CONTROLLER://127.0.0.1:{cluster.controller_port}\n"
    )
    return fakes.run([str(cluster.properties_path)], cluster.pid_file)


def _run_west_registry(fakes: FakeProcesses) -> int:
    registry = region_registry("west")
    arguments = ["registry", "serve", "--port", str(registry.port)]
    return fakes.run(arguments, registry.folder / "registry.pid")


def test_status_shows_running_kafka_address(
    fakes: FakeProcesses, region_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _run_west_kafka(fakes)
    running_port = region_env["KEYBUS_WEST_KAFKA_PORT"]
    other_port = str(free_port())
    monkeypatch.setenv("KEYBUS_WEST_KAFKA_PORT", other_port)

    result = runner.invoke(app, ["dev", "status"])

    assert result.exit_code == 0, result.output
    assert f"127.0.0.1:{running_port} (setting: {other_port})" in result.output
    assert f"west Kafka runs on 127.0.0.1:{running_port}" in result.output
    assert f"KEYBUS_WEST_KAFKA_PORT={other_port} sets port {other_port}" in result.output


def test_status_shows_running_registry_url(
    fakes: FakeProcesses, region_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _run_west_kafka(fakes)
    _run_west_registry(fakes)
    running_port = region_env["KEYBUS_WEST_REGISTRY_PORT"]
    other_port = str(free_port())
    monkeypatch.setenv("KEYBUS_WEST_REGISTRY_PORT", other_port)

    result = runner.invoke(app, ["dev", "status"])

    assert result.exit_code == 0, result.output
    assert f"http://127.0.0.1:{running_port} (setting: {other_port})" in result.output
    assert f"west registry runs at http://127.0.0.1:{running_port}" in result.output


def test_status_without_mismatch_has_no_note(
    fakes: FakeProcesses, region_env: dict[str, str]
) -> None:
    _run_west_kafka(fakes)
    _run_west_registry(fakes)

    result = runner.invoke(app, ["dev", "status"])

    assert result.exit_code == 0, result.output
    assert "note:" not in result.output
    assert "setting:" not in result.output
    assert f"http://127.0.0.1:{region_env['KEYBUS_WEST_REGISTRY_PORT']}" in result.output


def test_status_shows_running_mirrormaker(fakes: FakeProcesses, region_env: dict[str, str]) -> None:
    mirror = dev_mirror("active-passive", {"east": "127.0.0.1:1", "west": "127.0.0.1:2"})
    mirror.folder.mkdir(parents=True)
    mirror.properties_path.write_text(mirror.render_properties())
    pid = fakes.run([str(mirror.properties_path)], mirror.pid_file)

    result = runner.invoke(app, ["dev", "status"])

    assert result.exit_code == 0, result.output
    assert f"MirrorMaker 2: running, pid {pid}, active-passive" in result.output
    assert str(mirror.log_path) in result.output


def test_status_shows_stale_mirrormaker_pid_file(region_env: dict[str, str]) -> None:
    mirror = dev_mirror()
    mirror.folder.mkdir(parents=True)
    mirror.pid_file.write_text("999999999\n")

    result = runner.invoke(app, ["dev", "status"])

    assert "MirrorMaker 2: stopped" in result.output
    assert "unknown topology" in result.output


def test_status_without_mirrormaker_omits_it(region_env: dict[str, str]) -> None:
    result = runner.invoke(app, ["dev", "status"])

    assert result.exit_code == 0, result.output
    assert "MirrorMaker" not in result.output


def test_up_ports_reject_shared_port(
    region_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEYBUS_EAST_REGISTRY_PORT", region_env["KEYBUS_WEST_KAFKA_PORT"])
    regions = ["east", "west"]

    with pytest.raises(ConfigurationError) as caught:
        check_up_ports(
            [region_cluster(name) for name in regions], [region_registry(name) for name in regions]
        )

    message = str(caught.value)
    assert f"Port {region_env['KEYBUS_WEST_KAFKA_PORT']} is set both by" in message
    assert "KEYBUS_EAST_REGISTRY_PORT" in message
    assert "KEYBUS_WEST_KAFKA_PORT" in message


def test_up_ports_reject_taken_registry_port(region_env: dict[str, str]) -> None:
    registry = region_registry("west")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", registry.port))
        holder.listen()

        with pytest.raises(RegistryPortInUseError) as caught:
            check_up_ports([region_cluster("west")], [registry])

    assert f"port {registry.port} on 127.0.0.1 is already in use" in str(caught.value)


def test_up_ports_reject_running_kafka_elsewhere(
    fakes: FakeProcesses, region_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _run_west_kafka(fakes)
    monkeypatch.setenv("KEYBUS_WEST_CONTROLLER_PORT", str(free_port()))

    with pytest.raises(ClusterPortMismatchError) as caught:
        check_up_ports([region_cluster("west")], [region_registry("west")])

    assert "KEYBUS_WEST_CONTROLLER_PORT sets controller port" in str(caught.value)


def test_up_ports_reject_running_registry_elsewhere(
    fakes: FakeProcesses, region_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _run_west_kafka(fakes)
    pid = _run_west_registry(fakes)
    running_port = region_env["KEYBUS_WEST_REGISTRY_PORT"]
    monkeypatch.setenv("KEYBUS_WEST_REGISTRY_PORT", str(free_port()))

    with pytest.raises(RegistryPortMismatchError) as caught:
        check_up_ports([region_cluster("west")], [region_registry("west")])

    message = str(caught.value)
    assert f"already runs as pid {pid} at http://127.0.0.1:{running_port}" in message
    assert f"set KEYBUS_WEST_REGISTRY_PORT={running_port}" in message


def test_up_ports_accept_running_processes(
    fakes: FakeProcesses, region_env: dict[str, str]
) -> None:
    _run_west_kafka(fakes)
    _run_west_registry(fakes)

    check_up_ports([region_cluster("west")], [region_registry("west")])


def test_mirror_of_other_topology_is_rejected(
    fakes: FakeProcesses, region_env: dict[str, str]
) -> None:
    mirror = dev_mirror("active-active", {"east": "127.0.0.1:1", "west": "127.0.0.1:2"})
    mirror.folder.mkdir(parents=True)
    mirror.properties_path.write_text(mirror.render_properties())
    pid = fakes.run([str(mirror.properties_path)], mirror.pid_file)

    with pytest.raises(ConfigurationError) as caught:
        check_dev_mirror("active-passive", ["east", "west"])

    message = str(caught.value)
    assert f"already runs as pid {pid} with topology active-active" in message
    assert "--mirror active-active" in message


def test_mirror_of_one_region_is_rejected(region_env: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError, match="needs two regions, got east"):
        check_dev_mirror("active-passive", ["east"])


def test_up_failing_mirror_stops_started_processes(
    fakes: FakeProcesses, region_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    kafka_pid = _run_west_kafka(fakes)
    registry_pid = _run_west_registry(fakes)
    cluster = region_cluster("west")

    def fail_mirror(topology: str, regions: list[str]) -> None:
        raise ConfigurationError(f"MirrorMaker {topology} failed for {regions}")

    # The fakes stand in for a Kafka and a registry that this `dev up` has just started.
    monkeypatch.setattr(dev_cli, "_start", lambda _progress, _cluster: True)
    monkeypatch.setattr(dev_cli, "_start_registry", lambda _progress, _registry: True)
    monkeypatch.setattr(mirror_cli, "start_dev_mirror", fail_mirror)

    result = runner.invoke(
        app, ["dev", "up", "--regions", "east,west", "--mirror", "active-passive"]
    )

    assert result.exit_code == 1
    assert "MirrorMaker active-passive failed" in result.output
    assert f"stopped west Kafka (pid {kafka_pid})" in result.output
    assert f"stopped west registry (pid {registry_pid})" in result.output
    assert not pid_alive(kafka_pid, str(cluster.properties_path))
    assert not pid_alive(registry_pid, "registry\x00serve")
