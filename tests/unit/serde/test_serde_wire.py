"""Confluent wire-format framing; pure functions, nothing faked."""

from __future__ import annotations

import pytest

from keybus.serde import WireFormatError, frame, frame_header, unframe
from keybus.types import SchemaId


def test_frame_puts_magic_byte_and_big_endian_id() -> None:
    framed = frame(SchemaId(258), b"body")

    assert framed == b"\x00\x00\x00\x01\x02body"


def test_unframe_returns_id_and_body() -> None:
    schema_id, body = unframe(b"\x00\x00\x00\x01\x02body")

    assert schema_id == 258
    assert bytes(body) == b"body"


def test_unframe_accepts_empty_body() -> None:
    schema_id, body = unframe(b"\x00\x00\x00\x00\x07")

    assert schema_id == 7
    assert bytes(body) == b""


def test_unframe_rejects_missing_magic_byte() -> None:
    with pytest.raises(WireFormatError) as caught:
        unframe(b'{"json": true}')

    assert caught.value.expected == "magic byte 0x00"
    assert caught.value.actual == "0x7b"
    assert "written without a schema registry" in str(caught.value)


@pytest.mark.parametrize("data", [b"", b"\x00", b"\x00\x00\x00\x01"])
def test_unframe_rejects_short_value(data: bytes) -> None:
    with pytest.raises(WireFormatError) as caught:
        unframe(data)

    assert caught.value.actual == f"{len(data)} bytes"
    assert "shorter than the 5-byte wire-format header" in str(caught.value)


def test_unframe_rejects_tombstone() -> None:
    with pytest.raises(WireFormatError) as caught:
        unframe(None)

    assert "tombstone" in str(caught.value)


def test_frame_header_rejects_id_over_four_bytes() -> None:
    with pytest.raises(WireFormatError) as caught:
        frame_header(SchemaId(2**32))

    assert "4294967296" in str(caught.value)
