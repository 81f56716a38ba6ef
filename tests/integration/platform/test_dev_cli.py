"""`keybus dev` and `keybus topics` as a user runs them: real processes, real broker."""

from __future__ import annotations

import os
import subprocess
import sys
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
