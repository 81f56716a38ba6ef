"""keybus's own schema registry: Confluent's REST API over a Kafka-backed store."""

from __future__ import annotations

from keybus.registry.server.app import create_app, serve
from keybus.registry.server.errors import ErrorCode, RegistryServiceError
from keybus.registry.server.settings import RegistrySettings

__all__ = ["ErrorCode", "RegistryServiceError", "RegistrySettings", "create_app", "serve"]
