"""Rebuild a projection from the beginning of its streams, or replay it from a time."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from keybus.serde.codec import SchemaRegistry
from keybus.sourcing.projections.base import Projection
from keybus.sourcing.projections.runner import ProjectionRunner
from keybus.sourcing.projections.store import ProjectionStore

__all__ = ["ReplayPlan", "ReplayResult", "replay_projection"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReplayPlan:
    """The amount of work of a replay, known before it starts.

    Attributes:
        records: how many records lie between the start positions and the current ends.
        partitions: how many source partitions have records to read.
    """

    records: int
    partitions: int


@dataclass(frozen=True)
class ReplayResult:
    """The outcome of a replay.

    Attributes:
        path: the projection's database after the replay.
        records_read: the records read from the streams.
        events_applied: the projection's applied-event counter afterwards.
        skipped: records that could not be decoded and were skipped.
        rebuilt: True when the database was built anew from the beginning.
        records_reread: records read that the database included before the replay.
            They were applied again when the projection is idempotent, else skipped.
    """

    path: Path
    records_read: int
    events_applied: int
    skipped: int
    rebuilt: bool
    records_reread: int = 0


def replay_projection(
    projection: Projection,
    path: Path,
    *,
    bootstrap_servers: str,
    registry: SchemaRegistry,
    since: datetime | None = None,
    topic_prefix: str = "",
    on_plan: Callable[[ReplayPlan], object] | None = None,
    progress: Callable[[int], object] | None = None,
) -> ReplayResult:
    """Rebuild a projection's database from the beginning, or replay it from `since`.

    Without `since`, or when `path` does not exist, a new database is built next to
    `path` from the first record of every source partition and then replaces `path`, so
    readers of the old file never see a half-built model. With `since`, the existing
    database keeps its rows, and each source partition is read again from the first
    record at or after `since`, or from the database's stored position when that is
    earlier. A partition the database has no position for is read from its beginning.
    Records the database includes already are applied again when the projection is
    idempotent and skipped otherwise, so the result equals a rebuild from the beginning.

    NOTE: stop the projection's live runner on `path` first. A runner writing the same
    file during a rebuild keeps writing to the replaced file, and its updates are lost.
    """
    rebuilt = since is None or not path.exists()
    target = path.with_name(path.name + ".rebuild") if rebuilt else path
    if rebuilt:
        _remove_database(target)
    store = ProjectionStore(projection, target)
    runner = ProjectionRunner(
        store, bootstrap_servers=bootstrap_servers, registry=registry, topic_prefix=topic_prefix
    )
    try:
        runner.rewind(None if rebuilt else since)
        ends, left = runner.backlog()
        if on_plan is not None:
            on_plan(ReplayPlan(records=left, partitions=len(ends)))
        read = runner.catch_up(progress)
        applied = store.events_applied()
    finally:
        runner.close()
        _close_without_wal(store.db)
    if rebuilt:
        _remove_database(path)
        target.replace(path)
    logger.info(
        "projection replayed name=%s path=%s since=%s rebuilt=%s records=%s reread=%s "
        "applied=%s skipped=%s",
        projection.name,
        path,
        since.isoformat() if since else "beginning",
        rebuilt,
        read,
        runner.reread,
        applied,
        runner.skipped,
    )
    return ReplayResult(path, read, applied, runner.skipped, rebuilt, runner.reread)


def _close_without_wal(db: sqlite3.Connection) -> None:
    # Leaving rollback-journal mode folds the write-ahead log into the file, so the file
    # can be moved alone.
    db.execute("PRAGMA journal_mode=DELETE")
    db.close()


def _remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
