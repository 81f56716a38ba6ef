"""Dead-letter filters, summaries and replay planning; the admin client and producer are fakes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
from retry_fakes import FakeProducer

from keybus.retry import FailureState, InboundRecord, ParkingError
from keybus.retry.deadletters import DeadLetter, DeadLetterFilter, summarize
from keybus.retry.headers import write_headers
from keybus.retry.replay import (
    ReplayDestination,
    _produce_copies,
    _record_in_ledger,
    plan_replay,
)

NOW_MS = 1_800_000_000_000


@dataclass
class _TopicMeta:
    partitions: dict[int, object]


@dataclass
class _Metadata:
    topics: dict[str, _TopicMeta]


@dataclass
class FakeAdmin:
    """Return fixed topics and partition counts from list_topics."""

    partitions: dict[str, int] = field(default_factory=dict)

    def list_topics(self, timeout: float = 0) -> _Metadata:
        return _Metadata(
            {name: _TopicMeta(dict.fromkeys(range(n))) for name, n in self.partitions.items()}
        )


def _letter(
    offset: int,
    *,
    event_id: str,
    replay_count: int = 0,
    error: Exception | None = None,
    key: bytes = b"k",
    partition: int = 2,
    parked_ms: int = NOW_MS,
) -> DeadLetter:
    source = InboundRecord(
        "orders",
        partition,
        100 + offset,
        key,
        b"{}",
        (("ce_id", event_id.encode()), ("ce_type", b"com.example.OrderPlaced")),
        NOW_MS,
    )
    state = FailureState.of(source, "billing").failed(error or TimeoutError("slow"), parked_ms)
    from dataclasses import replace  # noqa: PLC0415

    state = replace(state, replay_count=replay_count, dead_letter_reason="max-attempts")
    parked = InboundRecord(
        "orders.billing.dlq",
        0,
        offset,
        key,
        b"{}",
        tuple(write_headers(source.headers, state)),
        parked_ms,
    )
    return DeadLetter(parked, FailureState.of(parked, ""))


def test_filter_matches_each_field() -> None:
    letter = _letter(0, event_id="e1", error=ConnectionError("down"), key=b"sku-1")

    assert DeadLetterFilter(error_type="ConnectionError").matches(letter)
    assert DeadLetterFilter(error_type="builtins.ConnectionError").matches(letter) is False
    assert DeadLetterFilter(event_type="com.example.OrderPlaced", key="sku-1").matches(letter)
    assert not DeadLetterFilter(key="sku-2").matches(letter)
    assert DeadLetterFilter(since_ms=NOW_MS, until_ms=NOW_MS).matches(letter)
    assert not DeadLetterFilter(since_ms=NOW_MS + 1).matches(letter)


def test_summary_counts_by_type_and_age() -> None:
    letters = [
        _letter(0, event_id="a", parked_ms=NOW_MS - 10_000),
        _letter(1, event_id="b", parked_ms=NOW_MS - 2 * 3600_000),
        _letter(2, event_id="c", parked_ms=NOW_MS - 3 * 86400_000),
        _letter(3, event_id="d", error=ValueError("x")),
    ]

    timeouts, values = summarize(letters, NOW_MS / 1000)

    assert (timeouts.error_type, timeouts.count) == ("TimeoutError", 3)
    assert dict(timeouts.by_age) == {"< 1 h": 1, "1 h - 1 d": 1, ">= 1 d": 1}
    assert timeouts.oldest_s == pytest.approx(3 * 86400)
    assert (values.error_type, values.count) == ("ValueError", 1)


def test_plan_skips_replayed_generations_and_duplicates() -> None:
    admin = FakeAdmin({"orders": 3})
    letters = [
        _letter(0, event_id="a"),
        _letter(1, event_id="a"),
        _letter(2, event_id="b"),
        _letter(3, event_id="c", replay_count=1),
    ]
    ledger = {"b": 1, "c": 1}

    plans, skipped = plan_replay(
        letters, ledger, ReplayDestination.ORIGINAL, admin=admin, now_ms=NOW_MS
    )  # type: ignore[arg-type]

    assert [plan.letter.event_id for plan in plans] == ["a", "c"]
    assert skipped == 2
    assert [plan.state.replay_count for plan in plans] == [1, 2]
    assert all(plan.topic == "orders" and plan.partition == 2 for plan in plans)
    assert plans[0].state.error_type is None
    assert plans[0].state.attempts == 0
    assert plans[0].state.original_offset == 100
    assert plans[0].state.replayed_ms == NOW_MS


def test_plan_to_first_retry_tier() -> None:
    admin = FakeAdmin({"orders": 1, "orders.billing.retry.5m": 1, "orders.billing.retry.5s": 1})

    [plan], _skipped = plan_replay(
        [_letter(0, event_id="a")], {}, ReplayDestination.RETRY, admin=admin, now_ms=NOW_MS
    )  # type: ignore[arg-type]

    assert plan.topic == "orders.billing.retry.5s"
    assert plan.state.due_ms == NOW_MS
    assert plan.partition is None, "the source has fewer partitions than the original"


def test_plan_without_tiers_is_explained() -> None:
    with pytest.raises(Exception, match="No retry tier of group 'billing'"):
        plan_replay(
            [_letter(0, event_id="a")],
            {},
            ReplayDestination.RETRY,
            admin=FakeAdmin({"orders": 1}),
            now_ms=NOW_MS,
        )  # type: ignore[arg-type]


def test_ledger_written_only_for_acknowledged_copies() -> None:
    admin = FakeAdmin({"orders": 3})
    plans, _ = plan_replay(
        [_letter(0, event_id="a")], {}, ReplayDestination.ORIGINAL, admin=admin, now_ms=NOW_MS
    )  # type: ignore[arg-type]
    producer = FakeProducer(failing_topics={"orders"})

    acknowledged = _produce_copies(producer, plans)  # type: ignore[arg-type]
    _record_in_ledger(producer, "orders.billing.dlq.replayed", acknowledged)  # type: ignore[arg-type]

    assert acknowledged == []
    assert producer.produced == []


def test_ledger_entry_after_acknowledged_copy() -> None:
    admin = FakeAdmin({"orders": 3})
    plans, _ = plan_replay(
        [_letter(0, event_id="a")], {}, ReplayDestination.ORIGINAL, admin=admin, now_ms=NOW_MS
    )  # type: ignore[arg-type]
    producer = FakeProducer()

    acknowledged = _produce_copies(producer, plans)  # type: ignore[arg-type]
    _record_in_ledger(producer, "orders.billing.dlq.replayed", acknowledged)  # type: ignore[arg-type]

    copy, entry = producer.produced
    assert (copy.topic, copy.partition, copy.key) == ("orders", 2, b"k")
    assert dict(copy.headers)["keybus-replay-count"] == b"1"
    assert entry.topic == "orders.billing.dlq.replayed"
    assert entry.key == b"a"
    assert json.loads(entry.value or b"")["replay_count"] == 1


def test_unacknowledged_ledger_entry_raises() -> None:
    admin = FakeAdmin({"orders": 3})
    plans, _ = plan_replay(
        [_letter(0, event_id="a")], {}, ReplayDestination.ORIGINAL, admin=admin, now_ms=NOW_MS
    )  # type: ignore[arg-type]
    producer = FakeProducer(failing_topics={"orders.billing.dlq.replayed"})

    with pytest.raises(ParkingError, match="a second replay may deliver them again"):
        _record_in_ledger(producer, "orders.billing.dlq.replayed", plans)  # type: ignore[arg-type]
