"""Avro serde in the Confluent wire format: framing, schema parsing, encoding and decoding."""

from __future__ import annotations

from keybus.serde.codec import AvroDeserializer, AvroSerializer, Decoded, SchemaRegistry
from keybus.serde.errors import (
    AmbiguousUnionError,
    InvalidSchemaError,
    SerdeError,
    SerializationError,
    UnknownSchemaIdError,
    WireFormatError,
)
from keybus.serde.naming import (
    SubjectNameStrategy,
    SubjectStrategy,
    record_name_strategy,
    resolve_strategy,
    topic_name_strategy,
    topic_record_name_strategy,
)
from keybus.serde.schema import ParsedSchema, parse_schema
from keybus.serde.unions import tag_union_branches
from keybus.serde.wire import MAGIC_BYTE, frame, frame_header, unframe

__all__ = [
    "MAGIC_BYTE",
    "AmbiguousUnionError",
    "AvroDeserializer",
    "AvroSerializer",
    "Decoded",
    "InvalidSchemaError",
    "ParsedSchema",
    "SchemaRegistry",
    "SerdeError",
    "SerializationError",
    "SubjectNameStrategy",
    "SubjectStrategy",
    "UnknownSchemaIdError",
    "WireFormatError",
    "frame",
    "frame_header",
    "parse_schema",
    "record_name_strategy",
    "resolve_strategy",
    "tag_union_branches",
    "topic_name_strategy",
    "topic_record_name_strategy",
    "unframe",
]
