"""Read events as the current models: registry schema resolution, then upcasters by version."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from keybus.events.model import Event
from keybus.serde.codec import AvroDeserializer, SchemaRegistry
from keybus.serde.naming import SubjectStrategy, topic_record_name_strategy
from keybus.serde.wire import unframe
from keybus.sourcing.errors import SourcingError
from keybus.types import SchemaId

__all__ = ["EventReader", "ReadEvent", "Upcaster", "Upcasters"]

logger = logging.getLogger(__name__)

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
"""Takes the values of an event written with one old schema version, already resolved to
the current schema by Avro, and returns them with the old version's meaning fixed."""


class Upcasters:
    """Upcaster functions by event type and the registry version of the writer's schema."""

    def __init__(self) -> None:
        self._functions: dict[tuple[str, int], Upcaster] = {}

    def register(self, event_type: str | type[Event], version: int, function: Upcaster) -> None:
        """Run `function` on every `event_type` event written with schema `version`."""
        name = event_type if isinstance(event_type, str) else event_type.__avro_name__
        if (name, version) in self._functions:
            raise SourcingError(
                f"Event type {name} already has an upcaster for schema version {version}. "
                "Register one function per version and chain steps inside it."
            )
        self._functions[(name, version)] = function

    def upcaster(
        self, event_type: str | type[Event], version: int
    ) -> Callable[[Upcaster], Upcaster]:
        """Register the decorated function as the upcaster of one event type and version."""

        def register(function: Upcaster) -> Upcaster:
            self.register(event_type, version, function)
            return function

        return register

    def find(self, event_type: str, version: int) -> Upcaster | None:
        """Return the upcaster of one event type and version, if any."""
        return self._functions.get((event_type, version))

    def event_types(self) -> set[str]:
        """Return the event types that have at least one upcaster."""
        return {name for name, _version in self._functions}


@dataclass(frozen=True, slots=True)
class ReadEvent:
    """An event read from a record.

    Attributes:
        event: the current model of its type.
        schema_id: the writer's schema id from the wire format.
        version: the writer schema's version in its subject, when an upcaster needed it.
        upcast: whether an upcaster changed the values.
    """

    event: Event
    schema_id: SchemaId
    version: int | None
    upcast: bool


class EventReader:
    """Decode framed Avro events into the current models of their types.

    The writer's schema comes from the registry by id. Avro schema resolution turns the
    values into the shape of the current model's schema. An upcaster registered for the
    writer schema's version then fixes what resolution cannot, such as a meaning that
    changed or a value to derive. Events of types not in `event_types` read as None.

    Args:
        registry: the registry client.
        event_types: the current models to read into.
        upcasters: functions by event type and writer schema version.
        subject_strategy: how the writer's subject is named, to find its version.
    """

    def __init__(
        self,
        registry: SchemaRegistry,
        event_types: Iterable[type[Event]],
        *,
        upcasters: Upcasters | None = None,
        subject_strategy: SubjectStrategy = topic_record_name_strategy,
    ) -> None:
        self.registry = registry
        self.models: Mapping[str, type[Event]] = {
            model.__avro_name__: model for model in event_types
        }
        self.upcasters = upcasters or Upcasters()
        self.subject_strategy = subject_strategy
        self._deserializer = AvroDeserializer(registry)
        self._versions: dict[tuple[SchemaId, str], int] = {}

    def read(self, topic: str, value: bytes | None) -> ReadEvent | None:
        """Return the event in a record value, or None when its type is not read here.

        Raises:
            WireFormatError: the value is not in the Confluent wire format.
            UnknownSchemaIdError: the registry has no schema with the framed id.
        """
        schema_id, body = unframe(value)
        writer = self._deserializer.writer_schema(schema_id)
        model = self.models.get(writer.name or "")
        if model is None:
            return None
        values = self._deserializer.decode_body(body, writer, model.avro_schema())
        version: int | None = None
        upcast = False
        if model.__avro_name__ in self.upcasters.event_types():
            version = self.schema_version(schema_id, topic, model.__avro_name__)
            function = self.upcasters.find(model.__avro_name__, version)
            if function is not None:
                values = function(dict(values))
                upcast = True
                logger.debug(
                    "upcast event_type=%s version=%s topic=%s",
                    model.__avro_name__,
                    version,
                    topic,
                )
        return ReadEvent(model.from_avro(values), schema_id, version, upcast)

    def schema_version(self, schema_id: SchemaId, topic: str, event_type: str) -> int:
        """Return the version of schema `schema_id` in the subject of `event_type` on `topic`."""
        key = (schema_id, topic)
        version = self._versions.get(key)
        if version is not None:
            return version
        subject = self.subject_strategy(topic, event_type, False)
        response = httpx.get(f"{self.registry.url}/schemas/ids/{schema_id}/versions", timeout=10)
        response.raise_for_status()
        entries = {entry["subject"]: int(entry["version"]) for entry in response.json()}
        if subject not in entries:
            raise SourcingError(
                f"Schema id {schema_id} of an {event_type} event on topic {topic} is not a "
                f"version of subject {subject} (it is under: {sorted(entries)}). Register the "
                "schema under that subject, or give the reader the producer's subject strategy."
            )
        self._versions[key] = entries[subject]
        return entries[subject]
