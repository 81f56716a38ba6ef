"""Schema registry access: the SDK-side client and keybus's own registry service."""

from __future__ import annotations

from keybus.registry.client import (
    CompatibilityResult,
    RegisteredSchema,
    RegistryClient,
    RegistryError,
    RegistryUnavailableError,
    SchemaNotRegisteredError,
)
from keybus.registry.memory import InMemoryRegistry

__all__ = [
    "CompatibilityResult",
    "InMemoryRegistry",
    "RegisteredSchema",
    "RegistryClient",
    "RegistryError",
    "RegistryUnavailableError",
    "SchemaNotRegisteredError",
]
