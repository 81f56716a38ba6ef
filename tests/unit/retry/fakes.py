"""A fake producer for unit tests of the retry package: records what is produced, no broker."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Produced:
    """One record handed to the fake producer."""

    topic: str
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]
    partition: int


@dataclass
class FakeProducer:
    """Acknowledge every record at flush, or fail those whose topic is in `failing_topics`."""

    failing_topics: set[str] = field(default_factory=set)
    produced: list[Produced] = field(default_factory=list)
    _callbacks: list[tuple[Callable[..., None], Produced]] = field(default_factory=list)

    def produce(
        self,
        topic: str,
        key: bytes | None = None,
        value: bytes | None = None,
        headers: list[tuple[str, Any]] | None = None,
        *,
        on_delivery: Callable[..., None] | None = None,
        partition: int = -1,
    ) -> None:
        record = Produced(topic, key, value, list(headers or []), partition)
        if on_delivery is not None:
            self._callbacks.append((on_delivery, record))

    def flush(self, _timeout: float = 0) -> int:
        for callback, record in self._callbacks:
            if record.topic in self.failing_topics:
                callback(f"topic {record.topic} is not available", None)
            else:
                self.produced.append(record)
                callback(None, record)
        self._callbacks.clear()
        return 0
