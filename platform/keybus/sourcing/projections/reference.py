"""The reference projections: current state of each delivery, and access history per site."""

from __future__ import annotations

import sqlite3
from typing import ClassVar

from keybus.catalog.com.example.access import (
    AccessGranted,
    AccessRevoked,
    DoorLocked,
    DoorUnlocked,
    GrantUsed,
)
from keybus.catalog.com.example.delivery import (
    DeliveryCancelled,
    DeliveryCompleted,
    DeliveryScheduled,
)
from keybus.catalog.com.example.reference import LockDirectoryEntry
from keybus.events.model import Event
from keybus.sourcing.domain.access import holder_of
from keybus.sourcing.projections.base import Projection, SourceRecord
from keybus.sourcing.projections.registry import register_projection

__all__ = ["DeliveryStatusProjection", "SiteAccessProjection"]


def _ms(event: Event) -> int:
    return int(event.occurred_at.timestamp() * 1000)


@register_projection
class DeliveryStatusProjection(Projection):
    """One row per delivery with its current status, window, courier and outcome.

    Each row keeps the stream offset and aggregate version of its last event, so an event
    applied before, or appended twice by the command handler, is skipped, and `keybus
    replay --from TIME` leaves rows as a full rebuild would.
    """

    name: ClassVar[str] = "delivery-status"
    streams: ClassVar[tuple[str, ...]] = ("deliveries",)
    event_types: ClassVar[tuple[type[Event], ...]] = (
        DeliveryScheduled,
        DeliveryCompleted,
        DeliveryCancelled,
    )
    tables: ClassVar[dict[str, str]] = {"deliveries": "delivery_id"}
    queries: ClassVar[dict[str, str]] = {
        "by-status": "SELECT * FROM deliveries WHERE status = :key ORDER BY delivery_id",
        "by-lock": "SELECT * FROM deliveries WHERE lock_id = :key ORDER BY delivery_id",
    }

    def create(self, db: sqlite3.Connection) -> None:
        """Create the deliveries table."""
        db.execute(
            """CREATE TABLE IF NOT EXISTS deliveries (
                delivery_id TEXT PRIMARY KEY,
                status TEXT NOT NULL,
                recipient_id TEXT,
                carrier TEXT,
                lock_id TEXT,
                window_starts_at_ms INTEGER,
                window_ends_at_ms INTEGER,
                times_scheduled INTEGER NOT NULL DEFAULT 0,
                courier_id TEXT,
                outcome TEXT,
                cancellation_reason TEXT,
                events INTEGER NOT NULL DEFAULT 0,
                updated_at_ms INTEGER NOT NULL,
                stream_partition INTEGER NOT NULL,
                stream_offset INTEGER NOT NULL,
                aggregate_version INTEGER
            )"""
        )

    def apply(self, db: sqlite3.Connection, event: Event, record: SourceRecord) -> None:
        """Insert or update the delivery's row."""
        row = db.execute(
            "SELECT stream_partition, stream_offset, aggregate_version FROM deliveries "
            "WHERE delivery_id = ?",
            (event.aggregate_id,),
        ).fetchone()
        if row is not None and _seen(row, record):
            return
        if row is None:
            db.execute(
                "INSERT INTO deliveries (delivery_id, status, updated_at_ms, stream_partition, "
                "stream_offset) VALUES (?, 'NEW', 0, ?, -1)",
                (event.aggregate_id, record.partition),
            )
        db.execute(
            "UPDATE deliveries SET events = events + 1, updated_at_ms = ?, "
            "stream_partition = ?, stream_offset = ?, aggregate_version = ? WHERE delivery_id = ?",
            (
                _ms(event),
                record.partition,
                record.offset,
                record.aggregate_version,
                event.aggregate_id,
            ),
        )
        self._apply_fields(db, event)

    def _apply_fields(self, db: sqlite3.Connection, event: Event) -> None:
        if isinstance(event, DeliveryScheduled):
            db.execute(
                "UPDATE deliveries SET status = 'SCHEDULED', recipient_id = ?, carrier = ?, "
                "lock_id = ?, window_starts_at_ms = ?, window_ends_at_ms = ?, "
                "times_scheduled = times_scheduled + 1 WHERE delivery_id = ?",
                (
                    event.recipient_id,
                    event.carrier,
                    event.lock_id,
                    int(event.window.starts_at.timestamp() * 1000),
                    int(event.window.ends_at.timestamp() * 1000),
                    event.delivery_id,
                ),
            )
        elif isinstance(event, DeliveryCompleted):
            db.execute(
                "UPDATE deliveries SET status = 'COMPLETED', courier_id = ?, outcome = ? "
                "WHERE delivery_id = ?",
                (event.courier_id, event.outcome.value, event.delivery_id),
            )
        elif isinstance(event, DeliveryCancelled):
            db.execute(
                "UPDATE deliveries SET status = 'CANCELLED', cancellation_reason = ? "
                "WHERE delivery_id = ?",
                (event.reason.value, event.delivery_id),
            )


