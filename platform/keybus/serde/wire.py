"""The Confluent wire format: magic byte 0, a 4-byte big-endian schema id, then Avro binary."""

from __future__ import annotations

from keybus.serde.errors import WireFormatError
from keybus.types import SchemaId

__all__ = ["HEADER_SIZE_BYTES", "MAGIC_BYTE", "frame", "frame_header", "unframe"]

MAGIC_BYTE = 0
HEADER_SIZE_BYTES = 5


def frame_header(schema_id: SchemaId) -> bytes:
    """Build the 5-byte prefix that precedes the Avro body of a record written with `schema_id`."""
    if not 0 <= schema_id <= 0xFFFFFFFF:
        raise WireFormatError(
            f"Schema id {schema_id} does not fit the wire format's 4-byte unsigned field.",
            expected="0 <= schema id <= 4294967295",
            actual=str(schema_id),
        )
    return bytes((MAGIC_BYTE,)) + schema_id.to_bytes(4, "big")


def frame(schema_id: SchemaId, body: bytes) -> bytes:
    """Prefix an Avro body with the magic byte and `schema_id`."""
    return frame_header(schema_id) + body


def unframe(data: bytes | None) -> tuple[SchemaId, memoryview]:
    """Split framed bytes into the schema id and the Avro body.

    Raises:
        WireFormatError: the bytes are missing, shorter than the 5-byte header, or do not
            start with the magic byte 0.
    """
    if data is None:
        raise WireFormatError(
            "Record value is missing (a tombstone), but an Avro event was expected. "
            "Skip tombstones before decoding, or do not write them to event topics.",
            expected="at least 5 bytes",
            actual="None",
        )
    if len(data) < HEADER_SIZE_BYTES:
        raise WireFormatError(
            f"Record value is {len(data)} bytes long, shorter than the 5-byte wire-format "
            "header (magic byte 0 and a 4-byte schema id). It was probably not written by "
            "a registry-aware Avro serializer.",
            expected=f"at least {HEADER_SIZE_BYTES} bytes",
            actual=f"{len(data)} bytes",
        )
    if data[0] != MAGIC_BYTE:
        raise WireFormatError(
            f"Record value starts with byte 0x{data[0]:02x}, not the wire-format magic byte "
            "0x00. It was probably written without a schema registry (plain JSON, raw Avro "
            "or another serializer). Produce it with a registry-aware Avro serializer.",
            expected="magic byte 0x00",
            actual=f"0x{data[0]:02x}",
        )
    view = memoryview(data)
    return SchemaId(int.from_bytes(view[1:HEADER_SIZE_BYTES], "big")), view[HEADER_SIZE_BYTES:]
