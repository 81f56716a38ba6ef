"""The projection declaration: source streams, event types, SQLite tables and queries."""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

from keybus.events.model import Event
from keybus.sourcing.upcasting import Upcasters

__all__ = ["Projection", "SourceRecord"]


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """The origin of an event: its record's coordinates, key and time.

    Attributes:
        topic: the topic as read, prefix included.
        stream: the stream name the projection declared, without the prefix.
        timestamp_ms: the record's Kafka timestamp, in milliseconds since the epoch.
        aggregate_version: the version header of events the command handler appended.
    """

    topic: str
    stream: str
    partition: int
    offset: int
    key: str
    timestamp_ms: int
    aggregate_version: int | None


class Projection(ABC):
    """A read model built from event streams into SQLite tables.

    A subclass names its source `streams` (topic names before any prefix), the
    `event_types` it reads, creates its tables in `create`, and changes them for each
    event in `apply`. The runner calls `apply` in stream order per partition, inside a
    transaction that also stores the stream positions, so every event is applied once
    per build. `keybus replay --from TIME` reads the records from TIME, or from the
    stored position when that is earlier, again on top of the current rows. It passes
    the records the database includes already to `apply` again only when `idempotent`
    is True.

    Attributes:
        name: the projection's name in the registry, the CLI and the HTTP paths.
        streams: source topics, before the topic prefix.
        event_types: the models events are read into; others are skipped.
        tables: table name -> its key column, each served over HTTP.
        queries: query name -> SQL with a `:key` parameter, served over HTTP.
        upcasters: upcaster functions for old schema versions of `event_types`.
        idempotent: whether applying an event the tables include already leaves them
            unchanged. When False, a replay from a time skips such events.
    """

    name: ClassVar[str]
    streams: ClassVar[Sequence[str]]
    event_types: ClassVar[Sequence[type[Event]]]
    tables: ClassVar[Mapping[str, str]]
    queries: ClassVar[Mapping[str, str]] = {}
    idempotent: ClassVar[bool] = True

    def __init__(self, upcasters: Upcasters | None = None) -> None:
        self.upcasters = upcasters or Upcasters()

    @abstractmethod
    def create(self, db: sqlite3.Connection) -> None:
        """Create the projection's tables if they do not exist."""

    @abstractmethod
    def apply(self, db: sqlite3.Connection, event: Event, record: SourceRecord) -> None:
        """Change the tables for one event."""
