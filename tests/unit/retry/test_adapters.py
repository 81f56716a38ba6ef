"""Adapters for the SDK consumer and Faust agents; the producer and Faust events are fakes."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from faust.types.tuples import Message
from retry_fakes import FakeProducer

from keybus.client import ConsumedRecord, Decision
from keybus.retry import FailureHandler, RetryPolicy, StopConsumerError
from keybus.retry.adapters import (
    RetryTiersPolicy,
    handle_failure_async,
    inbound_from_consumed,
    inbound_from_faust,
)

POLICY = RetryPolicy(tiers_s=(5,), max_attempts=3, jitter_ratio=0.0)


def _faust_message(headers: object = None) -> Message:
    return Message(
        topic="orders",
        partition=1,
        offset=12,
        timestamp=1_800_000_000.5,
        timestamp_type=0,
        headers=[("ce_id", b"e-1")] if headers is None else headers,  # type: ignore[arg-type]
        key=b"o-1",
        value=b"{}",
        checksum=None,
    )


@dataclass
class _FaustEvent:
    """The two attributes of a Faust `EventT` the adapter reads."""

    message: Message = field(default_factory=_faust_message)
    value: object = field(default_factory=lambda: {"total": 3})


def _consumed(timestamp_ms: int | None = None) -> ConsumedRecord:
    now_ms = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    return ConsumedRecord("orders", 0, 7, b"k", b"v", [("ce_id", b"e-9")], now_ms, event="x")


def test_policy_parks_and_skips() -> None:
    producer = FakeProducer()
    policy = RetryTiersPolicy(FailureHandler(producer, group="billing", policy=POLICY))  # type: ignore[arg-type]

    decision = policy.on_failure(_consumed(), TimeoutError("slow"))

    assert decision is Decision.SKIP
    assert [copy.topic for copy in producer.produced] == ["orders.billing.retry.5s"]


def test_policy_stops_on_fatal_error() -> None:
    producer = FakeProducer()
    policy = RetryTiersPolicy(FailureHandler(producer, group="billing", policy=POLICY))  # type: ignore[arg-type]

    decision = policy.on_failure(_consumed(), StopConsumerError("disk full"))

    assert decision is Decision.STOP
    assert producer.produced == []


def test_policy_stops_when_parking_fails() -> None:
    producer = FakeProducer(failing_topics={"orders.billing.retry.5s"})
    policy = RetryTiersPolicy(FailureHandler(producer, group="billing", policy=POLICY))  # type: ignore[arg-type]

    assert policy.on_failure(_consumed(), TimeoutError("slow")) is Decision.STOP


def test_event_too_old_goes_to_dead_letters() -> None:
    producer = FakeProducer()
    policy = RetryTiersPolicy(FailureHandler(producer, group="billing", policy=POLICY))  # type: ignore[arg-type]

    decision = policy.on_failure(_consumed(timestamp_ms=1000), TimeoutError("slow"))

    assert decision is Decision.SKIP
    assert [copy.topic for copy in producer.produced] == ["orders.billing.dlq"]


def test_missing_timestamp_becomes_none() -> None:
    assert inbound_from_consumed(_consumed(timestamp_ms=-1)).timestamp_ms is None


def test_consumed_record_keeps_event() -> None:
    record = inbound_from_consumed(_consumed())

    assert (record.topic, record.partition, record.offset) == ("orders", 0, 7)
    assert record.headers == (("ce_id", b"e-9"),)
    assert record.event == "x"


def test_faust_event_conversion() -> None:
    record = inbound_from_faust(_FaustEvent())

    assert (record.topic, record.partition, record.offset) == ("orders", 1, 12)
    assert record.timestamp_ms == 1_800_000_000_500
    assert record.header_text("ce_id") == "e-1"
    assert record.event == {"total": 3}


def test_faust_mapping_headers() -> None:
    record = inbound_from_faust(_FaustEvent(message=_faust_message({"ce_id": b"e-2"})))

    assert record.headers == (("ce_id", b"e-2"),)


def test_faust_failure_parked_from_event_loop() -> None:
    producer = FakeProducer()
    failures = FailureHandler(producer, group="billing", policy=POLICY)  # type: ignore[arg-type]

    asyncio.run(handle_failure_async(failures, inbound_from_faust(_FaustEvent()), KeyError("x")))

    [copy] = producer.produced
    assert copy.topic == "orders.billing.retry.5s"
    assert dict(copy.headers)["keybus-original-offset"] == b"12"
