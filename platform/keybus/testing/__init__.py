"""Test support for services built on keybus: Kafka and registry fixtures for pytest."""

from __future__ import annotations

from keybus.testing.backends import KafkaEndpoint, docker_available, free_port, local_kafka
from keybus.testing.sockets import unresponsive_port

__all__ = ["KafkaEndpoint", "docker_available", "free_port", "local_kafka", "unresponsive_port"]
