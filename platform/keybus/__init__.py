"""keybus: a Kafka event-sourcing platform with schema-governed events."""

from __future__ import annotations

from keybus.errors import ConfigurationError, KeybusError

__all__ = ["ConfigurationError", "KeybusError", "__version__"]

__version__ = "0.1.0"
