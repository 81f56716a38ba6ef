"""The keybus error hierarchy: one root, structured fields, and whether a retry can help."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "ConfigurationError",
    "InvalidTopicNameError",
    "KeybusError",
    "clause",
    "counted",
    "listed",
]


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """Return `count` with `noun` in agreement: "1 record", "2 records", "0 records"."""
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {plural or noun + 's'}"


def listed(items: Iterable[str], *, limit: int = 3, noun: str = "") -> str:
    """Return the first `limit` items joined by commas, then how many more there are.

    `noun` follows the count of the rest: `listed(names, noun="files")` ends in
    "and 2 more files".
    """
    values = list(items)
    joined = ", ".join(values[:limit])
    if len(values) <= limit:
        return joined
    rest = f"{len(values) - limit} more {noun}".rstrip()
    return f"{joined} and {rest}"


def clause(part: object) -> str:
    """Return `part` as text to embed before a full stop, without its own end punctuation.

    Messages join other messages, such as an exception's, into sentences of their own;
    `f"...: {clause(exc)}. Fix ..."` keeps "serializer.." from appearing.
    """
    return str(part).rstrip().rstrip(".")


class KeybusError(Exception):
    """Root of every error keybus raises on purpose.

    Attributes:
        retryable: True when the same call may succeed later without any change,
            for example after a broker or registry comes back.
    """

    retryable: bool = False

    def __init__(self, message: str, *, retryable: bool | None = None) -> None:
        super().__init__(message)
        self.message = message
        if retryable is not None:
            self.retryable = retryable


class ConfigurationError(KeybusError):
    """A setting, file or argument has a value keybus cannot use."""


class InvalidTopicNameError(ConfigurationError):
    """A topic name breaks Kafka's rule for topic names.

    Attributes:
        topic: the rejected name.
    """

    def __init__(self, message: str, *, topic: str) -> None:
        super().__init__(message, retryable=False)
        self.topic = topic
