"""The background registry process that `keybus dev up` runs next to a region's Kafka.

Real: a detached `keybus registry serve` process with a pid file, on the session's Kafka.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from keybus.registry.server.local import LocalRegistry, RegistryPortInUseError
from keybus.testing.backends import KafkaEndpoint, free_port


def test_start_status_stop(kafka: KafkaEndpoint, tmp_path: Path) -> None:
    topic = f"_schemas-local-{uuid.uuid4().hex[:8]}"
    registry = LocalRegistry("test", kafka.bootstrap_servers, free_port(), tmp_path, topic)

    started = registry.start()
    again = registry.start()
    health = httpx.get(f"{registry.url}/health").json()
    pid = registry.pid()
    stopped = registry.stop()

    assert started is True
    assert again is False
    assert health["status"] == "UP"
    assert pid is not None
    assert stopped is True
    assert registry.pid() is None
    assert registry.stop() is False
    assert "Registry serving" in registry.log_path.read_text()


def test_port_of_other_registry_is_rejected(
    kafka: KafkaEndpoint, schema_registry: str, tmp_path: Path
) -> None:
    taken = int(schema_registry.rpartition(":")[2])
    topic = f"_schemas-local-{uuid.uuid4().hex[:8]}"
    registry = LocalRegistry("west", kafka.bootstrap_servers, taken, tmp_path, topic)

    with pytest.raises(RegistryPortInUseError) as caught:
        registry.start()

    message = str(caught.value)
    assert f"port {taken} on 127.0.0.1 is already in use by pid" in message
    assert "registry serve" in message
    assert "KEYBUS_WEST_REGISTRY_PORT" in message
    assert registry.pid() is None
    assert not registry.log_path.exists()
