"""The event base model, Avro-exact field types and CloudEvents headers."""

from __future__ import annotations

from keybus.events.cloudevents import (
    AVRO_CONTENT_TYPE,
    CloudEventAttributes,
    InvalidTraceparentError,
    check_traceparent,
    event_headers,
    new_traceparent,
    read_headers,
)
from keybus.events.model import (
    AvroRecord,
    Event,
    decode_union,
    encode_union,
    packaged_schema,
    record_union,
    utc_now,
)
from keybus.events.types import (
    AvroBoolean,
    AvroBytes,
    AvroDouble,
    AvroFloat,
    AvroInt,
    AvroLong,
    AvroString,
)

__all__ = [
    "AVRO_CONTENT_TYPE",
    "AvroBoolean",
    "AvroBytes",
    "AvroDouble",
    "AvroFloat",
    "AvroInt",
    "AvroLong",
    "AvroRecord",
    "AvroString",
    "CloudEventAttributes",
    "Event",
    "InvalidTraceparentError",
    "check_traceparent",
    "decode_union",
    "encode_union",
    "event_headers",
    "new_traceparent",
    "packaged_schema",
    "read_headers",
    "record_union",
    "utc_now",
]
