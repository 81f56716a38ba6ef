"""Registry processes for tests: the session `schema_registry` fixture and its helpers."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import httpx
import pytest

from keybus.cluster.process import stop_with_parent
from keybus.testing.backends import KafkaEndpoint, free_port

__all__ = [
    "RegistryFactory",
    "RegistryProcess",
    "registry_factory",
    "schema_registry",
    "start_registry",
]

logger = logging.getLogger(__name__)

_READY_TIMEOUT_S = 60.0


class RegistryProcess:
    """One `keybus registry serve` subprocess on a free loopback port.

    Attributes:
        url: the base URL, for example `http://127.0.0.1:40123`.
        schemas_topic: the topic it stores schemas in.
        log_path: where its standard output and error go.
    """

    def __init__(
        self, process: subprocess.Popen[bytes], url: str, schemas_topic: str, log_path: Path
    ) -> None:
        self.process = process
        self.url = url
        self.schemas_topic = schemas_topic
        self.log_path = log_path

    def wait_ready(self, *, primary: bool = False, timeout_s: float = _READY_TIMEOUT_S) -> None:
        """Wait until the instance answers /health, and is the primary if `primary`."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"Registry at {self.url} exited with {self.process.returncode}; "
                    f"see {self.log_path}:\n{self.log_tail()}"
                )
            try:
                health = httpx.get(f"{self.url}/health", timeout=2.0).json()
            except httpx.HTTPError:
                health = None
            if health is not None and (health["is_primary"] or not primary):
                return
            time.sleep(0.1)
        raise TimeoutError(
            f"Registry at {self.url} not ready within {timeout_s} s:\n{self.log_tail()}"
        )

    def stop(self, timeout_s: float = 15.0) -> None:
        """Stop the instance with SIGTERM, then SIGKILL if it does not exit in time."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self) -> None:
        """Kill the instance with SIGKILL, as a crash would."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10.0)

    def log_tail(self, lines: int = 30) -> str:
        """Return the last lines of the instance's log."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def start_registry(
    bootstrap_servers: str,
    *,
    schemas_topic: str | None = None,
    log_dir: Path,
    extra_args: Sequence[str] = (),
) -> RegistryProcess:
    """Start `keybus registry serve` on a free port; call `wait_ready` before use."""
    port = free_port()
    topic = schemas_topic or f"_schemas-{uuid.uuid4().hex[:12]}"
    log_path = log_dir / f"registry-{port}.log"
    command = [
        sys.executable,
        "-m",
        "keybus.cli",
        "registry",
        "serve",
        "--bootstrap-servers",
        bootstrap_servers,
        "--port",
        str(port),
        "--schemas-topic",
        topic,
        *extra_args,
    ]
    environment = {**os.environ, "KEYBUS_LOG_LEVEL": os.environ.get("KEYBUS_LOG_LEVEL", "INFO")}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=environment,
            preexec_fn=stop_with_parent,  # noqa: PLW1509 - only calls prctl before exec
        )
    logger.info("Started registry pid=%s port=%s schemas_topic=%s", process.pid, port, topic)
    return RegistryProcess(process, f"http://127.0.0.1:{port}", topic, log_path)


@pytest.fixture(scope="session")
def schema_registry(
    kafka: KafkaEndpoint, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Run one keybus registry against the session's Kafka and provide its base URL."""
    registry = start_registry(kafka.bootstrap_servers, log_dir=tmp_path_factory.mktemp("registry"))
    try:
        registry.wait_ready(primary=True)
        yield registry.url
    finally:
        registry.stop()


RegistryFactory = Callable[..., RegistryProcess]
"""Start a private registry: `(schemas_topic=None, extra_args=(), *, primary=True)`."""


@pytest.fixture
def registry_factory(kafka: KafkaEndpoint, tmp_path: Path) -> Iterator[RegistryFactory]:
    """Start private registry instances for one test and stop them afterwards.

    Each call starts one instance and waits until it serves (and, with `primary=True`,
    until it is the primary); instances that share a `schemas_topic` form one cluster.
    """
    started: list[RegistryProcess] = []

    def start(
        schemas_topic: str | None = None, extra_args: Sequence[str] = (), *, primary: bool = True
    ) -> RegistryProcess:
        registry = start_registry(
            kafka.bootstrap_servers,
            schemas_topic=schemas_topic,
            log_dir=tmp_path,
            extra_args=extra_args,
        )
        started.append(registry)
        registry.wait_ready(primary=primary)
        return registry

    yield start

    for registry in started:
        registry.stop()
