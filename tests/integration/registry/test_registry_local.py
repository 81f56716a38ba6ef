"""The background registry process that `keybus dev up` runs next to a region's Kafka.

Real: a detached `keybus registry serve` process with a pid file, on the session's Kafka.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from keybus.registry.server.local import LocalRegistry
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
