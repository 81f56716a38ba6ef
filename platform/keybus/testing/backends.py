"""Sources of the test Kafka: an existing cluster, a container, or a local process."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from keybus.cluster import LocalKafka
from keybus.errors import ConfigurationError

__all__ = ["KafkaEndpoint", "docker_available", "free_port", "local_kafka", "provide_kafka"]

logger = logging.getLogger(__name__)

BACKENDS = ("env", "container", "local")

# Confluent Platform 8.1 ships Apache Kafka 4.1, the release deploy/kafka/pom.xml pins.
# NOTE: the container path is exercised only on machines with a Docker engine; the
# repository's own CI has none and runs the local process.
CONTAINER_IMAGE = "confluentinc/cp-kafka:8.1.0"


@dataclass(frozen=True)
class KafkaEndpoint:
    """A Kafka cluster for a test session.

    Attributes:
        bootstrap_servers: the `bootstrap.servers` value for clients.
        backend: `env`, `container` or `local`.
        cluster: the local process, when backend is `local`; tests that must
            stop or kill a broker start their own LocalKafka instead.
    """

    bootstrap_servers: str
    backend: str
    cluster: LocalKafka | None = None


def free_port() -> int:
    """Return a loopback port that is free now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def docker_available() -> bool:
    """Return whether a Docker engine responds to a ping within two seconds."""
    return _docker_problem() is None


def _docker_problem() -> str | None:
    """Return why no Docker engine can be used, or None when one responds to a ping."""
    try:
        import docker  # noqa: PLC0415 - optional, comes with testcontainers
        import testcontainers  # noqa: F401, PLC0415
    except ImportError as exc:
        return f"the Python package {exc.name} is not installed"
    try:
        client = docker.from_env(timeout=2)
        client.ping()
    except Exception as exc:  # noqa: BLE001 - any failure means no usable engine
        return f"{type(exc).__name__}: {exc}"
    return None


def _choose_backend() -> str:
    forced = os.environ.get("KEYBUS_TEST_BACKEND")
    if forced:
        if forced not in BACKENDS:
            raise ConfigurationError(
                f"KEYBUS_TEST_BACKEND={forced!r} is not a backend. Use one of: "
                + ", ".join(BACKENDS)
                + "."
            )
        if forced == "container":
            _check_docker()
        return forced
    if os.environ.get("KEYBUS_BOOTSTRAP_SERVERS"):
        return "env"
    return "container" if docker_available() else "local"


def _check_docker() -> None:
    problem = _docker_problem()
    if problem is not None:
        raise ConfigurationError(
            "KEYBUS_TEST_BACKEND=container needs a Docker engine, but Docker is not "
            f"reachable ({problem}). Start Docker, or set KEYBUS_TEST_BACKEND=local to run "
            "Kafka as a local process."
        )


@contextlib.contextmanager
def provide_kafka() -> Iterator[KafkaEndpoint]:
    """Yield a Kafka for the session and stop whatever was started for it."""
    backend = _choose_backend()
    logger.info("test kafka backend=%s", backend)
    if backend == "env":
        servers = os.environ.get("KEYBUS_BOOTSTRAP_SERVERS")
        if not servers:
            raise ConfigurationError(
                "KEYBUS_TEST_BACKEND=env needs KEYBUS_BOOTSTRAP_SERVERS, for example "
                "KEYBUS_BOOTSTRAP_SERVERS=127.0.0.1:9092."
            )
        yield KafkaEndpoint(bootstrap_servers=servers, backend="env")
    elif backend == "container":
        with _container_kafka() as endpoint:
            yield endpoint
    else:
        with local_kafka("pytest") as cluster:
            yield KafkaEndpoint(cluster.bootstrap_servers, backend="local", cluster=cluster)


@contextlib.contextmanager
def local_kafka(prefix: str, **overrides: object) -> Iterator[LocalKafka]:
    """Run a throwaway LocalKafka on free ports; its files live in a temporary folder.

    The jars come from the shared cache under KEYBUS_HOME, so only the first use downloads.
    """
    with tempfile.TemporaryDirectory(prefix=f"keybus-{prefix}-") as folder:
        cluster = LocalKafka(
            name=f"{prefix}-{os.getpid()}",
            port=free_port(),
            controller_port=free_port(),
            home=Path(folder),
            with_parent=True,
            **overrides,  # type: ignore[arg-type]
        )
        try:
            cluster.start()
            yield cluster
        finally:
            cluster.stop()


@contextlib.contextmanager
def _container_kafka() -> Iterator[KafkaEndpoint]:
    from testcontainers.community.kafka import KafkaContainer  # noqa: PLC0415

    with KafkaContainer(CONTAINER_IMAGE).with_kraft() as container:
        yield KafkaEndpoint(container.get_bootstrap_server(), backend="container")
