"""A local registry whose port answers /health from another process is not taken as ours.

Real: an HTTP server on a free loopback port in this process, answering /health as a
registry does. No Kafka runs; the registry must fail before it spawns anything.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from keybus.registry.server.local import LocalRegistry, RegistryPortInUseError


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"status": "UP"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def other_registry() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_healthy_port_of_other_process_fails(other_registry: int, tmp_path: Path) -> None:
    registry = LocalRegistry("west", "127.0.0.1:1", other_registry, tmp_path)

    with pytest.raises(RegistryPortInUseError) as caught:
        registry.start()

    message = str(caught.value)
    assert f"port {other_registry} on 127.0.0.1 is already in use by pid {os.getpid()}" in message
    assert "KEYBUS_WEST_REGISTRY_PORT" in message
    assert not (registry.folder / "registry.pid").exists()


def test_unnamed_registry_names_no_setting(other_registry: int, tmp_path: Path) -> None:
    registry = LocalRegistry("scratch", "127.0.0.1:1", other_registry, tmp_path)

    with pytest.raises(RegistryPortInUseError) as caught:
        registry.start()

    assert "KEYBUS_" not in str(caught.value)
