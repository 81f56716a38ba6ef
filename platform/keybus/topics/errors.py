"""Errors of declarative topic management."""

from __future__ import annotations

from keybus.errors import KeybusError

__all__ = ["TopicPlanError", "TopicSpecError"]


class TopicSpecError(KeybusError):
    """A topics file cannot be read or breaks the topic spec."""


class TopicPlanError(KeybusError):
    """A topic spec asks for a change Kafka cannot make, such as fewer partitions."""

    def __init__(self, message: str, *, topic: str) -> None:
        super().__init__(message)
        self.topic = topic
