"""Decode Confluent wire-format records into plain events with schemas from the registry."""

from __future__ import annotations

from typing import Any

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
    """Unwrap fastavro's `(record name, fields)` union tuples into the fields themselves.

    Logical types stay as decoded (datetime, Decimal, UUID); `routing_document` turns them
    into the JSON values patterns test.
    """
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        return plain_event(value[1])
    if isinstance(value, dict):
        return {key: plain_event(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain_event(item) for item in value]
    return value
