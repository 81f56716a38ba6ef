"""Kafka's topic name rule, checked in pure Python; the serializer runs on an in-memory registry."""

from __future__ import annotations

import pytest

from keybus.errors import InvalidTopicNameError
from keybus.registry import InMemoryRegistry
from keybus.serde import AvroSerializer
from keybus.types import check_topic_name

SCHEMA = {"type": "record", "name": "X", "fields": [{"name": "a", "type": "int"}]}


@pytest.mark.parametrize("topic", ["a", "lock-devices", "a.b_c-D9", "x" * 249, "..."])
def test_valid_topic_name_returned(topic: str) -> None:
    assert check_topic_name(topic) == topic


@pytest.mark.parametrize(
    ("topic", "problem"),
    [
        ("", "it is empty"),
        (".", "Kafka reserves it"),
        ("..", "Kafka reserves it"),
        ("x" * 250, "it has 250 characters"),
        ("a/b", "it contains '/'"),
        ("bad topic/ü", "it contains ' ', '/' and 'ü'"),
        ("trailing\n", "it contains '\\n'"),
    ],
    ids=["empty", "dot", "two dots", "too long", "slash", "several", "newline"],
)
def test_invalid_topic_name_names_problem_and_rule(topic: str, problem: str) -> None:
    with pytest.raises(InvalidTopicNameError) as caught:
        check_topic_name(topic)

    message = str(caught.value)
    assert caught.value.topic == topic
    assert f"is invalid because {problem}." in message
    assert "1 to 249 characters from a-z, A-Z, 0-9, '.', '_' and '-'" in message
    assert not caught.value.retryable


def test_serializer_checks_topic_before_registering() -> None:
    registry = InMemoryRegistry()
    serializer = AvroSerializer(SCHEMA, registry, auto_register=True)

    with pytest.raises(InvalidTopicNameError):
        serializer.encode({"a": 1}, "bad topic")

    assert registry.requests == 0
