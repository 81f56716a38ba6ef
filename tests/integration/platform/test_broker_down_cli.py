"""Commands fail fast and clearly when Kafka or the registry is down, and wait for a slow broker.

Real: `keybus` processes started as a user starts them (interpreter start included in
the times), loopback sockets, and the session's Kafka. Kafka being down is a free
loopback port, or a port whose full backlog makes connections time out. The registry
being down is a free loopback port. The slow broker is a loopback proxy in front of the
session's Kafka that holds back each connection's first request.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from keybus.testing import KafkaEndpoint, free_port, unresponsive_port
from keybus.testing.plugin import TopicFactory

KEYBUS = [sys.executable, "-m", "keybus.cli"]
CONNECT_TIMEOUT_S = 5.0
START_ALLOWANCE_S = 10.0
"""Time for the interpreter to start and import keybus: 1.5 s measured for `keybus dlq
list` on a 2-core machine, and several times that while other processes load it."""


def _keybus(
    args: list[str], tmp_path: Path, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], float]:
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in ("KEYBUS_BOOTSTRAP_SERVERS", "KEYBUS_CONNECT_TIMEOUT_S")
    }
    environment.update(KEYBUS_HOME=str(tmp_path / "home"), COLUMNS="1000", **(env or {}))
    started = time.monotonic()
    result = subprocess.run(
        [*KEYBUS, *args], env=environment, capture_output=True, text=True, timeout=120, check=False
    )
    return result, time.monotonic() - started


def _event_log(folder: Path) -> Path:
    path = folder / "orders.csv"
    path.write_text(
        "case:concept:name,concept:name,time:timestamp\n"
        "o-1,placed,2026-03-02T12:00:00Z\n"
        "o-1,paid,2026-03-02T12:05:00Z\n"
    )
    return path


def test_dlq_list_fails_at_once_on_refusal(tmp_path: Path) -> None:
    servers = f"127.0.0.1:{free_port()}"

    result, elapsed = _keybus(["dlq", "list", "orders.billing.dlq", "-b", servers], tmp_path)

    assert result.returncode == 1
    assert elapsed < CONNECT_TIMEOUT_S + START_ALLOWANCE_S
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(
        f"error: Kafka is not reachable at {servers}: {servers} refused the connection. "
        "Start the broker (`keybus dev up` starts a local one), or set --bootstrap-servers "
        "(-b) or KEYBUS_BOOTSTRAP_SERVERS to the address of a running one."
    )


def test_import_fails_after_connect_timeout(tmp_path: Path) -> None:
    with unresponsive_port() as port:
        result, elapsed = _keybus(
            ["import", str(_event_log(tmp_path)), "--topic", "orders"],
            tmp_path,
            {"KEYBUS_BOOTSTRAP_SERVERS": f"127.0.0.1:{port}", "KEYBUS_CONNECT_TIMEOUT_S": "2"},
        )

    assert result.returncode == 1
    assert 2.0 <= elapsed < 2.0 + START_ALLOWANCE_S
    assert result.stderr.count("\n") == 1, result.stderr
    assert f"127.0.0.1:{port} did not accept a connection within 2 s" in result.stderr


def test_registry_serve_fails_at_once(tmp_path: Path) -> None:
    servers = f"127.0.0.1:{free_port()}"

    result, elapsed = _keybus(
        ["registry", "serve", "-b", servers, "--port", str(free_port())], tmp_path
    )

    assert result.returncode == 1
    assert elapsed < CONNECT_TIMEOUT_S + START_ALLOWANCE_S
    assert f"Registry not started: Kafka is not reachable at {servers}" in result.stderr
    assert "KEYBUS_REGISTRY_BOOTSTRAP_SERVERS" in result.stderr


def test_import_names_registry_that_is_down(
    kafka: KafkaEndpoint, topic: TopicFactory, tmp_path: Path
) -> None:
    target = topic()
    progress = topic(name=f"{target}.import-progress", config={"cleanup.policy": "compact"})
    registry = f"http://127.0.0.1:{free_port()}"
    args = ["import", str(_event_log(tmp_path)), "--topic", target, "--progress-topic", progress]

    result, elapsed = _keybus(
        [*args, "-b", kafka.bootstrap_servers, "--registry", registry], tmp_path
    )

    assert result.returncode == 1
    assert elapsed < CONNECT_TIMEOUT_S + START_ALLOWANCE_S
    assert f"Schema registry at {registry} did not answer" in result.stderr
    assert "Connection refused" in result.stderr


@contextlib.contextmanager
def _slow_proxy(upstream: str, delay_s: float) -> Iterator[int]:
    """Forward a loopback port to `upstream`, holding each connection's first bytes back."""
    host, port = upstream.rsplit(":", 1)
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    connections: list[socket.socket] = []

    def pump(source: socket.socket, sink: socket.socket, hold_s: float) -> None:
        with contextlib.suppress(OSError):
            chunk = source.recv(65536)
            time.sleep(hold_s)
            while chunk and not stop.is_set():
                sink.sendall(chunk)
                chunk = source.recv(65536)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def accept() -> None:
        with contextlib.suppress(OSError):
            while not stop.is_set():
                client, _address = listener.accept()
                server = socket.create_connection((host, int(port)))
                connections.extend((client, server))
                for source, sink, hold_s in ((client, server, delay_s), (server, client, 0.0)):
                    threading.Thread(target=pump, args=(source, sink, hold_s), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        listener.close()
        for connection in connections:
            connection.close()


def test_slow_broker_outlasts_connect_timeout(kafka: KafkaEndpoint, tmp_path: Path) -> None:
    name = f"broker-down-slow-{uuid.uuid4().hex[:8]}"
    topics_file = tmp_path / "topics.yaml"
    topics_file.write_text(f"topics:\n  - name: {name}\n    partitions: 1\n")

    with _slow_proxy(kafka.bootstrap_servers, delay_s=3.0) as port:
        result, elapsed = _keybus(
            ["topics", "plan", "-f", str(topics_file), "-b", f"127.0.0.1:{port}"],
            tmp_path,
            {"KEYBUS_CONNECT_TIMEOUT_S": "1"},
        )

    assert result.returncode == 2, result.stdout + result.stderr
    assert elapsed >= 3.0
    assert f"+ create {name}" in result.stdout
