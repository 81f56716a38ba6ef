"""Decode Confluent wire-format records into plain events with schemas from the registry."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from keybus.registry.client import RegistryClient
from keybus.serde import AvroDeserializer

__all__ = ["RegistryDecoder", "plain_event"]


class RegistryDecoder:
    """Decode framed Avro record values to dicts, caching writer schemas by id.

    The same bytes the SDK producer writes are read here, so topologies and services see
    one wire format.
    """

    def __init__(self, registry_url: str) -> None:
        self.client = RegistryClient(registry_url)
        self.deserializer = AvroDeserializer(self.client)

    def __call__(self, value: bytes) -> Any:
        """Return the decoded event of one record value."""
        return plain_event(self.deserializer.decode(value).value)


def plain_event(value: Any) -> Any:
    """Turn a decoded Avro value into JSON-like data that event patterns can match.

    fastavro's `(record name, fields)` union tuples become the fields; timestamps and
    dates become ISO-8601 strings, decimals become floats (for `numeric` patterns) and
    UUIDs become strings.
    """
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        return plain_event(value[1])
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dict):
        return {key: plain_event(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain_event(item) for item in value]
    return value