def _seen(row: sqlite3.Row | tuple[int, int, int | None], record: SourceRecord) -> bool:
    """Return whether a delivery's row already includes the event of `record`.

    An event at or before the row's last offset was applied already. An event whose
    version header is not above the row's version was too: the command handler appends
    such duplicates when it handles a command again after a crash.
    """
    partition, offset, version = row[0], row[1], row[2]
    if partition == record.partition and offset >= record.offset:
        return True
    return (
        version is not None
        and record.aggregate_version is not None
        and (record.aggregate_version <= version)
    )


@register_projection
class SiteAccessProjection(Projection):
    """Every grant, use, revocation, unlock and lock of a lock, and the site of each lock.

    Sites come from the lock directory, which may arrive after a lock's first events, so
    the history stores the lock and the `site` query joins the lock's current site when
    it is read.
    """

    name: ClassVar[str] = "site-access"
    streams: ClassVar[tuple[str, ...]] = (
        "access-grants",
        "lock-devices",
        "reference.lock-directory",
    )
    event_types: ClassVar[tuple[type[Event], ...]] = (
        AccessGranted,
        AccessRevoked,
        GrantUsed,
        DoorUnlocked,
        DoorLocked,
        LockDirectoryEntry,
    )
    tables: ClassVar[dict[str, str]] = {"access_history": "event_id", "locks": "lock_id"}
    queries: ClassVar[dict[str, str]] = {
        "site": "SELECT h.*, l.site_id FROM access_history h JOIN locks l USING (lock_id) "
        "WHERE l.site_id = :key ORDER BY h.occurred_at_ms, h.event_id",
        "lock": "SELECT * FROM access_history WHERE lock_id = :key "
        "ORDER BY occurred_at_ms, event_id",
        "grant": "SELECT * FROM access_history WHERE grant_id = :key "
        "ORDER BY occurred_at_ms, event_id",
    }

    def create(self, db: sqlite3.Connection) -> None:
        """Create the history and lock tables."""
        db.execute(
            """CREATE TABLE IF NOT EXISTS access_history (
                event_id TEXT PRIMARY KEY,
                lock_id TEXT NOT NULL,
                occurred_at_ms INTEGER NOT NULL,
                event_type TEXT NOT NULL,
                grant_id TEXT,
                actor_id TEXT,
                method TEXT,
                detail TEXT
            )"""
        )
        db.execute("CREATE INDEX IF NOT EXISTS access_history_lock ON access_history (lock_id)")
        db.execute(
            "CREATE TABLE IF NOT EXISTS locks (lock_id TEXT PRIMARY KEY, site_id TEXT NOT NULL, "
            "owner_id TEXT NOT NULL)"
        )

    def apply(self, db: sqlite3.Connection, event: Event, record: SourceRecord) -> None:
        """Add a history row, or record the lock's site."""
        if isinstance(event, LockDirectoryEntry):
            db.execute(
                "INSERT INTO locks (lock_id, site_id, owner_id) VALUES (?, ?, ?) ON CONFLICT "
                "(lock_id) DO UPDATE SET site_id = excluded.site_id, owner_id = excluded.owner_id",
                (event.lock_id, event.site_id, event.owner_id),
            )
            return
        lock_id, grant_id, actor_id, method, detail = _history_fields(event)
        db.execute(
            "INSERT OR IGNORE INTO access_history (event_id, lock_id, occurred_at_ms, "
            "event_type, grant_id, actor_id, method, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                str(event.event_id),
                lock_id,
                _ms(event),
                event.event_type(),
                grant_id,
                actor_id,
                method,
                detail,
            ),
        )


def _history_fields(event: Event) -> tuple[str, str | None, str | None, str | None, str | None]:
    if isinstance(event, AccessGranted):
        window = f"{event.validity.starts_at.isoformat()}/{event.validity.ends_at.isoformat()}"
        return event.lock_id, event.grant_id, holder_of(event.grantee), event.method.value, window
    if isinstance(event, GrantUsed):
        return (
            event.lock_id,
            event.grant_id,
            event.holder_id,
            event.method.value,
            f"entry {event.entry}",
        )
    if isinstance(event, AccessRevoked):
        return event.lock_id, event.grant_id, event.revoked_by, None, event.reason.value
    if isinstance(event, DoorUnlocked):
        return event.lock_id, event.grant_id, event.courier_id, event.method.value, None
    if isinstance(event, DoorLocked):
        return (
            event.lock_id,
            None,
            None,
            None,
            f"{event.trigger.value} after {event.open_duration_ms} ms",
        )
    raise TypeError(f"{type(event).__name__} is not an access event")
