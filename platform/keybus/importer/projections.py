"""The event-log read model in SQLite: figures per case and per activity.

Per case: the first and last event in recorded order, the current activity (that of
the last event), the number of events and the duration from the first event's time to
the last one's. Per activity: its number of events, the number of distinct cases it
occurs in, and the median time from one of its events to the next event of the same
case. The stored Kafka positions change in the same SQLite transaction as the figures,
so each record is applied once per build.

NOTE: this read model has its own runner (`keybus event-log replay`) instead of the
projections of `keybus.sourcing`, because those read generated event models from
streams fixed in code, while an imported log has a schema inferred per file and a topic
chosen at import time. Serving it through `keybus replay` needs a projection there that
takes plain decoded records and a topic from its settings.
"""

from __future__ import annotations

import sqlite3
import statistics
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

__all__ = ["PROJECTION_NAME", "EventLogProjection"]

PROJECTION_NAME = "event-log"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)

_TABLES = """
CREATE TABLE IF NOT EXISTS cases (
    case_id TEXT PRIMARY KEY,
    first_event_id TEXT NOT NULL,
    first_activity TEXT NOT NULL,
    first_at_ms INTEGER NOT NULL,
    last_event_id TEXT NOT NULL,
    last_activity TEXT NOT NULL,
    last_at_ms INTEGER NOT NULL,
    events INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS case_activities (
    case_id TEXT NOT NULL,
    activity TEXT NOT NULL,
    PRIMARY KEY (case_id, activity)
);
CREATE TABLE IF NOT EXISTS activities (
    activity TEXT PRIMARY KEY,
    events INTEGER NOT NULL,
    cases INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS transitions (
    activity TEXT NOT NULL,
    next_activity TEXT NOT NULL,
    gap_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS transitions_by_activity ON transitions (activity);
CREATE TABLE IF NOT EXISTS positions (
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    next_offset INTEGER NOT NULL,
    PRIMARY KEY (topic, partition)
);
"""

_DROP = """
DROP TABLE IF EXISTS cases;
DROP TABLE IF EXISTS case_activities;
DROP TABLE IF EXISTS activities;
DROP TABLE IF EXISTS transitions;
DROP TABLE IF EXISTS positions;
"""


class EventLogProjection:
    """The event-log read model stored in one SQLite file.

    Args:
        path: the SQLite file; created with its tables when missing.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.db = sqlite3.connect(self.path, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(_TABLES)

    def close(self) -> None:
        """Close the database connection."""
        self.db.close()

    def reset(self) -> None:
        """Remove every figure and position, for a rebuild."""
        self.db.executescript(_DROP + _TABLES)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Apply several records in one SQLite transaction."""
        with self.db:
            yield

    def positions(self, topic: str) -> dict[int, int]:
        """Return the next offset to read per partition of `topic`."""
        rows = self.db.execute(
            "SELECT partition, next_offset FROM positions WHERE topic = ?", (topic,)
        )
        return {row["partition"]: row["next_offset"] for row in rows}

    def apply(self, event: Mapping[str, Any], topic: str, partition: int, offset: int) -> None:
        """Add one event; call inside `batch()` and in per-case order."""
        case_id, activity = event["case_id"], event["activity"]
        at_ms = _epoch_ms(event["occurred_at"])
        previous = self.db.execute(
            "SELECT last_activity, last_at_ms FROM cases WHERE case_id = ?", (case_id,)
        ).fetchone()
        if previous is None:
            self.db.execute(
                "INSERT INTO cases VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
                (case_id, event["event_id"], activity, at_ms, event["event_id"], activity, at_ms),
            )
        else:
            self.db.execute(
                "INSERT INTO transitions VALUES (?, ?, ?)",
                (previous["last_activity"], activity, at_ms - previous["last_at_ms"]),
            )
            self.db.execute(
                "UPDATE cases SET last_event_id = ?, last_activity = ?, last_at_ms = ?, "
                "events = events + 1 WHERE case_id = ?",
                (event["event_id"], activity, at_ms, case_id),
            )
        self._count_activity(case_id, activity)
        self.db.execute(
            "INSERT INTO positions VALUES (?, ?, ?) ON CONFLICT (topic, partition) "
            "DO UPDATE SET next_offset = excluded.next_offset",
            (topic, partition, offset + 1),
        )

    def _count_activity(self, case_id: str, activity: str) -> None:
        new_case = self.db.execute(
            "INSERT OR IGNORE INTO case_activities VALUES (?, ?)", (case_id, activity)
        ).rowcount
        self.db.execute(
            "INSERT INTO activities VALUES (?, 1, ?) ON CONFLICT (activity) DO UPDATE SET "
            "events = events + 1, cases = cases + excluded.cases",
            (activity, new_case),
        )

    def case(self, case_id: str) -> dict[str, Any] | None:
        """Return the figures of one case, or None when the case has no events."""
        row = self.db.execute("SELECT * FROM cases WHERE case_id = ?", (case_id,)).fetchone()
        return None if row is None else _case_figures(row)

    def cases(self, *, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        """Return the figures of cases in case id order."""
        rows = self.db.execute(
            "SELECT * FROM cases ORDER BY case_id LIMIT ? OFFSET ?", (limit, offset)
        )
        return [_case_figures(row) for row in rows]

    def activity(self, activity: str) -> dict[str, Any] | None:
        """Return the figures of one activity, or None when it has no events."""
        row = self.db.execute("SELECT * FROM activities WHERE activity = ?", (activity,)).fetchone()
        return None if row is None else self._activity_figures(row)

    def activities(self) -> list[dict[str, Any]]:
        """Return the figures of every activity, most frequent first."""
        rows = self.db.execute("SELECT * FROM activities ORDER BY events DESC, activity")
        return [self._activity_figures(row) for row in rows.fetchall()]

    def _activity_figures(self, row: sqlite3.Row) -> dict[str, Any]:
        gaps = [
            gap
            for (gap,) in self.db.execute(
                "SELECT gap_ms FROM transitions WHERE activity = ?", (row["activity"],)
            )
        ]
        return {
            "activity": row["activity"],
            "events": row["events"],
            "cases": row["cases"],
            "median_ms_to_next": statistics.median(gaps) if gaps else None,
            "followed": len(gaps),
        }

    def summary(self) -> dict[str, Any]:
        """Return totals over all cases."""
        totals = self.db.execute(
            "SELECT COUNT(*) AS cases, COALESCE(SUM(events), 0) AS events FROM cases"
        ).fetchone()
        durations = [
            gap for (gap,) in self.db.execute("SELECT last_at_ms - first_at_ms FROM cases")
        ]
        activities = self.db.execute("SELECT COUNT(*) FROM activities").fetchone()[0]
        return {
            "cases": totals["cases"],
            "events": totals["events"],
            "activities": activities,
            "median_case_duration_ms": statistics.median(durations) if durations else None,
            "max_case_duration_ms": max(durations) if durations else None,
        }


def _case_figures(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "case_id": row["case_id"],
        "first_event_id": row["first_event_id"],
        "first_activity": row["first_activity"],
        "first_at_ms": row["first_at_ms"],
        "last_event_id": row["last_event_id"],
        "last_activity": row["last_activity"],
        "current_activity": row["last_activity"],
        "last_at_ms": row["last_at_ms"],
        "events": row["events"],
        "duration_ms": row["last_at_ms"] - row["first_at_ms"],
    }


def _epoch_ms(value: Any) -> int:
    """Return epoch milliseconds of a decoded timestamp-millis (a datetime) or an int."""
    if isinstance(value, int):
        return value
    return int((value - _EPOCH) // _ONE_MS)
