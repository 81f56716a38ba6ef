"""Encode and decode values in the Confluent wire format with compiled codecs and a registry."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from io import BytesIO
from typing import Any, Protocol

from fastavro import schemaless_reader
from fastavro.validation import ValidationError, validate

from keybus.errors import clause
from keybus.registry.client import RegisteredSchema, SchemaNotRegisteredError
from keybus.serde.compiled import (
    DECODE_ERRORS,
    CompiledCodec,
    ValueRejectedError,
    compiled_codec,
    same_decoding,
)
from keybus.serde.errors import SerializationError, UnknownSchemaIdError, WireFormatError
from keybus.serde.naming import SubjectStrategy, topic_record_name_strategy
from keybus.serde.runtime import MISSING, describe_value
from keybus.serde.schema import ParsedSchema, parse_schema
from keybus.serde.unions import rename_branches, tag_union_branches
from keybus.serde.wire import frame_header, unframe
from keybus.types import SchemaId, Subject, check_topic_name

__all__ = ["AvroDeserializer", "AvroSerializer", "Decoded", "SchemaRegistry", "corrupt_body_error"]

logger = logging.getLogger(__name__)


class SchemaRegistry(Protocol):
    """The registry client calls the serde layer makes."""

    url: str

    def get_schema(self, schema_id: SchemaId) -> str: ...

    def register(self, subject: Subject, schema: str, *, normalize: bool = False) -> SchemaId: ...

    def lookup(
        self, subject: Subject, schema: str, *, normalize: bool = False
    ) -> RegisteredSchema: ...


_VALIDATION_ERRORS = (ValidationError, ValueError, TypeError, AttributeError, OverflowError)
"""The exceptions fastavro's `validate` raises for a bad value. For logical types it raises
the error of the conversion that failed instead of ValidationError."""


class AvroSerializer:
    """Encode values of one schema into framed Avro bytes.

    The schema is parsed and checked when the serializer is built, so a schema with an
    invalid default fails at startup, not at the first record. The schema id is
    resolved once per topic: registered when `auto_register` is set, otherwise looked
    up, so that only schemas the registry already contains reach Kafka.

    Args:
        schema: the writer schema, as text, JSON values or a `ParsedSchema`.
        registry: the registry client.
        subject_strategy: maps (topic, record name, is_key) to the subject.
        auto_register: register the schema when missing instead of failing.
        validate: check every value against the schema before encoding; callers that
            validated already (generated models) turn this off.
        is_key: the serializer writes record keys, which changes the subject name.
        codec: the compiled codec to encode with; by default the schema's plain codec,
            which reads records as mappings. The producer passes one that reads the
            attributes of generated models.
    """

    def __init__(
        self,
        schema: ParsedSchema | str | dict[str, Any] | list[Any],
        registry: SchemaRegistry,
        *,
        subject_strategy: SubjectStrategy = topic_record_name_strategy,
        auto_register: bool = False,
        validate: bool = True,
        is_key: bool = False,
        codec: CompiledCodec | None = None,
    ) -> None:
        self.schema = schema if isinstance(schema, ParsedSchema) else parse_schema(schema)
        self.registry = registry
        self.subject_strategy = subject_strategy
        self.auto_register = auto_register
        self.validate = validate
        self.is_key = is_key
        self._headers: dict[str, bytes] = {}
        self._codec = codec or compiled_codec(self.schema)

    @property
    def reads_attributes(self) -> bool:
        """True when `encode_body` takes a generated model itself instead of its dict."""
        return self._codec.reads_attributes

    def subject(self, topic: str) -> Subject:
        """Return the subject this serializer's schema belongs to on `topic`."""
        return self.subject_strategy(topic, self.schema.name, self.is_key)

    def schema_id(self, topic: str) -> SchemaId:
        """Return the registry id of this serializer's schema for `topic`."""
        return SchemaId(int.from_bytes(self.header(topic)[1:], "big"))

    def header(self, topic: str) -> bytes:
        """Return the 5-byte wire-format header for `topic`, resolving the id on first use.

        Raises:
            InvalidTopicNameError: Kafka would reject `topic`; nothing is registered.
        """
        header = self._headers.get(topic)
        if header is None:
            header = frame_header(self._resolve_id(topic))
            self._headers[topic] = header
        return header

    def __call__(self, datum: Any, topic: str) -> bytes:
        return self.encode(datum, topic)

    def encode(self, datum: Any, topic: str) -> bytes:
        """Encode `datum` for `topic` as magic byte, schema id and Avro body.

        Raises:
            SerializationError: the value does not fit the schema; the message names the
                field, the value and the expected type.
            AmbiguousUnionError: a plain dict fits two union branches equally well.
        """
        header = self.header(topic)
        datum = tag_union_branches(datum, self.schema)
        if self.validate:
            self.check(datum)
        return self.encode_body(datum, header)

    def encode_body(self, datum: Any, header: bytes) -> bytes:
        """Encode an already checked `datum` behind a header from `header()`.

        Raises:
            SerializationError: the value does not fit the schema; the message names the
                field path, the value and the expected type.
        """
        out = bytearray(header)
        try:
            self._codec.encode(datum, out)
        except ValueRejectedError as exc:
            raise rejection_error(exc, self.schema) from exc
        return bytes(out)

    def check(self, datum: Any) -> None:
        """Raise SerializationError naming the first value in `datum` the schema rejects.

        The message is the one `encode_body` gives for the same value, because the
        compiled encoder, run on the error path only, finds the value and its full path.
        """
        try:
            validate(datum, self.schema.parsed, raise_errors=True)
        except _VALIDATION_ERRORS as exc:
            raise self._validation_error(datum, exc) from exc

    def _validation_error(self, datum: Any, exc: Exception) -> SerializationError:
        try:
            self._codec.encode(datum, bytearray())
        except ValueRejectedError as rejected:
            return rejection_error(rejected, self.schema)
        # The encoder accepts what fastavro rejected, so fastavro's report is all there is.
        first = exc.errors[0] if isinstance(exc, ValidationError) and exc.errors else None
        if first is None:
            reason = f"fastavro's validation raised {type(exc).__name__}: {clause(exc)}"
            rejection = ValueRejectedError(datum, "value of the schema", reason)
            return rejection_error(rejection, self.schema)
        reported = ValueRejectedError(first.datum, _describe(first.schema))
        field = str(first.field).removeprefix(f"{self.schema.name}.")
        if field and field != "None":
            reported.at_field(field)
        return rejection_error(reported, self.schema)

    def _resolve_id(self, topic: str) -> SchemaId:
        # Before the registry, so that a topic Kafka rejects leaves no subject behind.
        check_topic_name(topic)
        subject = self.subject(topic)
        if self.auto_register:
            return self.registry.register(subject, self.schema.text)
        try:
            return self.registry.lookup(subject, self.schema.text).schema_id
        except SchemaNotRegisteredError as exc:
            raise SchemaNotRegisteredError(
                f"Schema {self.schema.name} is not registered under subject {subject} in "
                f"the registry at {self.registry.url}. Register it first with `keybus "
                "schemas register`, or build the producer with auto_register=True.",
                url=exc.url,
                http_status=exc.http_status,
                error_code=exc.error_code,
            ) from exc


