"""LocalKafka against a cluster that already runs: its ports come from its server.properties.

Faked: the running broker is a sleeping Python process whose command line names the
cluster's server.properties, as a real broker's does, so the pid checks accept it. No
Kafka runs and nothing listens on the ports.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from keybus.cluster import (
    BrokerStartError,
    ClusterPortMismatchError,
    KafkaDistribution,
    LocalKafka,
)
from keybus.cluster.local import read_listener_ports
from keybus.cluster.process import pid_alive
from keybus.testing import free_port


def _fetched_distribution(tmp_path: Path) -> KafkaDistribution:
    distribution = KafkaDistribution(version="0.0.0", root=tmp_path / "dist")
    distribution.libs.mkdir(parents=True, exist_ok=True)
    (distribution.libs / ".complete").write_text("")
    return distribution


def _cluster(tmp_path: Path, name: str, port: int, controller_port: int) -> LocalKafka:
    return LocalKafka(
        name,
        port=port,
        controller_port=controller_port,
        home=tmp_path,
        distribution=_fetched_distribution(tmp_path),
        start_timeout_s=1.0,
    )


def _write_listeners(properties_path: Path, port: int, controller_port: int) -> None:
    properties_path.parent.mkdir(parents=True, exist_ok=True)
    properties_path.write_text(
        "process.roles=broker,controller\n"
        f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}\n"
        f"advertised.listeners=PLAINTEXT://127.0.0.1:{port}\n"
    )


@pytest.fixture
def running_east(tmp_path: Path) -> Iterator[tuple[LocalKafka, int]]:
    """Yield cluster east on the ports its running process uses, and that process's pid."""
    cluster = _cluster(tmp_path, "east", free_port(), free_port())
    _write_listeners(cluster.properties_path, cluster.port, cluster.controller_port)
    process = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(120)", str(cluster.properties_path)]
    )
    cluster.pid_file.write_text(f"{process.pid}\n")
    yield cluster, process.pid
    process.kill()
    process.wait()


def test_listener_ports_read_from_properties(tmp_path: Path) -> None:
    path = tmp_path / "server.properties"
    _write_listeners(path, 41092, 41093)

    assert read_listener_ports(path) == (41092, 41093)


def test_listener_ports_missing_file_is_none(tmp_path: Path) -> None:
    assert read_listener_ports(tmp_path / "absent.properties") is None


def test_listener_ports_without_controller_is_none(tmp_path: Path) -> None:
    path = tmp_path / "server.properties"
    path.write_text("listeners=PLAINTEXT://127.0.0.1:41092\n")

    assert read_listener_ports(path) is None


def test_start_on_other_port_fails_fast(
    running_east: tuple[LocalKafka, int], tmp_path: Path
) -> None:
    running, pid = running_east
    requested = _cluster(tmp_path, "east", free_port(), running.controller_port)
    began = time.monotonic()

    with pytest.raises(ClusterPortMismatchError) as caught:
        requested.start()

    elapsed_s = time.monotonic() - began
    message = str(caught.value)
    assert elapsed_s < 5.0
    assert f"already runs as pid {pid} at 127.0.0.1:{running.port}" in message
    assert f"KEYBUS_EAST_KAFKA_PORT sets broker port {requested.port}" in message
    assert "CONTROLLER_PORT sets" not in message
    assert f"set KEYBUS_EAST_KAFKA_PORT={running.port}" in message
    assert "`keybus dev down --regions east`" in message
    assert caught.value.running == (running.port, running.controller_port)


def test_start_on_other_port_leaves_broker_running(
    running_east: tuple[LocalKafka, int], tmp_path: Path
) -> None:
    running, pid = running_east
    requested = _cluster(tmp_path, "east", free_port(), free_port())

    with pytest.raises(ClusterPortMismatchError):
        requested.start()

    assert pid_alive(pid, str(running.properties_path))
    assert requested.pid() == pid
    assert read_listener_ports(running.properties_path) == (running.port, running.controller_port)


def test_mismatch_on_default_ports_says_unset(tmp_path: Path) -> None:
    error = ClusterPortMismatchError("east", 4321, (9092, 9093), (41099, 9093), "east.properties")

    message = str(error)

    assert "unset KEYBUS_EAST_KAFKA_PORT and KEYBUS_EAST_CONTROLLER_PORT" in message
    assert "KEYBUS_EAST_KAFKA_PORT sets broker port 41099" in message


def test_mismatch_of_unnamed_cluster_names_no_variable() -> None:
    error = ClusterPortMismatchError("scratch", 4321, (19092, 19093), (19092, 29093), "x")

    message = str(error)

    assert "KEYBUS_" not in message
    assert "the caller sets controller port 29093" in message


def test_unready_running_broker_is_not_stopped(running_east: tuple[LocalKafka, int]) -> None:
    cluster, pid = running_east

    with pytest.raises(BrokerStartError):
        cluster.start()

    assert pid_alive(pid, str(cluster.properties_path))
    assert cluster.pid_file.exists()


def test_status_shows_running_address(running_east: tuple[LocalKafka, int], tmp_path: Path) -> None:
    running, pid = running_east
    configured = _cluster(tmp_path, "east", free_port(), free_port())

    status = configured.status()

    assert status.pid == pid
    assert status.bootstrap_servers == f"127.0.0.1:{running.port}"
    assert status.configured_bootstrap_servers == f"127.0.0.1:{configured.port}"
