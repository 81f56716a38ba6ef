"""Encode import events of the importer's own record layout faster than the generic codec.

The event record that `build_schema` writes has eleven fixed fields and an
`attributes` record. The builder gives the fixed fields with known Python types, so
they need none of the generic codec's checks, and most of their strings repeat (case
ids, activities, resources, lifecycle transitions), so their Avro bytes are cached.
The attributes go through the schema's compiled codec. The bytes are those of
`AvroSerializer.encode_body` for the same value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from keybus.importer.events import EventFields
from keybus.importer.mapping import LogMapping
from keybus.importer.schema import build_schema
from keybus.serde import ParsedSchema, parse_schema
from keybus.serde.codec import rejection_error
from keybus.serde.compiled import CompiledCodec, ValueRejectedError, compiled_codec
from keybus.serde.runtime import varint

__all__ = ["EventRecordEncoder"]

_FIXED_FIELDS = [
    (entry["name"], entry["type"]) for entry in build_schema(LogMapping(), ())["fields"][:-1]
]
_MAX_CACHED_STRINGS = 65_536
_MAX_CACHED_LENGTH = 256
_UUID_LENGTH = varint(36 << 1)
_NULL = b"\x00"
_NOT_NULL = b"\x02"


class EventRecordEncoder:
    """Encode `EventBuilder.build_fields` output for a schema of the importer's layout.

    An attributes dict must not change after it was encoded, because the bytes of the
    last one are reused when the next event passes the same dict. Build it with
    `for_schema`. It returns None for a schema whose fixed fields differ,
    for example a reviewed schema with an edited type, and such a schema needs the
    generic serializer.
    """

    def __init__(self, schema: ParsedSchema, attributes_codec: CompiledCodec) -> None:
        self.schema = schema
        self._encode_attributes = attributes_codec.encode
        # Avro bytes by value: strings with their length, nullable strings with the
        # union branch too, and offsets and dates as zigzag varints.
        self._strings: dict[str, bytes] = {}
        self._nullable_strings: dict[str, bytes] = {}
        self._offsets: dict[int, bytes] = {}
        self._days: dict[int, bytes] = {}
        # The builder gives consecutive events one attributes dict while their
        # attributes repeat, so the bytes of the last one encoded are reused.
        self._last_attributes: dict[str, Any] | None = None
        self._last_attribute_bytes = b""

    @classmethod
    def for_schema(
        cls, schema: Mapping[str, Any], parsed: ParsedSchema
    ) -> EventRecordEncoder | None:
        """Return an encoder for `schema` (JSON values), or None if its layout differs."""
        fields = schema.get("fields")
        if not isinstance(fields, list) or len(fields) != len(_FIXED_FIELDS) + 1:
            return None
        fixed = [(entry.get("name"), entry.get("type")) for entry in fields[:-1]]
        attributes = fields[-1]
        if fixed != _FIXED_FIELDS or attributes.get("name") != "attributes":
            return None
        record = attributes.get("type")
        if not isinstance(record, dict) or record.get("type") != "record":
            return None
        return cls(parsed, compiled_codec(parse_schema(record)))

    def encode(self, fields: EventFields, header: bytes) -> bytes:
        """Return `header` followed by the Avro body of the event with `fields`.

        Raises:
            SerializationError: an attribute does not fit its field; the message names
                the field path, the value and the expected type.
        """
        (
            event_id,
            case_id,
            activity,
            occurred_at,
            offset_minutes,
            local_days,
            sequence,
            source_row,
            resource,
            lifecycle,
            duplicate_of_row,
            attributes,
        ) = fields
        out = bytearray(header)
        event_id_bytes = event_id.encode()
        out += _UUID_LENGTH if len(event_id_bytes) == 36 else varint(len(event_id_bytes) << 1)
        out += event_id_bytes
        strings = self._strings
        out += strings.get(case_id) or self._string(case_id)
        out += strings.get(activity) or self._string(activity)
        out += varint(_zigzag(occurred_at))
        if offset_minutes is None:
            out += _NULL
        else:
            out += self._offsets.get(offset_minutes) or self._offset(offset_minutes)
        out += self._days.get(local_days) or self._day(local_days)
        if sequence < 64:
            out.append(sequence << 1)
        else:
            out += varint(sequence << 1)
        out += varint(source_row << 1)
        nullable = self._nullable_strings
        if resource is None:
            out += _NULL
        else:
            out += nullable.get(resource) or self._nullable_string(resource)
        if lifecycle is None:
            out += _NULL
        else:
            out += nullable.get(lifecycle) or self._nullable_string(lifecycle)
        if duplicate_of_row is None:
            out += _NULL
        else:
            out += _NOT_NULL
            out += varint(duplicate_of_row << 1)
        if attributes is self._last_attributes:
            out += self._last_attribute_bytes
            return bytes(out)
        start = len(out)
        try:
            self._encode_attributes(attributes, out)
        except ValueRejectedError as exc:
            exc.at_field("attributes")
            raise rejection_error(exc, self.schema) from exc
        self._last_attributes = attributes
        self._last_attribute_bytes = bytes(out[start:])
        return bytes(out)

    def _string(self, value: str) -> bytes:
        data = value.encode()
        encoded = varint(len(data) << 1) + data
        if len(data) <= _MAX_CACHED_LENGTH:
            _store(self._strings, value, encoded)
        return encoded

    def _nullable_string(self, value: str) -> bytes:
        encoded = _NOT_NULL + self._string(value)
        if len(encoded) <= _MAX_CACHED_LENGTH:
            _store(self._nullable_strings, value, encoded)
        return encoded

    def _offset(self, minutes: int) -> bytes:
        encoded = _NOT_NULL + varint(_zigzag(minutes))
        _store(self._offsets, minutes, encoded)
        return encoded

    def _day(self, days: int) -> bytes:
        encoded = varint(_zigzag(days))
        _store(self._days, days, encoded)
        return encoded


def _zigzag(number: int) -> int:
    return number << 1 if number >= 0 else (-number << 1) - 1


def _store(cache: dict[Any, bytes], key: Any, encoded: bytes) -> None:
    if len(cache) >= _MAX_CACHED_STRINGS:
        cache.clear()
    cache[key] = encoded
