"""Commit offsets with parked copies in flight; pure bookkeeping, nothing faked."""

from __future__ import annotations

import pytest

from keybus.retry import ParkingError
from keybus.retry.offsets import OffsetBook

KEY = ("orders", 0)


def _committed(book: OffsetBook) -> list[tuple[str, int, int]]:
    return [(tp.topic, tp.partition, tp.offset) for tp in book.commit_offsets()]


def test_commits_past_handled_records() -> None:
    book = OffsetBook()
    book.done(KEY, 4)

    assert _committed(book) == [("orders", 0, 5)]
    assert _committed(book) == [], "an offset is committed once"


def test_stops_at_oldest_unacknowledged_copy() -> None:
    book = OffsetBook()
    book.in_flight(KEY, 3)
    book.done(KEY, 3)
    book.in_flight(KEY, 6)
    book.done(KEY, 9)

    first = _committed(book)
    book.acknowledged(KEY, 3)
    second = _committed(book)
    book.acknowledged(KEY, 6)
    third = _committed(book)

    assert first == [("orders", 0, 3)]
    assert second == [("orders", 0, 6)]
    assert third == [("orders", 0, 10)]


def test_failed_copy_is_never_committed_past() -> None:
    book = OffsetBook()
    book.in_flight(KEY, 2)
    book.done(KEY, 7)
    book.failed(ParkingError("copy of orders[0]@2 failed", topic="orders", destination="d"))

    assert _committed(book) == [("orders", 0, 2)]
    with pytest.raises(ParkingError, match=r"copy of orders\[0\]@2 failed"):
        book.raise_failures()


def test_forget_drops_revoked_partitions() -> None:
    book = OffsetBook()
    book.done(KEY, 1)
    book.forget([KEY])

    assert _committed(book) == []
    assert not book
