"""LocalKafka's errors for a missing java, a missing mvn and a taken port; storage format.

Nothing here starts a broker; the format case runs Kafka's storage tool (a JVM).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from keybus.cluster import (
    KafkaDistribution,
    LocalKafka,
    PortInUseError,
    ToolNotFoundError,
    kafka_version,
)


def _fetched_distribution(tmp_path: Path) -> KafkaDistribution:
    distribution = KafkaDistribution(version="0.0.0", root=tmp_path / "dist")
    distribution.libs.mkdir(parents=True)
    (distribution.libs / ".complete").write_text("")
    return distribution


def test_start_without_java_names_tool_and_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    cluster = LocalKafka("no-java", port=1, controller_port=2, home=tmp_path)

    with pytest.raises(ToolNotFoundError) as excinfo:
        cluster.start()

    message = str(excinfo.value)
    assert "'java' was not found on PATH" in message
    assert "JAVA_HOME" in message
    assert "Java 17" in message


def test_fetch_without_mvn_names_tool_and_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    distribution = KafkaDistribution(version="4.1.1", root=tmp_path / "dist")

    with pytest.raises(ToolNotFoundError) as excinfo:
        distribution.fetch()

    message = str(excinfo.value)
    assert "'mvn' was not found on PATH" in message
    assert "Apache Kafka 4.1.1" in message
    assert "Install Apache Maven" in message


def test_start_on_taken_port_names_port_and_fix(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        cluster = LocalKafka(
            "port-taken",
            port=taken,
            controller_port=taken + 1 if taken < 65535 else taken - 1,
            home=tmp_path,
            distribution=_fetched_distribution(tmp_path),
        )

        with pytest.raises(PortInUseError) as excinfo:
            cluster.start()

    message = str(excinfo.value)
    assert f"broker port {taken} on 127.0.0.1 is already in use" in message
    assert f"in use by pid {os.getpid()}" in message
    assert "'port-taken'" in message
    assert "choose other ports" in message
    assert "KEYBUS_" not in message
    assert not cluster.pid_file.exists()


def test_port_error_of_region_names_settings() -> None:
    error = PortInUseError("west", 9192, "broker")

    assert "KEYBUS_WEST_KAFKA_PORT and KEYBUS_WEST_CONTROLLER_PORT" in str(error)


def test_fetch_is_a_no_op_once_complete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    distribution = _fetched_distribution(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))

    fetched = distribution.fetch()

    assert fetched is False


def test_kafka_version_is_pinned_4x() -> None:
    version = kafka_version()

    assert version.startswith("4.")


def test_stop_without_running_broker_is_a_no_op(tmp_path: Path) -> None:
    cluster = LocalKafka("idle", port=1, controller_port=2, home=tmp_path)
    cluster.folder.mkdir(parents=True)
    cluster.pid_file.write_text("1\n")

    stopped = cluster.stop()

    assert stopped is False
    assert not cluster.pid_file.exists()


def test_format_accepts_cluster_id_starting_with_dash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A URL-safe base64 cluster id may start with '-'; the storage tool must take it."""
    from keybus.cluster import local  # noqa: PLC0415

    cluster = LocalKafka("dash", port=1, controller_port=2, home=tmp_path)
    cluster.folder.mkdir(parents=True)
    cluster._write_properties()
    monkeypatch.setattr(local.base64, "urlsafe_b64encode", lambda raw: b"-" + b"A" * 21 + b"==")

    cluster._format(local.find_java())

    assert (cluster.data_dir / "meta.properties").exists()
    assert '"-AAAAAAAAAAAAAAAAAAAAA"' in (cluster.folder / "cluster.json").read_text()
