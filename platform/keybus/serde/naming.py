"""Subject name strategies: how a topic and a record name map to a registry subject."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from keybus.errors import ConfigurationError
from keybus.types import Subject

__all__ = [
    "SubjectNameStrategy",
    "SubjectStrategy",
    "record_name_strategy",
    "resolve_strategy",
    "topic_name_strategy",
    "topic_record_name_strategy",
]

SubjectStrategy = Callable[[str, str | None, bool], Subject]
"""A function `(topic, record full name, is_key) -> subject`."""


def topic_name_strategy(topic: str, record_name: str | None, is_key: bool) -> Subject:
    """Name the subject `<topic>-value` (or `-key`): one schema per topic."""
    return Subject(f"{topic}-{'key' if is_key else 'value'}")


def record_name_strategy(topic: str, record_name: str | None, is_key: bool) -> Subject:
    """Name the subject after the record's full name, shared by every topic."""
    if record_name is None:
        raise ConfigurationError(
            f"The record name strategy needs a named record schema, but the schema for topic "
            f"'{topic}' has no name (a primitive or a union). Use the topic name strategy."
        )
    return Subject(record_name)


def topic_record_name_strategy(topic: str, record_name: str | None, is_key: bool) -> Subject:
    """Name the subject `<topic>-<record full name>`: several event types per topic."""
    if record_name is None:
        return topic_name_strategy(topic, record_name, is_key)
    return Subject(f"{topic}-{record_name}")


class SubjectNameStrategy(StrEnum):
    """The subject name strategies by their Confluent names."""

    TOPIC = "topic"
    RECORD = "record"
    TOPIC_RECORD = "topic_record"


_STRATEGIES: dict[SubjectNameStrategy, SubjectStrategy] = {
    SubjectNameStrategy.TOPIC: topic_name_strategy,
    SubjectNameStrategy.RECORD: record_name_strategy,
    SubjectNameStrategy.TOPIC_RECORD: topic_record_name_strategy,
}


def resolve_strategy(strategy: SubjectNameStrategy | str | SubjectStrategy) -> SubjectStrategy:
    """Turn a strategy name or function into a function."""
    if callable(strategy):
        return strategy
    try:
        return _STRATEGIES[SubjectNameStrategy(strategy)]
    except ValueError:
        choices = ", ".join(s.value for s in SubjectNameStrategy)
        raise ConfigurationError(
            f"Unknown subject name strategy '{strategy}'. Use one of: {choices}, "
            "or pass a function (topic, record_name, is_key) -> subject."
        ) from None
