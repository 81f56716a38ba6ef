"""Recover an aggregate's state from its stream, from the start or after its snapshot."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Generic

from keybus.sourcing.aggregate import AggregateType, State
from keybus.sourcing.snapshots import Snapshot, read_to_end
from keybus.sourcing.upcasting import EventReader
from keybus.sourcing.wire import VERSION_HEADER

__all__ = ["Recovered", "recover", "recover_from_records"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recovered(Generic[State]):
    """An aggregate's recovered state.

    Attributes:
        state: the state after every event of the aggregate in the stream.
        version: the aggregate version of the last applied event (0: none).
        events_applied: how many events were read and applied.
        records_read: how many stream records were read to find them.
        from_snapshot: whether recovery started from a snapshot.
    """

    state: State
    version: int
    events_applied: int
    records_read: int
    from_snapshot: bool


def recover(
    aggregate: AggregateType[State],
    aggregate_id: str,
    *,
    bootstrap_servers: str,
    reader: EventReader,
    stream_topic: str | None = None,
    snapshot: Snapshot | None = None,
) -> Recovered[State]:
    """Return the state of one aggregate, read from its stream topic.

    Without a snapshot, every partition is read from the beginning. With one, only the
    snapshot's partition is read, after the snapshot's offset, so the cost is the events
    written since the snapshot.
    """
    topic = stream_topic or aggregate.stream
    if snapshot is None:
        records = read_to_end(bootstrap_servers, topic)
        return recover_from_records(aggregate, aggregate_id, records, reader, None)
    records = read_to_end(
        bootstrap_servers,
        topic,
        start={snapshot.partition: snapshot.offset + 1},
        partitions=[snapshot.partition],
    )
    return recover_from_records(aggregate, aggregate_id, records, reader, snapshot)


def recover_from_records(
    aggregate: AggregateType[State],
    aggregate_id: str,
    records: Iterable[Any],
    reader: EventReader,
    snapshot: Snapshot | None,
) -> Recovered[State]:
    """Apply the aggregate's events among `records` to the snapshot's state or the start.

    A record whose version header is not above the current version is a duplicate left
    by a command handled twice after a crash, and is skipped.
    """
    state = (
        aggregate.initial_state()
        if snapshot is None
        else aggregate.state_type.model_validate(snapshot.state)
    )
    version = 0 if snapshot is None else snapshot.version
    key = aggregate_id.encode()
    applied = 0
    read = 0
    for record in records:
        read += 1
        if record.key() != key:
            continue
        record_version = _version(record.headers())
        if record_version is not None and record_version <= version:
            continue
        decoded = reader.read(record.topic(), record.value())
        if decoded is None:
            continue
        state = aggregate.apply(state, decoded.event)
        version = record_version if record_version is not None else version + 1
        applied += 1
    logger.info(
        "aggregate recovered aggregate=%s aggregate_id=%s version=%s applied=%s read=%s "
        "from_snapshot=%s",
        aggregate.name,
        aggregate_id,
        version,
        applied,
        read,
        snapshot is not None,
    )
    return Recovered(state, version, applied, read, snapshot is not None)


def _version(headers: list[tuple[str, bytes]] | None) -> int | None:
    for name, value in headers or []:
        if name == VERSION_HEADER and value:
            return int(value)
    return None
