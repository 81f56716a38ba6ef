"""Errors raised while parsing, validating and comparing schemas."""

from __future__ import annotations

from keybus.errors import KeybusError

__all__ = [
    "InvalidSchemaError",
    "SchemaError",
]


class SchemaError(KeybusError):
    """Root of the errors about schemas: their text, their references and their evolution."""


class InvalidSchemaError(SchemaError):
    """A schema text is not a valid Avro schema, which a schema registry reports as 422 (42201).

    Attributes:
        path: Where in the schema the problem is, for example `com.example.User.email`.
            It is empty when the whole text is at fault, for example invalid JSON.
    """

    def __init__(self, message: str, *, path: str = "") -> None:
        super().__init__(message, retryable=False)
        self.path = path
