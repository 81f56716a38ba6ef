"""Commands and values of the reference domain, shared by the sourcing tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from keybus.catalog.com.example.access import AccessMethod, CourierGrantee
from keybus.catalog.com.example.common import TimeWindow
from keybus.catalog.com.example.delivery import AccessMode, Address, Parcel, ParcelSize
from keybus.sourcing.domain import GrantAccess, ScheduleDelivery, UnlockDoor

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def window(start: datetime = NOON, hours: float = 2.0) -> TimeWindow:
    """Return a window of `hours` from `start`."""
    return TimeWindow(starts_at=start, ends_at=start + timedelta(hours=hours))


def schedule(delivery_id: str, **fields: object) -> ScheduleDelivery:
    """Return a ScheduleDelivery with realistic values."""
    values: dict[str, object] = {
        "aggregate_id": delivery_id,
        "recipient_id": "recipient-7",
        "carrier": "DHL",
        "address": Address(
            street="Hauptstrasse 5", postal_code="10115", city="Berlin", country_code="DE"
        ),
        "window": window(),
        "parcels": [Parcel(parcel_id="p-1", size=ParcelSize.SMALL, weight_kg=Decimal("1.250"))],
        "access_mode": AccessMode.GARAGE,
        "lock_id": "lock-1",
        "issued_at": NOON - timedelta(days=1),
    }
    values.update(fields)
    return ScheduleDelivery.model_validate(values)


def grant(grant_id: str, **fields: object) -> GrantAccess:
    """Return a GrantAccess for courier c-1 on lock-1, noon to 14:00, two entries."""
    values: dict[str, object] = {
        "aggregate_id": grant_id,
        "lock_id": "lock-1",
        "grantee": CourierGrantee(courier_id="c-1", carrier="DHL"),
        "validity": window(),
        "method": AccessMethod.BLUETOOTH,
        "max_entries": 2,
        "delivery_id": "d-1",
        "issued_at": NOON - timedelta(hours=1),
    }
    values.update(fields)
    return GrantAccess.model_validate(values)


def unlock(
    grant_id: str, at: datetime = NOON + timedelta(minutes=30), **fields: object
) -> UnlockDoor:
    """Return an UnlockDoor by courier c-1 on lock-1 at `at`."""
    values: dict[str, object] = {
        "aggregate_id": grant_id,
        "lock_id": "lock-1",
        "holder_id": "c-1",
        "method": AccessMethod.BLUETOOTH,
        "issued_at": at,
    }
    values.update(fields)
    return UnlockDoor.model_validate(values)
