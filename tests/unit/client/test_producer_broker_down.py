"""A producer whose broker is down: the registry is in memory, Kafka is a closed port.

librdkafka tries 127.0.0.1:9 (discard, nothing listens there on the test machines), so
no record is ever acknowledged.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from keybus.catalog import DoorUnlocked
from keybus.catalog.com.example.access import AccessMethod
from keybus.client import DeliveryError, Producer
from keybus.registry import InMemoryRegistry

OFFLINE = "127.0.0.1:9"


def _producer() -> Producer:
    return Producer(OFFLINE, InMemoryRegistry(), auto_register=True, source="urn:test:locks")


def _event() -> DoorUnlocked:
    return DoorUnlocked(
        lock_id="lock-7",
        method=AccessMethod.BLUETOOTH,
        occurred_at=datetime(2026, 5, 1, 8, 30, tzinfo=UTC),
    )


def test_with_block_keeps_publish_error() -> None:
    event = _event()
    started = time.monotonic()

    with pytest.raises(DeliveryError) as raised, _producer() as producer:
        producer.publish(event, timeout_s=0.5)
    elapsed_s = time.monotonic() - started

    assert str(event.event_id) in raised.value.message
    assert "lock-devices" in raised.value.message
    assert OFFLINE in raised.value.message
    assert elapsed_s < 10.0
    assert any("1 queued event still unacknowledged" in note for note in raised.value.__notes__)


def test_flush_timeout_names_bootstrap_servers() -> None:
    producer = _producer()
    producer.publish_nowait(_event())

    with pytest.raises(DeliveryError) as raised:
        producer.flush(0.5)

    assert f"Kafka at {OFFLINE}" in raised.value.message
    assert raised.value.message.startswith("1 event was still unacknowledged")
