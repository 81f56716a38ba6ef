"""The reference domain: deliveries to addresses with smart locks, and access grants."""

from __future__ import annotations

from keybus.sourcing.domain.access import (
    ACCESS_GRANT,
    AccessGrantState,
    GrantAccess,
    GrantStatus,
    RevokeAccess,
    UnlockDoor,
)
from keybus.sourcing.domain.delivery import (
    DELIVERY,
    CancelDelivery,
    CompleteDelivery,
    DeliveryState,
    DeliveryStatus,
    RescheduleDelivery,
    ScheduleDelivery,
)

__all__ = [
    "ACCESS_GRANT",
    "AGGREGATES",
    "DELIVERY",
    "AccessGrantState",
    "CancelDelivery",
    "CompleteDelivery",
    "DeliveryState",
    "DeliveryStatus",
    "GrantAccess",
    "GrantStatus",
    "RescheduleDelivery",
    "RevokeAccess",
    "ScheduleDelivery",
    "UnlockDoor",
]

AGGREGATES = {aggregate.name: aggregate for aggregate in (DELIVERY, ACCESS_GRANT)}
"""The reference aggregate types by name."""
