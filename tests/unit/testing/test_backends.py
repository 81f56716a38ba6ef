"""The pytest plugin's choice of test Kafka, from KEYBUS_TEST_BACKEND and the machine.

Real: the backend choice of keybus.testing.backends. Faked: the Docker probe, so that
the test does not depend on whether this machine runs a Docker engine.
"""

from __future__ import annotations

import pytest

from keybus.errors import ConfigurationError
from keybus.testing import backends


def test_container_backend_without_docker_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYBUS_TEST_BACKEND", "container")
    monkeypatch.setattr(
        backends, "_docker_problem", lambda: "DockerException: Error while fetching server"
    )

    with pytest.raises(ConfigurationError) as raised, backends.provide_kafka():
        pass

    message = raised.value.message
    assert "KEYBUS_TEST_BACKEND=container needs a Docker engine" in message
    assert "Docker is not reachable (DockerException: Error while fetching server)" in message
    assert "set KEYBUS_TEST_BACKEND=local" in message


def test_container_backend_with_docker_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYBUS_TEST_BACKEND", "container")
    monkeypatch.setattr(backends, "_docker_problem", lambda: None)

    assert backends._choose_backend() == "container"


def test_unknown_backend_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYBUS_TEST_BACKEND", "docker")

    with pytest.raises(ConfigurationError) as raised:
        backends._choose_backend()

    assert "KEYBUS_TEST_BACKEND='docker' is not a backend" in raised.value.message
