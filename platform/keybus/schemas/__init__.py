"""Avro schemas: parsing, validation, canonical text and compatibility checks."""

from __future__ import annotations

from keybus.schemas.avro import AvroSchema, ParsedAvro, Reference, parse_avro
from keybus.schemas.compatibility import (
    CompatibilityLevel,
    Incompatibility,
    check_compatibility,
    check_reader_writer,
)
from keybus.schemas.errors import InvalidSchemaError, SchemaError

__all__ = [
    "AvroSchema",
    "CompatibilityLevel",
    "Incompatibility",
    "InvalidSchemaError",
    "ParsedAvro",
    "Reference",
    "SchemaError",
    "check_compatibility",
    "check_reader_writer",
    "parse_avro",
]