@dataclass(frozen=True)
class Decoded:
    """A decoded record value with the writer's schema id and schema."""

    schema_id: SchemaId
    writer: ParsedSchema
    value: Any


class AvroDeserializer:
    """Decode framed Avro bytes with the writer's schema, fetched by id and cached.

    Union values of records come back as `(record full name, dict)` tuples when the
    union has two or more record branches, so that encoding them again picks the same
    branch and gives the same bytes.
    """

    def __init__(self, registry: SchemaRegistry) -> None:
        self.registry = registry
        self._writers: dict[SchemaId, ParsedSchema] = {}

    def writer_schema(self, schema_id: SchemaId) -> ParsedSchema:
        """Return the parsed writer schema for `schema_id`, asking the registry once."""
        writer = self._writers.get(schema_id)
        if writer is not None:
            return writer
        try:
            text = self.registry.get_schema(schema_id)
        except SchemaNotRegisteredError as exc:
            raise UnknownSchemaIdError(schema_id, self.registry.url) from exc
        writer = parse_schema(text)
        self._writers[schema_id] = writer
        return writer

    def decode(self, data: bytes | None, reader: ParsedSchema | None = None) -> Decoded:
        """Decode framed bytes, resolving to `reader` when given and different from the writer.

        Raises:
            WireFormatError: the bytes do not start with the wire-format header, or the
                body does not decode with the writer's schema.
            UnknownSchemaIdError: the registry has no schema with the framed id.
        """
        schema_id, body = unframe(data)
        writer = self.writer_schema(schema_id)
        return Decoded(schema_id, writer, self.decode_body(body, writer, reader))

    def decode_body(
        self, body: memoryview | bytes, writer: ParsedSchema, reader: ParsedSchema | None
    ) -> Any:
        """Decode an unframed Avro body written with `writer`."""
        same = reader is None or same_decoding(writer, reader)
        if same:
            return self._decode_compiled(body, writer)
        try:
            value = schemaless_reader(
                BytesIO(body),
                writer.parsed,
                None if reader is None else reader.parsed,
                return_record_name=True,
                return_record_name_override=True,
            )
        except DECODE_ERRORS as exc:
            raise corrupt_body_error(body, writer, exc) from exc
        names_changed = (reader or writer).fastavro_names
        return rename_branches(value) if names_changed else value

    def _decode_compiled(self, body: memoryview | bytes, writer: ParsedSchema) -> Any:
        return self.decode_compiled(body, writer, compiled_codec(writer))

    def decode_compiled(
        self, body: memoryview | bytes, writer: ParsedSchema, codec: CompiledCodec
    ) -> Any:
        """Decode an unframed body with a compiled codec of the writer's own schema.

        Raises:
            WireFormatError: the body is not a value of `writer`.
        """
        try:
            return codec.decode(body)
        except DECODE_ERRORS as exc:
            raise corrupt_body_error(body, writer, exc) from exc


