"""Errors of `keybus import`: unreadable logs, unusable mappings, conflicts, mixed topics."""

from __future__ import annotations

from keybus.errors import ConfigurationError, KeybusError

__all__ = [
    "EarlierImportError",
    "ImportConflictError",
    "LogFormatError",
    "MappingError",
    "MixedTopicError",
]


class LogFormatError(KeybusError):
    """An event log file cannot be read as CSV or XES.

    Attributes:
        path: the file.
        row: the 1-based event row where reading stopped, when known.
    """

    def __init__(self, message: str, *, path: str, row: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.row = row


class MappingError(ConfigurationError):
    """A mapping names a column the log lacks, or its values cannot be used."""


class ImportConflictError(KeybusError):
    """An unfinished import of the same file was started with other options or schema.

    Attributes:
        topic: the target topic.
        file_sha256: the identity of the file.
    """

    def __init__(self, message: str, *, topic: str, file_sha256: str) -> None:
        super().__init__(message)
        self.topic = topic
        self.file_sha256 = file_sha256


class MixedTopicError(KeybusError):
    """The target topic of a new import contains, or is assigned, other events.

    Attributes:
        topic: the target topic.
        event_types: the other event types found, `<no ce_type>` for records without one.
        sources: the other `ce_source` values of the records read.
    """

    def __init__(
        self, message: str, *, topic: str, event_types: tuple[str, ...], sources: tuple[str, ...]
    ) -> None:
        super().__init__(message)
        self.topic = topic
        self.event_types = event_types
        self.sources = sources


class EarlierImportError(KeybusError):
    """The target topic of a new import contains imports of other files, maybe of the same log.

    Attributes:
        topic: the target topic.
        earlier_sha256: the SHA-256 of each earlier file imported into the topic.
    """

    def __init__(self, message: str, *, topic: str, earlier_sha256: tuple[str, ...]) -> None:
        super().__init__(message)
        self.topic = topic
        self.earlier_sha256 = earlier_sha256
