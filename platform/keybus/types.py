"""Identifiers shared across keybus: Kafka and registry names as distinct types."""

from __future__ import annotations

from typing import NewType

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
