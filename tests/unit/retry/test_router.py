"""FailureHandler decisions and headers over many hops; the producer is a fake, no broker."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest
from retry_fakes import FakeProducer, Produced

from keybus.retry import (
    ConsumerStoppedError,
    FailureHandler,
    FailureKind,
    FailureState,
    InboundRecord,
    Outcome,
    ParkAction,
    ParkingError,
    RetryPolicy,
    StopConsumerError,
)
from keybus.retry.headers import MAX_MESSAGE_BYTES, MAX_STACKTRACE_BYTES

NOW_S = 1_800_000_000.0
POLICY = RetryPolicy(tiers_s=(5, 30, 300), max_attempts=5, jitter_ratio=0.0)


def _handler(
    producer: FakeProducer, policy: RetryPolicy = POLICY, **options: object
) -> FailureHandler:
    return FailureHandler(
        producer,  # type: ignore[arg-type]
        group="billing",
        policy=policy,
        clock=lambda: NOW_S,
        **options,  # type: ignore[arg-type]
    )


def _record(headers: tuple[tuple[str, bytes], ...] = (), **fields: object) -> InboundRecord:
    base = InboundRecord(
        topic="orders",
        partition=2,
        offset=41,
        key=b"order-9",
        value=b"{}",
        headers=headers,
        timestamp_ms=int(NOW_S * 1000) - 60_000,
    )
    return replace(base, **fields)  # type: ignore[arg-type]


def _as_consumed(produced: Produced, offset: int) -> InboundRecord:
    return InboundRecord(
        topic=produced.topic,
        partition=0,
        offset=offset,
        key=produced.key,
        value=produced.value,
        headers=tuple(produced.headers),
        timestamp_ms=int(NOW_S * 1000),
    )


def _recurse(depth: int) -> None:
    if depth == 0:
        raise TimeoutError("tax service timed out after 30 s " + "y" * 900)
    _recurse(depth - 1)


def _deep_error() -> TimeoutError:
    try:
        _recurse(80)
    except TimeoutError as exc:
        return exc
    raise AssertionError("no error")


def test_first_failure_goes_to_first_tier() -> None:
    producer = FakeProducer()

    outcome = _handler(producer).handle(_record(), TimeoutError("slow"))

    [copy] = producer.produced
    headers = dict(copy.headers)
    assert outcome.action is ParkAction.RETRY
    assert copy.topic == "orders.billing.retry.5s"
    assert copy.key == b"order-9"
    assert headers["keybus-attempts"] == b"1"
    assert headers["keybus-due-ms"] == str(int(NOW_S * 1000) + 5000).encode()
    assert headers["keybus-retry-tier"] == b"5s"
    assert headers["keybus-original-topic"] == b"orders"
    assert headers["keybus-original-partition"] == b"2"
    assert headers["keybus-original-offset"] == b"41"


def test_tiers_advance_then_dead_letter_at_max_attempts() -> None:
    producer = FakeProducer()
    handler = _handler(producer)
    record = _record()

    for offset in range(5):
        handler.handle(record, TimeoutError("slow"))
        record = _as_consumed(producer.produced[-1], offset)

    topics = [copy.topic for copy in producer.produced]
    assert topics == [
        "orders.billing.retry.5s",
        "orders.billing.retry.30s",
        "orders.billing.retry.5m",
        "orders.billing.retry.5m",
        "orders.billing.dlq",
    ]
    assert dict(producer.produced[-1].headers)["keybus-dead-letter-reason"] == b"max-attempts"


def test_not_retryable_goes_straight_to_dead_letters() -> None:
    producer = FakeProducer()

    outcome = _handler(producer).handle(_record(), ValueError("bad") if False else _bad())

    assert outcome.action is ParkAction.DEAD_LETTER
    assert [copy.topic for copy in producer.produced] == ["orders.billing.dlq"]
    assert dict(producer.produced[0].headers)["keybus-dead-letter-reason"] == b"not-retryable"


def _bad() -> Exception:
    from keybus.retry import UndecodableRecordError  # noqa: PLC0415

    return UndecodableRecordError("cannot decode", topic="orders", partition=2, offset=41)


def test_event_too_old_is_parked() -> None:
    producer = FakeProducer()
    policy = RetryPolicy(tiers_s=(5,), max_event_age_s=60)
    old = _record(timestamp_ms=int(NOW_S * 1000) - 58_000)

    outcome = _handler(producer, policy).handle(old, TimeoutError("slow"))

    assert outcome.action is ParkAction.DEAD_LETTER
    assert outcome.state.dead_letter_reason == "max-event-age"


def test_stop_error_produces_nothing() -> None:
    producer = FakeProducer()

    with pytest.raises(ConsumerStoppedError, match=r"orders\[2\]@41.*classified as fatal"):
        _handler(producer).handle(_record(), StopConsumerError("disk full"))

    assert producer.produced == []


def test_unacknowledged_copy_raises_parking_error() -> None:
    producer = FakeProducer(failing_topics={"orders.billing.retry.5s"})

    with pytest.raises(ParkingError, match=r"could not be written to orders\.billing\.retry\.5s"):
        _handler(producer).handle(_record(), TimeoutError("slow"))


def test_failing_dead_letter_handler_parks_once() -> None:
    producer = FakeProducer()
    calls: list[Outcome] = []

    def on_dead_letter(record: InboundRecord, outcome: Outcome) -> None:
        calls.append(outcome)
        raise RuntimeError("pager service is down")

    handler = _handler(producer, dead_letter_handler=on_dead_letter)
    outcome = handler.handle(_record(), _bad())

    assert outcome.action is ParkAction.DEAD_LETTER
    assert len(calls) == 1
    assert len(producer.produced) == 1


def test_decide_for_each_kind() -> None:
    handler = _handler(FakeProducer())
    state = FailureState.of(_record(), "billing").failed(TimeoutError(), int(NOW_S * 1000))

    retry = handler.decide(state, FailureKind.RETRYABLE, int(NOW_S * 1000))
    parked = handler.decide(state, FailureKind.NOT_RETRYABLE, int(NOW_S * 1000))

    assert retry.destination == "orders.billing.retry.5s"
    assert parked.destination == "orders.billing.dlq"


def test_headers_stay_single_and_bounded_over_many_hops() -> None:
    producer = FakeProducer()
    handler = _handler(producer, RetryPolicy(tiers_s=(1, 2), max_attempts=40, jitter_ratio=0.5))
    own_headers = (("ce_id", b"evt-1"), ("traceparent", b"00-abc"), ("ce_id", b"evt-1"))
    record = _record(headers=own_headers)
    sizes = []

    for offset in range(40):
        handler.handle(record, _deep_error())
        copy = producer.produced[-1]
        record = _as_consumed(copy, offset)
        sizes.append(sum(len(name) + len(value) for name, value in copy.headers))
        names = Counter(name for name, _value in copy.headers if name.startswith("keybus-"))
        assert max(names.values()) == 1, names
        assert [h for h in copy.headers if not h[0].startswith("keybus-")] == list(own_headers)
        headers = dict(copy.headers)
        assert len(headers["keybus-error-stacktrace"]) <= MAX_STACKTRACE_BYTES
        assert len(headers["keybus-error-message"]) <= MAX_MESSAGE_BYTES
        assert headers["keybus-original-offset"] == b"41"
        assert headers["keybus-attempts"] == str(offset + 1).encode()

    assert producer.produced[-1].topic == "orders.billing.dlq"
    assert max(sizes) - min(sizes) <= 40, sizes
