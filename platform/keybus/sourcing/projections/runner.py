"""Run a projection: read its streams from stored positions and apply events to SQLite."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, TopicPartition

from keybus.batches import poll_batch
from keybus.kafka import BrokerUnavailableError, Consumer
from keybus.serde.codec import SchemaRegistry
from keybus.serde.errors import SerdeError
from keybus.sourcing.offsets import partition_ids, watermarks
from keybus.sourcing.projections.base import SourceRecord
from keybus.sourcing.projections.store import ProjectionStore
from keybus.sourcing.upcasting import EventReader
from keybus.sourcing.wire import VERSION_HEADER

__all__ = ["BatchApplied", "ProjectionRunner"]

logger = logging.getLogger(__name__)

_BATCH_SIZE = 500

CATCH_UP_STALL_S = 30.0
"""Seconds `catch_up` waits without any position moving before it takes Kafka as lost. It
equals the 30 s metadata timeout of most keybus commands."""


@dataclass(frozen=True)
class BatchApplied:
    """One committed batch: its records and when the transaction committed.

    Attributes:
        records: the source records of the batch, skipped ones included.
        committed_at: `time.time()` right after the SQLite commit, in seconds.
    """

    records: Sequence[SourceRecord]
    committed_at: float


class ProjectionRunner:
    """Read a projection's streams and apply their events, one transaction per batch.

    Positions live in the projection's SQLite file, not in a consumer group, so a
    rebuilt or copied file carries its own place in the streams.

    Args:
        store: the projection's database.
        bootstrap_servers: Kafka's `bootstrap.servers`.
        registry: the registry client, for writer schemas and upcasting.
        topic_prefix: prefix of the stream topics.
        on_batch: called after each committed batch, for metrics and tests.

    Attributes:
        skipped: records that could not be decoded.
        included: the stored positions that `rewind` found, below which the database
            includes every record already.
        reread: records read below `included`.
    """

    def __init__(
        self,
        store: ProjectionStore,
        *,
        bootstrap_servers: str,
        registry: SchemaRegistry,
        topic_prefix: str = "",
        on_batch: Callable[[BatchApplied], object] | None = None,
    ) -> None:
        self.store = store
        self.projection = store.projection
        self.topic_prefix = topic_prefix
        self.on_batch = on_batch
        self.reader = EventReader(
            registry, self.projection.event_types, upcasters=self.projection.upcasters
        )
        self.streams = {f"{topic_prefix}{stream}": stream for stream in self.projection.streams}
        self.skipped = 0
        self.reread = 0
        self.included: dict[tuple[str, int], int] = {}
        self.bootstrap_servers = bootstrap_servers
        self._last_error: object = None
        settings = {
            "bootstrap.servers": bootstrap_servers,
            "group.id": f"keybus-projection-{self.projection.name}",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
            "fetch.wait.max.ms": 10,
        }
        self._consumer = Consumer(settings)
        # Look-ups from other threads (lag) use their own client: a call on the reading
        # client blocks while another thread waits in its consume().
        self._lookups = Consumer(settings)
        self._lookup_lock = threading.Lock()
        self._position: dict[tuple[str, int], int] = {}
        self._stop = threading.Event()

    def close(self) -> None:
        """Leave Kafka; the store stays open."""
        self._consumer.close()
        self._lookups.close()

    def stop(self) -> None:
        """Ask `run` to return after the batch in hand; safe from other threads."""
        self._stop.set()

    def partitions(self) -> list[TopicPartition]:
        """Return every partition of the projection's source topics."""
        found = []
        for topic in self.streams:
            with self._lookup_lock:
                ids = partition_ids(self._lookups, topic)
            found += [TopicPartition(topic, partition) for partition in ids]
        return found

    def rewind(self, since: datetime | None) -> dict[tuple[str, int], int]:
        """Set the stored positions where reading starts: the beginning, or `since`.

        With a time, each partition starts at its first record at or after `since`, or
        at its stored position when that is earlier, so no record the database lacks is
        passed over. A partition without a stored position starts at its beginning,
        because the database contains none of its events. Records below the stored
        positions count as already applied (see `included`).
        """
        partitions = self.partitions()
        stored = {} if since is None else self.store.positions()
        at_time = {} if since is None else self._offsets_at(since, partitions)
        positions = {}
        for tp in partitions:
            key = (tp.topic, tp.partition)
            if key in stored:
                positions[key] = min(stored[key], at_time[key])
            else:
                positions[key] = OFFSET_BEGINNING
        self.included = stored
        self.store.set_positions(positions)
        return positions

    def _offsets_at(
        self, since: datetime, partitions: list[TopicPartition]
    ) -> dict[tuple[str, int], int]:
        stamp_ms = int(since.timestamp() * 1000)
        requests = [TopicPartition(tp.topic, tp.partition, stamp_ms) for tp in partitions]
        found = self._lookups.offsets_for_times(requests, timeout=30)
        offsets = {}
        for tp in found:
            offset = tp.offset
            if offset < 0:  # no record at or after the time: start at the end
                offset = watermarks(self._lookups, tp.topic, tp.partition)[1]
            offsets[(tp.topic, tp.partition)] = offset
        return offsets

    def backlog(self) -> tuple[dict[tuple[str, int], int], int]:
        """Return the end offset of each partition with records left, and their count."""
        stored = self.store.positions()
        ends, left = {}, 0
        for tp in self.partitions():
            with self._lookup_lock:
                low, high = watermarks(self._lookups, tp.topic, tp.partition)
            start = max(stored.get((tp.topic, tp.partition), low), low)
            if high > start:
                ends[(tp.topic, tp.partition)] = high
                left += high - start
        return ends, left

    def lag(self) -> int:
        """Return how many records the running reader has left to read; any thread may call."""
        position = dict(self._position)
        if not position:
            return -1
        left = 0
        for (topic, partition), offset in position.items():
            with self._lookup_lock:
                low, high = watermarks(self._lookups, topic, partition)
            left += max(0, high - max(offset, low))
        return left

    def catch_up(self, progress: Callable[[int], object] | None = None) -> int:
        """Apply events until every partition reaches the end it had when this was called.

        Returns the number of records read; `progress` gets each batch's record count.
        """
        ends, _left = self.backlog()
        read = 0
        if not ends:
            return read
        moved_at, last_total = time.monotonic(), -1
        for batch in self._batches(
            lambda position: all(position.get(key, -1) >= end for key, end in ends.items())
        ):
            read += len(batch)
            if progress is not None and batch:
                progress(len(batch))
            total = sum(self._position.values())
            if total != last_total:
                moved_at, last_total = time.monotonic(), total
            elif time.monotonic() - moved_at > CATCH_UP_STALL_S:
                raise self._stalled(ends)
        return read

    def _stalled(self, ends: dict[tuple[str, int], int]) -> BrokerUnavailableError:
        left = sum(max(0, end - self._position.get(key, 0)) for key, end in ends.items())
        detail = (
            f"the replay of {self.projection.name} read nothing for {CATCH_UP_STALL_S:g} s "
            f"with {left} records left"
        )
        if self._last_error is not None:
            detail += f" (last error: {self._last_error})"
        return BrokerUnavailableError(self.bootstrap_servers, detail)

    def run(self) -> int:
        """Apply events until `stop()` is called; return the number of records read."""
        read = 0
        for batch in self._batches(lambda _position: self._stop.is_set()):
            read += len(batch)
        return read

    def _batches(
        self, done: Callable[[dict[tuple[str, int], int]], bool]
    ) -> Iterator[list[SourceRecord]]:
        position = self._assign()
        while not done(position):
            messages = poll_batch(self._consumer, _BATCH_SIZE, 0.1)
            records = self._apply(messages, position) if messages else []
            if not messages:
                self._refresh(position)
            yield records

    def _assign(self) -> dict[tuple[str, int], int]:
        stored = self.store.positions()
        assignment = [
            TopicPartition(
                tp.topic, tp.partition, stored.get((tp.topic, tp.partition), OFFSET_BEGINNING)
            )
            for tp in self.partitions()
        ]
        self._consumer.assign(assignment)
        position = {(tp.topic, tp.partition): tp.offset for tp in assignment}
        self._refresh(position)
        self._position = position
        return position

    def _refresh(self, position: dict[tuple[str, int], int]) -> None:
        # Transaction markers and empty partitions move the position without a record.
        for tp in self._consumer.position([TopicPartition(t, p) for t, p in position]):
            if tp.offset >= 0:
                position[(tp.topic, tp.partition)] = tp.offset

    def _apply(
        self, messages: list[Any], position: dict[tuple[str, int], int]
    ) -> list[SourceRecord]:
        records = []
        changed: dict[tuple[str, int], int] = {}
        applied = 0
        with self.store.transaction() as db:
            for message in messages:
                if message.error() is not None:
                    self._last_error = message.error().str()
                    logger.warning(
                        "projection read error name=%s error=%s",
                        self.projection.name,
                        message.error(),
                    )
                    continue
                record = self._source(message)
                records.append(record)
                changed[(record.topic, record.partition)] = record.offset + 1
                applied += self._apply_record(db, message, record)
            self.store.advance(changed, applied)
        position.update(changed)
        if self.on_batch is not None:
            self.on_batch(BatchApplied(records, time.time()))
        return records

    def _apply_record(self, db: sqlite3.Connection, message: Any, record: SourceRecord) -> int:
        """Apply one record's event; return 1 when the database did not include it yet."""
        repeated = record.offset < self.included.get((record.topic, record.partition), -1)
        if repeated:
            self.reread += 1
            if not self.projection.idempotent:
                return 0
        event = self._read(message, record)
        if event is None:
            return 0
        self.projection.apply(db, event, record)
        return 0 if repeated else 1

    def _read(self, message: Any, record: SourceRecord) -> Any:
        try:
            decoded = self.reader.read(record.topic, message.value())
        except SerdeError as exc:
            self.skipped += 1
            logger.error(  # noqa: TRY400 - the message names the cause; no traceback needed
                "projection skipped record name=%s topic=%s partition=%s offset=%s error=%s",
                self.projection.name,
                record.topic,
                record.partition,
                record.offset,
                exc,
            )
            return None
        return None if decoded is None else decoded.event

    def _source(self, message: Any) -> SourceRecord:
        version = None
        for name, value in message.headers() or []:
            if name == VERSION_HEADER and value:
                version = int(value)
        topic = message.topic()
        return SourceRecord(
            topic=topic,
            stream=self.streams[topic],
            partition=message.partition(),
            offset=message.offset(),
            key=(message.key() or b"").decode(errors="replace"),
            timestamp_ms=message.timestamp()[1],
            aggregate_version=version,
        )
