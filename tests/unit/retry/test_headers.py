"""Failure headers: reading, writing and truncating; pure functions, nothing faked."""

from __future__ import annotations

from keybus.retry import FailureState, InboundRecord
from keybus.retry.headers import (
    MAX_MESSAGE_BYTES,
    MAX_STACKTRACE_BYTES,
    describe_error,
    user_headers,
    write_headers,
)


def _record(headers: tuple[tuple[str, bytes], ...] = ()) -> InboundRecord:
    return InboundRecord("orders", 1, 7, b"k", b"v", headers, timestamp_ms=1000)


def test_fresh_state_points_at_the_record() -> None:
    state = FailureState.of(_record(), "billing")

    assert state.event_key == "orders:1:7"
    assert state.original_timestamp_ms == 1000
    assert state.attempts == 0
    assert state.group == "billing"


def test_state_round_trips_through_headers() -> None:
    state = FailureState.of(_record(), "billing").failed(TimeoutError("slow"), now_ms=5000)

    read = FailureState.of(_record(tuple(write_headers((), state))), "other")

    assert read == state


def test_duplicate_bookkeeping_headers_read_last_value() -> None:
    headers = (
        ("keybus-original-topic", b"orders"),
        ("keybus-attempts", b"2"),
        ("keybus-attempts", b"3"),
    )

    assert FailureState.of(_record(headers), "billing").attempts == 3


def test_write_replaces_every_old_bookkeeping_header() -> None:
    stale = (("ce_id", b"e1"), ("keybus-attempts", b"1"), ("keybus-attempts", b"2"), ("x", b""))
    state = FailureState.of(_record(stale), "billing").failed(TimeoutError(), now_ms=1)

    written = write_headers(stale, state)

    assert [name for name, _ in written].count("keybus-attempts") == 1
    assert written[:2] == [("ce_id", b"e1"), ("x", b"")]


def test_user_headers_keep_order_and_duplicates() -> None:
    headers = (("b", b"1"), ("keybus-attempts", b"1"), ("a", b"2"), ("b", b"3"))

    assert user_headers(headers) == (("b", b"1"), ("a", b"2"), ("b", b"3"))


def test_describe_error_truncates() -> None:
    # Two functions calling each other, because Python folds identical repeated frames.
    def ping(depth: int) -> None:
        if depth == 0:
            raise ValueError("z" * 5000)
        pong(depth - 1)

    def pong(depth: int) -> None:
        ping(depth)

    try:
        ping(100)
    except ValueError as exc:
        error_type, message, stacktrace = describe_error(exc)

    assert error_type == "ValueError"
    assert len(message.encode()) <= MAX_MESSAGE_BYTES
    assert message.endswith("...[truncated]...")
    assert len(stacktrace.encode()) <= MAX_STACKTRACE_BYTES
    assert stacktrace.startswith("...[truncated]...")
    assert stacktrace.endswith(f"ValueError: {message}\n")
    assert "pong(depth - 1)" in stacktrace


def test_qualified_error_type_for_non_builtins() -> None:
    from keybus.retry import ParkingError  # noqa: PLC0415

    error_type, _message, _stack = describe_error(ParkingError("x", topic="t", destination="d"))

    assert error_type == "keybus.retry.errors.ParkingError"
