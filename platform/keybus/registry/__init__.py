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

__all__ = [
    "CompatibilityResult",
    "RegisteredSchema",
    "RegistryClient",
    "RegistryError",
    "RegistryUnavailableError",
    "SchemaNotRegisteredError",
]
