"""The view of a consumed record that the retry mechanism works on, whatever client read it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from confluent_kafka import TIMESTAMP_NOT_AVAILABLE, Message

__all__ = ["Headers", "InboundRecord"]

Headers = tuple[tuple[str, bytes], ...]


@dataclass(slots=True)
class InboundRecord:
    """One consumed record: where it was read, its key, value and headers, and its event.

    `event` is what the decoder made of `value`, or None when the consumer has no
    decoder. Clients other than confluent-kafka (Faust, the SDK consumer) build one
    with the plain constructor. Treat it as read-only and use `dataclasses.replace`
    for a changed copy. It is not frozen, because a frozen dataclass takes about three
    times as long to build, and one is built per consumed record.
    """

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Headers = ()
    timestamp_ms: int | None = None
    event: Any = None

    @classmethod
    def from_message(cls, message: Message) -> InboundRecord:
        """Copy a confluent-kafka message; header values of None become empty bytes."""
        timestamp_type, timestamp = message.timestamp()
        raw_headers: list[tuple[str, bytes | None]] | None = message.headers()  # type: ignore[assignment]
        headers: Headers = ()
        if raw_headers:
            headers = tuple((name, value or b"") for name, value in raw_headers)
        return cls(
            message.topic() or "",
            message.partition() or 0,
            message.offset() or 0,
            message.key(),
            message.value(),
            headers,
            None if timestamp_type == TIMESTAMP_NOT_AVAILABLE else timestamp,
        )

    def header(self, name: str) -> bytes | None:
        """Return the last value of header `name`, or None when the record lacks it."""
        found = None
        for header_name, value in self.headers:
            if header_name == name:
                found = value
        return found

    def header_text(self, name: str) -> str | None:
        """Return the last value of header `name` as UTF-8 text, or None."""
        value = self.header(name)
        return None if value is None else value.decode("utf-8", errors="replace")
