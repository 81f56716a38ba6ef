"""Realistic event histories of the reference domain, written with the keybus producer."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from tests.unit.sourcing.factories import NOON, schedule, window

from keybus.catalog.com.example.access import (
    AccessGranted,
    AccessMethod,
    AccessRevoked,
    CourierGrantee,
    DoorLocked,
    DoorUnlocked,
    GrantUsed,
    LockTrigger,
    RevocationReason,
)
from keybus.catalog.com.example.delivery import (
    CancellationReason,
    DeliveryCancelled,
    DeliveryCompleted,
    DeliveryOutcome,
    DeliveryScheduled,
)
from keybus.catalog.com.example.reference import LockDirectoryEntry
from keybus.events import Event


def delivery_history(count: int) -> list[Event]:
    """Return events of `count` deliveries: some rescheduled, completed or cancelled."""
    events: list[Event] = []
    for n in range(count):
        delivery_id = f"d-{n:04d}"
        scheduled = DeliveryScheduled(
            **{
                key: value
                for key, value in schedule(delivery_id, lock_id=f"lock-{n % 7}")
                .model_dump()
                .items()
                if key not in {"command_id", "aggregate_id", "expected_version", "issued_at"}
            },
            delivery_id=delivery_id,
            occurred_at=NOON + timedelta(seconds=n),
        )
        events.append(scheduled)
        if n % 4 == 1:
            later = window(NOON + timedelta(days=1))
            events.append(scheduled.model_copy(update={"window": later, "event_id": _uuid(n, 1)}))
        if n % 3 == 0:
            events.append(
                DeliveryCompleted(
                    delivery_id=delivery_id,
                    courier_id=f"c-{n % 5}",
                    outcome=DeliveryOutcome.DELIVERED_INSIDE,
                    occurred_at=NOON + timedelta(hours=1, seconds=n),
                )
            )
        elif n % 5 == 2:
            events.append(
                DeliveryCancelled(
                    delivery_id=delivery_id,
                    reason=CancellationReason.RECIPIENT_REQUEST,
                    occurred_at=NOON + timedelta(hours=1, seconds=n),
                )
            )
    return events


def access_history(count: int) -> list[Event]:
    """Return grants, uses, unlocks, locks and revocations on seven locks."""
    events: list[Event] = []
    for n in range(count):
        grant_id, lock_id, courier = f"g-{n:04d}", f"lock-{n % 7}", f"c-{n % 5}"
        at = NOON + timedelta(minutes=n)
        events.append(
            AccessGranted(
                grant_id=grant_id,
                lock_id=lock_id,
                grantee=CourierGrantee(courier_id=courier, carrier="DHL"),
                validity=window(at),
                method=AccessMethod.BLUETOOTH,
                occurred_at=at,
            )
        )
        if n % 4 == 3:
            events.append(
                AccessRevoked(
                    grant_id=grant_id,
                    lock_id=lock_id,
                    reason=RevocationReason.DELIVERY_CANCELLED,
                    occurred_at=at + timedelta(minutes=1),
                )
            )
            continue
        events += [
            GrantUsed(
                grant_id=grant_id,
                lock_id=lock_id,
                holder_id=courier,
                method=AccessMethod.BLUETOOTH,
                entry=1,
                occurred_at=at + timedelta(minutes=5),
            ),
            DoorUnlocked(
                lock_id=lock_id,
                grant_id=grant_id,
                method=AccessMethod.BLUETOOTH,
                courier_id=courier,
                occurred_at=at + timedelta(minutes=5),
            ),
            DoorLocked(
                lock_id=lock_id,
                trigger=LockTrigger.AUTO_RELOCK,
                open_duration_ms=42_000,
                occurred_at=at + timedelta(minutes=6),
            ),
        ]
    return events


def lock_directory() -> list[Event]:
    """Return the directory entries of the seven locks, on three sites."""
    return [
        LockDirectoryEntry(lock_id=f"lock-{n}", site_id=f"site-{n % 3}", owner_id=f"owner-{n}")
        for n in range(7)
    ]


def _uuid(n: int, step: int) -> UUID:
    return UUID(f"00000000-0000-4000-8000-{n:08d}{step:04d}")
