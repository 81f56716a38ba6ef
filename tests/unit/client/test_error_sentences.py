"""Messages that embed another message end each sentence with one full stop.

The consumer is built but never subscribed, so no broker is contacted. The registry is
in memory.
"""

from __future__ import annotations

import pytest

from keybus.client import Consumer, HandlerError
from keybus.errors import clause
from keybus.registry import InMemoryRegistry


class _UndecodableMessage:
    """A record whose value has no wire-format magic byte, as the demo's broken ones."""

    def topic(self) -> str:
        return "lock-devices"

    def partition(self) -> int:
        return 1

    def offset(self) -> int:
        return 9

    def key(self) -> bytes:
        return b"lock-1"

    def value(self) -> bytes:
        return b'{"not": "avro"}'

    def headers(self) -> list[tuple[str, bytes]]:
        return []

    def timestamp(self) -> tuple[int, int]:
        return (1, 1_700_000_000_000)

    def error(self) -> None:
        return None


def test_undecodable_record_error_has_single_stops() -> None:
    consumer = Consumer("127.0.0.1:9", "group", InMemoryRegistry(), topics=["lock-devices"])

    with pytest.raises(HandlerError) as caught:
        consumer.handle(_UndecodableMessage())

    assert "lock-devices[1]@9" in caught.value.message
    assert ".." not in caught.value.message


@pytest.mark.parametrize(
    ("part", "expected"),
    [("serializer.", "serializer"), ("done. ", "done"), (ValueError("bad"), "bad")],
)
def test_clause_drops_final_stop(part: object, expected: str) -> None:
    assert clause(part) == expected
