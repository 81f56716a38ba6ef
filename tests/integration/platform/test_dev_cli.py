"""`keybus dev` and `keybus topics` as a user runs them: real processes, real broker."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from confluent_kafka.admin import AdminClient

from keybus.cluster import KafkaDistribution, keybus_home
from keybus.cluster.process import pid_alive, read_pid
from keybus.testing import KafkaEndpoint, free_port

KEYBUS = [sys.executable, "-m", "keybus.cli"]


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*KEYBUS, *args], env=env, capture_output=True, text=True, timeout=180, check=False
    )


@pytest.fixture
def dev_env(tmp_path: Path) -> dict[str, str]:
    """Environment for a `keybus dev` run with its own state folder and free ports."""
    distribution = KafkaDistribution.default()
    distribution.fetch()
    (tmp_path / distribution.root.name).symlink_to(distribution.root)
    env = dict(os.environ)
    env.update(
        KEYBUS_HOME=str(tmp_path),
        KEYBUS_EAST_KAFKA_PORT=str(free_port()),
        KEYBUS_EAST_CONTROLLER_PORT=str(free_port()),
        KEYBUS_EAST_REGISTRY_PORT=str(free_port()),
        COLUMNS="200",
    )
    return env


def test_dev_up_then_down_leaves_no_kafka_process(dev_env: dict[str, str]) -> None:
    pid_file = Path(dev_env["KEYBUS_HOME"]) / "clusters" / "east" / "kafka.pid"
    registry_pid_file = Path(dev_env["KEYBUS_HOME"]) / "registries" / "east" / "registry.pid"
    registry_url = f"http://127.0.0.1:{dev_env['KEYBUS_EAST_REGISTRY_PORT']}"
    properties = str(pid_file.parent / "server.properties")
    try:
        first = _run(["dev", "up"], dev_env)
        pid = read_pid(pid_file)
        registry_pid = read_pid(registry_pid_file)
        health = httpx.get(f"{registry_url}/health", timeout=5).status_code
        second = _run(["dev", "up"], dev_env)
        status = _run(["dev", "status"], dev_env)
    finally:
        down = _run(["dev", "down"], dev_env)

    assert first.returncode == 0, first.stderr
    assert pid is not None
    assert "Kafka already running" in second.stdout
    assert read_pid(pid_file) is None or read_pid(pid_file) == pid
    assert "running" in status.stdout
    assert registry_url in status.stdout
    assert down.returncode == 0, down.stderr
    assert "stopped east" in down.stdout
    assert not pid_alive(pid, properties)
    assert not pid_file.exists()
    assert registry_pid is not None
    assert health == 200
    assert registry_url in first.stdout
    assert "stopped east registry" in down.stdout
    assert not pid_alive(registry_pid, "registry")


def test_dev_up_unknown_region_is_rejected(dev_env: dict[str, str]) -> None:
    result = _run(["dev", "up", "--regions", "east,north"], dev_env)

    assert result.returncode == 1
    assert "Unknown region(s) north in --regions" in result.stderr
    assert "Known regions: east, west" in result.stderr


def _topics_file(path: Path, name: str, partitions: int, retention_ms: int) -> Path:
    path.write_text(
        f"topics:\n  - name: {name}\n    partitions: {partitions}\n"
        f"    config:\n      retention.ms: {retention_ms}\n"
    )
    return path


def test_topics_apply_creates_grows_and_rejects_shrink(
    kafka: KafkaEndpoint, tmp_path: Path
) -> None:
    name = f"apply-{os.getpid()}-{free_port()}"
    env = dict(os.environ, KEYBUS_BOOTSTRAP_SERVERS=kafka.bootstrap_servers, COLUMNS="200")
    admin = AdminClient({"bootstrap.servers": kafka.bootstrap_servers})
    spec = tmp_path / "topics.yaml"

    planned = _run(["topics", "plan", "-f", str(_topics_file(spec, name, 2, 60000))], env)
    created = _run(["topics", "apply", "-f", str(spec)], env)
    unchanged = _run(["topics", "plan", "-f", str(spec)], env)
    grown = _run(["topics", "apply", "-f", str(_topics_file(spec, name, 4, 120000))], env)
    shrink = _run(["topics", "apply", "-f", str(_topics_file(spec, name, 1, 120000))], env)
    partitions = len(admin.list_topics(name, timeout=10).topics[name].partitions)
    admin.delete_topics([name])[name].result()

    assert planned.returncode == 2
    assert f"+ create {name} partitions=2" in planned.stdout
    assert created.returncode == 0, created.stderr
    assert unchanged.returncode == 0
    assert "0 topic(s) to change, 1 unchanged." in unchanged.stdout
    assert f"~ {name} partitions 2 -> 4" in grown.stdout
    assert f"~ {name} config retention.ms 60000 -> 120000" in grown.stdout
    assert shrink.returncode == 1
    assert f"Topic '{name}' has 4 partitions but its spec asks for 1" in shrink.stderr
    assert partitions == 4


def test_topics_apply_malformed_file_names_place(kafka: KafkaEndpoint, tmp_path: Path) -> None:
    spec = tmp_path / "topics.yaml"
    spec.write_text("topics:\n  - name: good\n    partitions: -3\n")
    env = dict(os.environ, KEYBUS_BOOTSTRAP_SERVERS=kafka.bootstrap_servers, COLUMNS="200")

    result = _run(["topics", "apply", "-f", str(spec)], env)

    assert result.returncode == 1
    assert "topics[good].partitions" in result.stderr
    assert "got -3" in result.stderr


def test_keybus_home_default_is_user_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KEYBUS_HOME", raising=False)

    assert keybus_home() == Path.home() / ".cache" / "keybus"


def test_topics_plan_follows_east_kafka_port(kafka: KafkaEndpoint, tmp_path: Path) -> None:
    name = f"east-port-{os.getpid()}-{free_port()}"
    port = kafka.bootstrap_servers.rpartition(":")[2]
    env = dict(os.environ, KEYBUS_EAST_KAFKA_PORT=port, COLUMNS="200")
    env.pop("KEYBUS_BOOTSTRAP_SERVERS", None)

    planned = _run(
        ["topics", "plan", "-f", str(_topics_file(tmp_path / "t.yaml", name, 1, 60000))], env
    )

    assert planned.returncode == 2, planned.stderr
    assert f"+ create {name} partitions=1" in planned.stdout


def test_dev_up_on_other_port_keeps_running_broker(dev_env: dict[str, str]) -> None:
    pid_file = Path(dev_env["KEYBUS_HOME"]) / "clusters" / "east" / "kafka.pid"
    properties = str(pid_file.parent / "server.properties")
    running_port = dev_env["KEYBUS_EAST_KAFKA_PORT"]
    moved_env = dict(dev_env, KEYBUS_EAST_KAFKA_PORT=str(free_port()))
    try:
        first = _run(["dev", "up"], dev_env)
        pid = read_pid(pid_file)
        began = time.monotonic()
        moved = _run(["dev", "up"], moved_env)
        moved_s = time.monotonic() - began
        status = _run(["dev", "status"], moved_env)
        alive = pid is not None and pid_alive(pid, properties)
        metadata = AdminClient({"bootstrap.servers": f"127.0.0.1:{running_port}"}).list_topics(
            timeout=10
        )
    finally:
        down = _run(["dev", "down"], dev_env)

    assert first.returncode == 0, first.stderr
    assert moved.returncode == 1
    assert moved_s < 15.0
    assert f"already runs as pid {pid} at 127.0.0.1:{running_port}" in moved.stderr
    assert f"set KEYBUS_EAST_KAFKA_PORT={running_port}" in moved.stderr
    assert alive
    assert metadata.brokers
    assert f"127.0.0.1:{running_port} (setting: {moved_env['KEYBUS_EAST_KAFKA_PORT']})" in (
        status.stdout
    )
    assert down.returncode == 0, down.stderr


def test_dev_up_taken_registry_port_starts_nothing(dev_env: dict[str, str]) -> None:
    cluster_folder = Path(dev_env["KEYBUS_HOME"]) / "clusters" / "east"
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        held_port = holder.getsockname()[1]
        env = dict(dev_env, KEYBUS_EAST_REGISTRY_PORT=str(held_port))

        began = time.monotonic()
        result = _run(["dev", "up"], env)
        elapsed_s = time.monotonic() - began

    assert result.returncode == 1
    assert f"port {held_port} on 127.0.0.1 is already in use" in result.stderr
    assert "KEYBUS_EAST_REGISTRY_PORT" in result.stderr
    assert elapsed_s < 15.0
    assert not (cluster_folder / "kafka.pid").exists()
    assert not (cluster_folder / "server.properties").exists()


def test_dev_up_failure_stops_what_it_started(dev_env: dict[str, str]) -> None:
    home = Path(dev_env["KEYBUS_HOME"])
    env = dict(
        dev_env,
        KEYBUS_WEST_KAFKA_PORT=str(free_port()),
        KEYBUS_WEST_CONTROLLER_PORT=str(free_port()),
        KEYBUS_WEST_REGISTRY_PORT=str(free_port()),
    )
    # Storage formatted for another node id makes the west broker exit at start, after
    # east's Kafka and registry have started.
    west_data = home / "clusters" / "west" / "data"
    west_data.mkdir(parents=True)
    (west_data / "meta.properties").write_text(
        "version=1\ncluster.id=AAAAAAAAAAAAAAAAAAAAAA\nnode.id=7\n"
        "directory.id=AAAAAAAAAAAAAAAAAAAAAA\n"
    )
    east_pid_file = home / "clusters" / "east" / "kafka.pid"
    registry_pid_file = home / "registries" / "east" / "registry.pid"
    try:
        result = _run(["dev", "up", "--regions", "east,west"], env)
        registry_pid = read_pid(registry_pid_file)
    finally:
        down = _run(["dev", "down"], env)

    assert result.returncode == 1
    assert "Kafka cluster 'west' failed to start" in result.stderr
    assert "stopped east Kafka (pid" in result.stderr
    assert "stopped east registry (pid" in result.stderr
    assert not east_pid_file.exists()
    assert registry_pid is not None
    assert not pid_alive(registry_pid, "registry\x00serve")
    assert "east was not running" in down.stdout
