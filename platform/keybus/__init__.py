"""keybus: a Kafka event-sourcing platform with schema-governed events."""

from __future__ import annotations

from keybus.client import Consumer, Producer
from keybus.errors import ConfigurationError, KeybusError

__all__ = ["ConfigurationError", "Consumer", "KeybusError", "Producer", "__version__"]

__version__ = "0.1.0"
