"""The bytes schema of router sources and the partition monitor, on an unstarted Faust app."""

from __future__ import annotations

from typing import Any

import faust
from faust.types import TP, Message

from keybus.streams.bytes_schema import BytesSchema
from keybus.streams.monitor import PartitionMonitor

HEADERS = [("ce_type", b"com.example.test.Reading")]


def _message(key: bytes | None, value: bytes | None) -> Message:
    return Message("readings", 2, 41, 0.0, 0, HEADERS, key, value, None)


def _decode(message: Message) -> Any:
    """Decode one record; the coroutine must finish without waiting on the event loop."""
    app = faust.App("test-bytes-schema", broker="kafka://127.0.0.1:1", store="memory://")
    decode = BytesSchema().compile(app)
    try:
        decode(message).send(None)
    except StopIteration as stop:
        return stop.value
    raise AssertionError("decoding waited on the event loop")


def test_bytes_schema_keeps_key_value_and_headers() -> None:
    message = _message(b"d-1", b"\x00\x00\x00\x00\x01body")

    event = _decode(message)

    assert event.key == b"d-1"
    assert event.value == b"\x00\x00\x00\x00\x01body"
    assert event.headers == dict(HEADERS)
    assert event.message is message


def test_bytes_schema_keeps_missing_key_and_value() -> None:
    event = _decode(_message(None, None))

    assert event.key is None
    assert event.value is None


def test_partition_monitor_records_stream_inbound_time() -> None:
    monitor = PartitionMonitor()
    tp = TP("readings", 2)

    state = monitor.on_stream_event_in(tp, 41, None, None)  # type: ignore[arg-type]

    assert state is None
    assert tp in monitor.stream_inbound_time
    assert monitor.events_total == 0
