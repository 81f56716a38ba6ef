"""Generated pydantic bindings of the event catalog; run `keybus schemas codegen`."""

from __future__ import annotations

from keybus.catalog.com.example.access import (
    AccessGranted,
    AccessRevoked,
    DeviceStatusChanged,
    DoorLocked,
    DoorUnlocked,
    EnrichedLockEvent,
    GrantUsed,
)
from keybus.catalog.com.example.delivery import (
    DeliveryCancelled,
    DeliveryCompleted,
    DeliveryScheduled,
)
from keybus.catalog.com.example.reference import (
    LockDirectoryEntry,
)
from keybus.events import Event

__all__ = [
    "EVENT_TYPES",
    "AccessGranted",
    "AccessRevoked",
    "DeliveryCancelled",
    "DeliveryCompleted",
    "DeliveryScheduled",
    "DeviceStatusChanged",
    "DoorLocked",
    "DoorUnlocked",
    "EnrichedLockEvent",
    "GrantUsed",
    "LockDirectoryEntry",
]

EVENT_TYPES: dict[str, type[Event]] = {
    AccessGranted.__avro_name__: AccessGranted,
    AccessRevoked.__avro_name__: AccessRevoked,
    DeliveryCancelled.__avro_name__: DeliveryCancelled,
    DeliveryCompleted.__avro_name__: DeliveryCompleted,
    DeliveryScheduled.__avro_name__: DeliveryScheduled,
    DeviceStatusChanged.__avro_name__: DeviceStatusChanged,
    DoorLocked.__avro_name__: DoorLocked,
    DoorUnlocked.__avro_name__: DoorUnlocked,
    EnrichedLockEvent.__avro_name__: EnrichedLockEvent,
    GrantUsed.__avro_name__: GrantUsed,
    LockDirectoryEntry.__avro_name__: LockDirectoryEntry,
}
"""Every generated event model by its Avro full name."""