def rejection_error(rejected: ValueRejectedError, schema: ParsedSchema) -> SerializationError:
    """Translate a rejection into a SerializationError naming the path, value, type and fix."""
    field = rejected.path or None
    where = f"field '{field}'" if field else "the value"
    prefix = f"Value rejected by schema {schema.name or '<unnamed>'}: {where}"
    if rejected.value is MISSING:
        message = (
            f"{prefix} is missing and has no default. Set it, or give the field a default "
            "in the schema."
        )
    else:
        reason = f" because {rejected.reason}" if rejected.reason else ""
        fix = rejected.fix or (
            "Give the field a value of that type." if field else "Pass a value of that type."
        )
        message = (
            f"{prefix} is {describe_value(rejected.value)}, not a valid "
            f"{rejected.expected}{reason}. {fix}"
        )
    return SerializationError(message, schema_name=schema.name, field=field)


def corrupt_body_error(
    body: memoryview | bytes, writer: ParsedSchema, exc: Exception
) -> WireFormatError:
    """Build the error for an unframed Avro body that `exc` showed is not a value of `writer`."""
    return WireFormatError(
        f"Avro body of {len(body)} bytes does not decode with writer schema "
        f"{writer.name}: {type(exc).__name__}: {clause(exc)}. The record is corrupt or was "
        "framed with the wrong schema id.",
        expected=f"Avro binary of {writer.name}",
        actual=f"{len(body)} bytes",
    )


def _describe(schema: Any) -> str:
    if isinstance(schema, dict):
        logical = schema.get("logicalType")
        base = schema.get("name") or schema.get("type")
        return f"{base} ({logical})" if logical else str(base)
    if isinstance(schema, list):
        return " | ".join(_describe(branch) for branch in schema)
    return str(schema)
