"""Errors of the Avro serde layer: wire format, schemas and values that do not fit them."""

from __future__ import annotations

from keybus.errors import KeybusError
from keybus.types import SchemaId

__all__ = [
    "AmbiguousUnionError",
    "InvalidSchemaError",
    "SerdeError",
    "SerializationError",
    "UnknownSchemaIdError",
    "WireFormatError",
]


class SerdeError(KeybusError):
    """A value could not be turned into Avro bytes, or bytes back into a value."""


class WireFormatError(SerdeError):
    """Bytes do not follow the Confluent wire format: magic byte 0, 4-byte schema id, body."""

    def __init__(self, message: str, *, expected: str, actual: str) -> None:
        super().__init__(message, retryable=False)
        self.expected = expected
        self.actual = actual


class UnknownSchemaIdError(SerdeError):
    """A framed record names a schema id that the registry does not hold."""

    def __init__(self, schema_id: SchemaId, registry_url: str) -> None:
        super().__init__(
            f"Schema id {schema_id} is not known to the registry at {registry_url}. "
            "The record was written against another registry (another region or a "
            "test registry) or the schema was permanently deleted. Point the consumer "
            "at the registry the producer used.",
            retryable=False,
        )
        self.schema_id = schema_id
        self.registry_url = registry_url


class InvalidSchemaError(SerdeError):
    """A schema breaks the Avro specification, for example with a default of the wrong type.

    Attributes:
        schema_name: the full name of the schema's top-level type, if it has one.
        path: where in the schema the problem is, such as `com.example.User.email`;
            empty when it is not known.
    """

    def __init__(self, message: str, *, schema_name: str | None = None, path: str = "") -> None:
        super().__init__(message, retryable=False)
        self.schema_name = schema_name
        self.path = path


class SerializationError(SerdeError):
    """A value does not fit the schema it is written with."""

    def __init__(self, message: str, *, schema_name: str | None, field: str | None) -> None:
        super().__init__(message, retryable=False)
        self.schema_name = schema_name
        self.field = field


class AmbiguousUnionError(SerializationError):
    """A plain value fits more than one record branch of a union equally well."""
