"""An in-memory stand-in for a schema registry, for unit tests of services that use the SDK."""

from __future__ import annotations

import threading

from keybus.registry.client import (
    RegisteredSchema,
    SchemaNotRegisteredError,
    normalized_json_text,
)
from keybus.types import SchemaId, Subject, Version

__all__ = ["InMemoryRegistry"]


class InMemoryRegistry:
    """Keep subjects, versions and ids in a dict; no compatibility checks, no HTTP.

    It serves the calls the serializer and deserializer make (`register`, `lookup`,
    `get_schema`) the way a Confluent-compatible registry does: one id per distinct
    schema, shared across subjects, and equal ids for equal schemas spelled differently.
    """

    def __init__(self, url: str = "memory://registry") -> None:
        self.url = url
        self._lock = threading.Lock()
        self._ids: dict[str, SchemaId] = {}
        self._texts: dict[SchemaId, str] = {}
        self._subjects: dict[Subject, list[SchemaId]] = {}
        self.requests = 0

    def register(self, subject: Subject, schema: str, *, normalize: bool = False) -> SchemaId:
        """Register `schema` under `subject` and return its id."""
        with self._lock:
            self.requests += 1
            key = normalized_json_text(schema)
            schema_id = self._ids.setdefault(key, SchemaId(len(self._ids) + 1))
            self._texts.setdefault(schema_id, schema)
            versions = self._subjects.setdefault(subject, [])
            if schema_id not in versions:
                versions.append(schema_id)
            return schema_id

    def lookup(self, subject: Subject, schema: str, *, normalize: bool = False) -> RegisteredSchema:
        """Return the version of `subject` holding `schema`, or raise SchemaNotRegisteredError."""
        with self._lock:
            self.requests += 1
            schema_id = self._ids.get(normalized_json_text(schema))
            versions = self._subjects.get(subject, [])
            if schema_id is None or schema_id not in versions:
                raise SchemaNotRegisteredError(
                    f"Schema not found in subject {subject}.",
                    url=f"{self.url}/subjects/{subject}",
                    http_status=404,
                    error_code=40403 if versions else 40401,
                )
            version = Version(versions.index(schema_id) + 1)
            return RegisteredSchema(subject, version, schema_id, self._texts[schema_id])

    def get_schema(self, schema_id: SchemaId) -> str:
        """Return the schema text of `schema_id`, or raise SchemaNotRegisteredError."""
        with self._lock:
            self.requests += 1
            if schema_id not in self._texts:
                raise SchemaNotRegisteredError(
                    f"Schema {schema_id} not found.",
                    url=f"{self.url}/schemas/ids/{schema_id}",
                    http_status=404,
                    error_code=40403,
                )
            return self._texts[schema_id]
