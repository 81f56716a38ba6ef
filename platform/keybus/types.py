"""Identifiers shared across keybus: Kafka and registry names as distinct types."""

from __future__ import annotations

import re
from typing import NewType

from keybus.errors import InvalidTopicNameError

__all__ = [
    "AggregateId",
    "BootstrapServers",
    "EventType",
    "GroupId",
    "Region",
    "SchemaId",
    "Subject",
    "TopicName",
    "Version",
    "check_topic_name",
]

TopicName = NewType("TopicName", str)
"""A Kafka topic name."""

GroupId = NewType("GroupId", str)
"""A Kafka consumer group id."""

BootstrapServers = NewType("BootstrapServers", str)
"""A comma-separated `host:port` list, as in `bootstrap.servers`."""

Subject = NewType("Subject", str)
"""A schema registry subject."""

SchemaId = NewType("SchemaId", int)
"""A registry-wide schema id, the one framed on the wire."""

Version = NewType("Version", int)
"""A 1-based schema version inside one subject."""

EventType = NewType("EventType", str)
"""The Avro full name of an event record, for example `com.example.access.DoorUnlocked`."""

AggregateId = NewType("AggregateId", str)
"""The id of an aggregate; also the record key of its events."""

Region = NewType("Region", str)
"""A named Kafka cluster with its registry, for example `east` or `west`."""


_TOPIC_NAME = re.compile(r"[a-zA-Z0-9._-]{1,249}")
_TOPIC_NAME_RULE = (
    "Kafka topic names are 1 to 249 characters from a-z, A-Z, 0-9, '.', '_' and '-', "
    "and are neither '.' nor '..'"
)


def check_topic_name(topic: str) -> TopicName:
    """Return `topic` as a TopicName, or raise if Kafka would reject it as a topic name.

    The rule is Kafka's `Topic.validate` (Apache Kafka 4.1). Checking it before a
    schema is registered keeps a bad name from leaving a subject behind.

    Raises:
        InvalidTopicNameError: the name breaks the rule; the message names the
            characters at fault.
    """
    if _TOPIC_NAME.fullmatch(topic) and topic not in (".", ".."):
        return TopicName(topic)
    if not topic:
        problem = "it is empty"
    elif len(topic) > 249:
        problem = f"it has {len(topic)} characters"
    elif topic in (".", ".."):
        problem = "Kafka reserves it"
    else:
        invalid = [repr(char) for char in dict.fromkeys(topic) if not _TOPIC_NAME.fullmatch(char)]
        listed = invalid[0] if len(invalid) == 1 else f"{', '.join(invalid[:-1])} and {invalid[-1]}"
        problem = f"it contains {listed}"
    excerpt = topic if len(topic) <= 80 else topic[:77] + "..."
    raise InvalidTopicNameError(
        f"Topic name {excerpt!r} is invalid because {problem}. {_TOPIC_NAME_RULE}. "
        "Choose a name that follows this rule.",
        topic=topic,
    )
