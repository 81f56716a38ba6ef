"""The SQLite file of one projection: its tables, its stream positions and its counters."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from keybus.sourcing.projections.base import Projection

__all__ = ["ProjectionStore", "dump_tables"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS keybus_positions (
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    next_offset INTEGER NOT NULL,
    PRIMARY KEY (topic, partition)
);
CREATE TABLE IF NOT EXISTS keybus_counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
"""


class ProjectionStore:
    """One projection's SQLite database.

    The projection's rows and the next offset to read of every source partition are
    written in the same transaction, so after a crash the projection resumes exactly
    after the last applied event: no event is applied twice or skipped.
    """

    def __init__(self, projection: Projection, path: Path) -> None:
        self.projection = projection
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)
        projection.create(self.db)

    def close(self) -> None:
        """Close the database."""
        self.db.close()

    def positions(self) -> dict[tuple[str, int], int]:
        """Return the next offset to read by (topic, partition)."""
        rows = self.db.execute("SELECT topic, partition, next_offset FROM keybus_positions")
        return {(row["topic"], row["partition"]): row["next_offset"] for row in rows}

    def set_positions(self, positions: Mapping[tuple[str, int], int]) -> None:
        """Replace the stored positions of the given partitions."""
        with self.transaction():
            self._store_positions(positions)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run a block in one write transaction; roll back on error."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def advance(self, positions: Mapping[tuple[str, int], int], applied: int) -> None:
        """Store new positions and add to the applied counter; call inside `transaction`."""
        self._store_positions(positions)
        self.db.execute(
            "INSERT INTO keybus_counters (name, value) VALUES ('events_applied', ?) "
            "ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
            (applied,),
        )

    def events_applied(self) -> int:
        """Return how many events were applied since the database was created.

        An event a replay from a time applies again is counted once.
        """
        row = self.db.execute(
            "SELECT value FROM keybus_counters WHERE name = 'events_applied'"
        ).fetchone()
        return int(row["value"]) if row else 0

    def row_counts(self) -> dict[str, int]:
        """Return the row count of each of the projection's tables."""
        return {
            table: int(self.db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])
            for table in self.projection.tables
        }

    def _store_positions(self, positions: Mapping[tuple[str, int], int]) -> None:
        self.db.executemany(
            "INSERT INTO keybus_positions (topic, partition, next_offset) VALUES (?, ?, ?) "
            "ON CONFLICT (topic, partition) DO UPDATE SET next_offset = excluded.next_offset",
            [(topic, partition, offset) for (topic, partition), offset in positions.items()],
        )


def dump_tables(store: ProjectionStore) -> dict[str, list[dict[str, Any]]]:
    """Return every row of the projection's tables, ordered by all columns."""
    dumped = {}
    for table in store.projection.tables:
        rows = store.db.execute(f'SELECT * FROM "{table}"').fetchall()
        dumped[table] = sorted(
            (dict(row) for row in rows), key=lambda row: repr(sorted(row.items()))
        )
    return dumped
